// The committed bundles, run exactly as the runner runs them (dist/ must be built: npm run build).
import { runBundled } from '../helpers/runner';
import type { Plan } from '../../src/plan/types';

describe('dist/main and dist/post as the runner runs them', () => {
  it('plan mode prints the plan, writes outputs and summary, and the post step finds nothing to delete', () => {
    const main = runBundled('main', {
      mode: 'plan',
      release: 'caracal',
      os: 'ubuntu-24.04',
      topology: 'full',
      'stack-id': 'bundle-test',
      'ping-target': '8.8.8.8',
      teardown: 'always',
    });
    expect(main.stderr).toBe('');
    expect(main.status).toBe(0);
    expect(main.stdout).toContain('::group::Plan for stack bundle-test');
    expect(main.stdout).toContain('controller: host-prep → repositories');
    expect(main.outputs['stack-id']).toBe('bundle-test');
    const plan = JSON.parse(main.outputs.plan) as Plan;
    expect(plan.nodes.map((n) => n.name)).toEqual(['controller', 'compute1', 'block1', 'object1', 'object2']);
    expect(plan.release.id).toBe('2024.1');
    expect(plan.tags['openstack-on-aws:run-id']).toBe('4242');
    expect(main.summary).toContain('### Plan for stack `bundle-test`');
    expect(main.summary).toContain('| controller | controller | m7i.xlarge |');
    expect(main.state.settings).toBeTruthy();

    const post = runBundled('post', {}, main.state);
    expect(post.status).toBe(0);
    expect(post.stdout).toContain("Nothing to tear down: mode was 'plan'.");
  });

  it('fails with one clear message and creates nothing on a bad input', () => {
    const main = runBundled('main', {
      mode: 'plan',
      release: '2025.1',
      os: 'ubuntu-24.04',
      'network-driver': 'linuxbridge',
    });
    expect(main.status).toBe(1);
    expect(main.stdout).toMatch(
      /::error::Input 'network-driver' has the value 'linuxbridge'.*removed the Linux bridge driver/,
    );
    expect(main.outputs).toEqual({});
  });

  it('the post step of a main step that failed before reading inputs does nothing and succeeds', () => {
    const post = runBundled('post', {});
    expect(post.status).toBe(0);
    expect(post.stdout).toContain('Nothing to tear down');
  });
});
