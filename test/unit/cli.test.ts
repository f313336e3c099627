import { spawnSync } from 'child_process';
import * as path from 'path';
import { parseArgs } from '../../src/cli';

describe('cli arguments', () => {
  it('maps flags to input names and the command to the mode', () => {
    const a = parseArgs([
      'plan',
      '--release',
      '2024.1',
      '--os=ubuntu-24.04',
      '--topology',
      'full',
      '--state-dir',
      '/tmp/x',
    ]);
    expect(a.command).toBe('plan');
    expect(a.inputs).toEqual({ mode: 'plan', release: '2024.1', os: 'ubuntu-24.04', topology: 'full' });
    expect(a.stateDir).toBe('/tmp/x');
  });

  it('refuses unknown commands and flags with the usage', () => {
    expect(() => parseArgs(['deploy'])).toThrow(/unknown command 'deploy'[\s\S]*usage/);
    expect(() => parseArgs(['plan', '--colour', 'red'])).toThrow(/unknown flag --colour/);
    expect(() => parseArgs(['plan', '--release'])).toThrow(/expected --<input> <value>/);
    expect(() => parseArgs(['plan', '--mode', 'up'])).toThrow(/unknown flag --mode/);
  });

  it.each(['--help', '-h', 'help'])('%s prints the usage and exits 0 (the built CLI, as a user runs it)', (word) => {
    const cli = path.join(__dirname, '../../dist/cli/index.js');
    const r = spawnSync(process.execPath, [cli, word], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: openstack-on-aws <plan\|up\|down\|sweep>/);
    expect(r.stderr).toBe('');
  });
});
