// The pipeline's report entry points: reportUp (JUnit + outputs + summary), reportTeardown, and the
// log-bundle policy.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildPlan } from '../../src/plan/plan';
import type { Environment } from '../../src/provider';
import { recordCheckTimings, reportTeardown, reportUp, shouldCollectLogs } from '../../src/report/report-run';
import { Timings } from '../../src/report/timings';
import type { CheckResult } from '../../src/smoke/types';
import { RecordingIo } from '../fixtures/smoke/fake-controller';
import { settingsFrom } from '../helpers/inputs';

const PASSWORD = 'Mn4Bv7Cx1Zl8Kj5Hg2Fd9Sa6';
const plan = buildPlan(settingsFrom({ 'stack-id': 'run1' }), { now: new Date('2026-11-21T16:30:00Z') });

it('reportUp writes the JUnit file, sets the outputs and writes a summary without the password', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-run-'));
  try {
    const key = path.join(dir, 'key');
    fs.writeFileSync(key, 'k', { mode: 0o600 });
    const env: Environment = {
      stackId: 'run1',
      nodes: [{ name: 'controller', instanceId: 'i-0123456789abcdef0', managementIp: '10.42.0.11', nics: [] }],
      controllerPublicIp: '198.51.100.12',
      sshPort: 22,
      routerPublicIp: '198.51.100.11',
      sshUser: 'ubuntu',
      privateKeyPath: key,
    };
    const results: CheckResult[] = [
      {
        id: 'keystone-token',
        name: 't',
        status: 'passed',
        seconds: 2,
        startedAt: Date.parse('2026-11-21T16:50:00Z'),
        notes: [],
      },
      {
        id: 'catalog',
        name: 'c',
        status: 'failed',
        seconds: 1,
        startedAt: Date.parse('2026-11-21T16:50:02Z'),
        notes: [],
        failure: { message: `bad ${PASSWORD}`, command: 'x', output: PASSWORD, hint: 'h' },
      },
    ];
    const timings = new Timings();
    recordCheckTimings(timings, results);
    expect(timings.toOutput().check).toEqual({ 'keystone-token': 2, catalog: 1 });
    const io = new RecordingIo();
    const { junitPath, outputs } = await reportUp({
      plan,
      env,
      io,
      workDir: dir,
      adminPassword: PASSWORD,
      results,
      timings,
      secrets: [PASSWORD],
    });
    expect(io.secrets[0]).toBe(PASSWORD);
    expect(io.outputs.get('junit-path')).toBe(junitPath);
    expect(outputs['smoke-result']).toBe('failed');
    const junit = fs.readFileSync(junitPath, 'utf8');
    expect(junit).toContain('timestamp="2026-11-21T16:50:00.000Z"');
    expect(junit).not.toContain(PASSWORD);
    expect(io.summaries).toHaveLength(1);
    expect(io.summaries[0]).toContain('| catalog | ❌ failed |');
    expect(io.summaries[0]).not.toContain(PASSWORD);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('reportTeardown appends the teardown result and the cost of the whole run', async () => {
  const io = new RecordingIo();
  await reportTeardown(
    io,
    plan,
    { stackId: 'run1', deleted: [{ kind: 'instance', id: 'i-1' }], leftovers: [], seconds: 61 },
    { billedSeconds: 5400 },
  );
  expect(io.summaries[0]).toContain('✅ deleted 1 resource(s) of stack `run1` in 1 min 1 s; 0 left over.');
  expect(io.summaries[0]).toContain('| 1 × m7i.xlarge | 1.50 instance-h | $0.30 |');
});

it('collects logs always with log-bundle: always, on failure with on-failure, never with never', () => {
  expect([true, false].map((f) => shouldCollectLogs('always', f))).toEqual([true, true]);
  expect([true, false].map((f) => shouldCollectLogs('on-failure', f))).toEqual([true, false]);
  expect([true, false].map((f) => shouldCollectLogs('never', f))).toEqual([false, false]);
});
