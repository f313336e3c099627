// Runs the Tempest stand-in suite (test/fixtures/smoke/tempest_standin.py) through the real
// subunit tool chain a controller uses: `python3 -m subunit.run` records a subunit v2 stream as
// `tempest run --subunit` does, and subunit2junitxml renders it. Debian's python3 (not a pyenv
// one) has python3-subunit and python3-junitxml (scripts/host-tools.sh installs them).
import { spawnSync } from 'child_process';
import * as path from 'path';
import { needFile, Unmet } from './requires';

const FIXTURES = path.join(__dirname, '../fixtures/smoke');
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** What the real tool chain needs on this host. */
export function needSubunitTools(): Unmet[] {
  return [
    needFile('/usr/bin/subunit2junitxml', 'subunit'),
    needFile('/usr/lib/python3/dist-packages/subunit/run.py', 'python3-subunit'),
    needFile('/usr/lib/python3/dist-packages/junitxml/__init__.py', 'python3-junitxml'),
  ];
}

/** The stand-in run's subunit v2 stream; `secret` is quoted by a failing test's traceback. */
export function standinSubunit(secret: string): Buffer {
  const r = spawnSync(SYSTEM_PYTHON, ['-m', 'subunit.run', 'tempest_standin'], {
    cwd: FIXTURES,
    env: { PATH: '/usr/bin:/bin', PYTHONPATH: FIXTURES, PYTHONDONTWRITEBYTECODE: '1', TEMPEST_STANDIN_SECRET: secret },
  });
  if (r.status !== 0) throw new Error(`subunit.run exited with ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** subunit2junitxml's JUnit of a stream (it exits 1 when the stream has failures: not an error). */
export function junitOf(stream: Buffer): string {
  const r = spawnSync('/usr/bin/subunit2junitxml', [], { input: stream, env: { PATH: '/usr/bin:/bin' } });
  if (r.status !== 0 && r.status !== 1) throw new Error(`subunit2junitxml exited with ${r.status}: ${r.stderr}`);
  return r.stdout.toString('utf8');
}
