// The bake key: the same for every stack of one shape, different when anything that shapes the
// install differs (a stage file, release, OS, driver, layout), and blind to what does not.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bakeKey } from '../../src/bake/key';
import { bakeRequests, bootImagesFor } from '../../src/bake/requests';
import { buildPlan } from '../../src/plan/plan';
import type { InputName } from '../../src/core/names';
import { settingsFrom } from '../helpers/inputs';

const stages = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-bake-key-'));
afterAll(() => fs.rmSync(stages, { recursive: true, force: true }));
beforeEach(() => {
  fs.rmSync(stages, { recursive: true, force: true });
  fs.mkdirSync(stages);
  for (const f of ['lib.sh', 'keystone.sh', 'rekey.sh', 'bake-clean.sh'])
    fs.writeFileSync(path.join(stages, f), `# ${f}\n`);
});

function plan(values: Partial<Record<InputName, string>> = {}, now = new Date('2026-12-01T10:00:00Z')) {
  const s = settingsFrom({ provider: 'aws', release: 'zed', os: 'debian-12', 'stack-id': 'one', ...values });
  return buildPlan(s, { now, runId: '1', runAttempt: '1' });
}

describe('the bake key', () => {
  it('is the same for two stacks of one shape (other ids, other times)', () => {
    const a = bakeKey(plan({ 'stack-id': 'first' }), stages);
    const b = bakeKey(plan({ 'stack-id': 'second' }, new Date('2026-12-02T03:00:00Z')), stages);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toBe(a);
  });

  it('changes with a stage file, but not with rekey.sh, which runs only on a booted image', () => {
    const before = bakeKey(plan(), stages);
    fs.appendFileSync(path.join(stages, 'rekey.sh'), 'echo better\n');
    expect(bakeKey(plan(), stages)).toBe(before);
    fs.appendFileSync(path.join(stages, 'keystone.sh'), 'echo changed\n');
    expect(bakeKey(plan(), stages)).not.toBe(before);
  });

  it('changes with a new stage file', () => {
    const before = bakeKey(plan(), stages);
    fs.writeFileSync(path.join(stages, 'glance.sh'), '# glance\n');
    expect(bakeKey(plan(), stages)).not.toBe(before);
  });

  it.each<[string, Partial<Record<InputName, string>>]>([
    ['release and OS', { release: '2025.1', os: 'debian-13' }],
    [
      'hypervisor (the default compute type is metal, KVM; m7i.2xlarge runs QEMU)',
      { 'compute-instance-type': 'm7i.2xlarge' },
    ],
    ['topology', { topology: 'full' }],
    ['compute count', { 'compute-count': '2' }],
    ['network driver', { 'network-driver': 'openvswitch' }],
    ['VPC range', { 'vpc-cidr': '10.77.0.0/16' }],
  ])('changes with the %s', (_what, values) => {
    expect(bakeKey(plan(values), stages)).not.toBe(bakeKey(plan(), stages));
  });

  it('ignores instance types that run the same hypervisor (NICs are found again by MAC)', () => {
    const a = plan({ 'compute-instance-type': 'm7i.2xlarge', 'controller-instance-type': 'm7i.xlarge' });
    const b = plan({ 'compute-instance-type': 'm7i.4xlarge', 'controller-instance-type': 'm7i.2xlarge' });
    expect(bakeKey(a, stages)).toBe(bakeKey(b, stages));
  });
});

describe('bake requests', () => {
  it('name one node per role, the first of each, and every node boots its role image', () => {
    const p = plan({ topology: 'full', 'compute-count': '2' });
    const req = bakeRequests(p, 'k');
    expect(req.map((r) => `${r.role}=${r.node}`)).toEqual([
      'controller=controller',
      'compute=compute1',
      'block=block1',
      'object=object1',
    ]);
    const image = (role: string) => ({
      id: `img-${role}`,
      key: 'k',
      role,
      release: 'zed',
      os: 'debian-12',
      createdAt: '',
      bakedBy: 'x',
    });
    const byRole = Object.fromEntries(['controller', 'compute', 'block', 'object'].map((r) => [r, image(r)]));
    const boot = bootImagesFor(p, byRole as never);
    expect(Object.fromEntries(Object.entries(boot).map(([n, i]) => [n, i.id]))).toEqual({
      controller: 'img-controller',
      compute1: 'img-compute',
      compute2: 'img-compute',
      block1: 'img-block',
      object1: 'img-object',
      object2: 'img-object',
    });
  });
});
