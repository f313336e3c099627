// The stage runner over real SSH: a "controller" sshd on 127.0.0.1 and a "compute1" sshd on
// 127.0.0.2 reached through it. Small stand-in stage scripts (the real ones install OpenStack)
// prove uploads, settings mode, copies between nodes, grouped output, timings and the failure path.
// Both servers share this host's file system, so each node gets its own directory for its files.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RemoteCommandError } from '../../src/core/errors';
import type { StageSpec } from '../../src/plan/types';
import type { Environment } from '../../src/provider';
import { closeAll, connectEnvironment } from '../../src/remote/connect';
import type { SshSession } from '../../src/remote/session';
import { runOneStage, runStages } from '../../src/remote/stage-runner';
import { generatePassword, generateSshKey } from '../../src/core/secrets';
import { sshdAvailable, startSshd, TestSshd } from '../helpers/sshd';

const describeIfSshd = sshdAvailable() ? describe : describe.skip;

function recordingIo() {
  const log: string[] = [];
  return {
    log,
    io: {
      info: (m: string) => log.push(m),
      warning: (m: string) => log.push(`warning: ${m}`),
      group: async <T>(title: string, fn: () => Promise<T>) => {
        log.push(`::group::${title}`);
        try {
          return await fn();
        } finally {
          log.push('::endgroup::');
        }
      },
    },
  };
}

describeIfSshd('runStages over real SSH with a jump host', () => {
  const key = generateSshKey('ooa-test-stage-runner');
  const secret = generatePassword();
  let controller: TestSshd;
  let compute: TestSshd;
  let sessions: Map<string, SshSession>;
  let base: string;
  let stagesDir: string;
  const ring = () => path.join(base, 'shared', 'object.ring.gz');
  const remotePaths = (node: string) => ({
    stagesDir: path.join(base, node, 'stages'),
    settingsPath: path.join(base, node, 'settings.env'),
  });
  const settingsFor = (node: string) => `NODE_NAME='${node}'\nPASS_ADMIN='${secret}'\n`;

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-stage-runner-it-'));
    stagesDir = path.join(base, 'bundle');
    fs.mkdirSync(stagesDir);
    const write = (name: string, body: string) => fs.writeFileSync(path.join(stagesDir, name), body);
    write('lib.sh', 'set -euo pipefail\n. "$(dirname "$0")/../settings.env"\nlog() { echo "[$NODE_NAME] $*"; }\n');
    write(
      'produce.sh',
      `. "$(dirname "$0")/lib.sh"\nfor i in $(seq 1 45); do log "line $i"; done\nmkdir -p ${path.dirname(ring())}\n` +
        `(umask 077; printf 'RING\\001\\002' > ${ring()})\nlog produced\n`,
    );
    write('consume.sh', `. "$(dirname "$0")/lib.sh"\nlog "ring is $(od -An -tx1 ${ring()} | tr -d ' \\n')"\n`);
    write('finish.sh', `. "$(dirname "$0")/lib.sh"\nlog "all done"\n`);
    write('fails.sh', `. "$(dirname "$0")/lib.sh"\nfor i in $(seq 1 45); do log "step $i"; done\nexit 4\n`);
    controller = await startSshd({ id: 'runner-controller', listenAddress: '127.0.0.1', key, recordCommands: true });
    compute = await startSshd({ id: 'runner-compute', listenAddress: '127.0.0.2', key, recordCommands: true });
    const env: Environment = {
      stackId: 'runnertest',
      nodes: [
        { name: 'controller', instanceId: 'local-1', managementIp: '127.0.0.1', nics: [] },
        { name: 'compute1', instanceId: 'local-2', managementIp: compute.host, nics: [] },
      ],
      controllerPublicIp: controller.host,
      sshPort: controller.port,
      routerPublicIp: '198.51.100.2',
      sshUser: 'root',
      privateKeyPath: '',
    };
    sessions = await connectEnvironment(env, {
      io: recordingIo().io,
      privateKey: key.privateKey,
      hostKeys: { controller: controller.hostKey.publicKey, compute1: compute.hostKey.publicKey },
      innerPort: compute.port,
      execRunDir: path.join(base, 'run'),
    });
  });

  afterAll(async () => {
    if (sessions) await closeAll(sessions);
    await compute?.dispose();
    await controller?.dispose();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  const spec = (node: string, stage: string, after: string[] = [], extra: Partial<StageSpec> = {}): StageSpec => ({
    id: `${node}:${stage}`,
    node,
    stage,
    after,
    timeoutMinutes: 1,
    ...extra,
  });

  test('runs the graph, uploads 0600 settings, copies files between nodes, groups output, records timings', async () => {
    const { io, log } = recordingIo();
    const stages = [
      spec('controller', 'produce'),
      spec('compute1', 'consume', ['controller:produce'], { copies: [{ fromNode: 'controller', paths: [ring()] }] }),
      spec('controller', 'finish', ['controller:produce', 'compute1:consume']),
    ];
    const timings = await runStages({
      plan: { stages },
      sessions: (n) => sessions.get(n)!,
      io,
      stagesDir,
      settingsFor,
      remotePaths,
    });
    expect(timings.map((t) => [t.id, t.ok])).toEqual([
      ['controller:produce', true],
      ['compute1:consume', true],
      ['controller:finish', true],
    ]);
    for (let i = 1; i < timings.length; i++) {
      expect(timings[i].startedAt).toBeGreaterThanOrEqual(
        timings[i - 1].startedAt + timings[i - 1].seconds * 1000 - 100,
      );
    }
    for (const node of ['controller', 'compute1']) {
      const st = fs.statSync(remotePaths(node).settingsPath);
      expect(st.mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(remotePaths(node).settingsPath, 'utf8')).toBe(settingsFor(node));
    }
    // Each node got only its own scripts.
    expect(fs.readdirSync(remotePaths('compute1').stagesDir).sort()).toEqual(['consume.sh', 'lib.sh']);
    expect(fs.readdirSync(remotePaths('controller').stagesDir).sort()).toEqual(['finish.sh', 'lib.sh', 'produce.sh']);
    // The copy: read on the controller, written on compute1 (mode 0644 replaces the producer's 0600).
    // (Recorded lines hold the wrapped command, so look for the path and the verb, not exact quoting.)
    expect(controller.commands().some((c) => c.includes(ring()) && c.includes('cat '))).toBe(true);
    expect(compute.commands().some((c) => c.includes(ring()) && c.includes('mktemp'))).toBe(true);
    expect(fs.statSync(ring()).mode & 0o777).toBe(0o644);
    // One group per stage with that stage's output.
    const g = log.indexOf(log.find((l) => l.startsWith('::group::compute1: consume (finished in '))!);
    expect(log[g + 1]).toBe('[compute1] ring is 52494e470102');
    const p = log.indexOf(log.find((l) => l.startsWith('::group::controller: produce (finished in '))!);
    expect(log[p + 1].split('\n')).toHaveLength(46);
    // The secret never reached a command line on either server.
    for (const server of [controller, compute]) {
      expect(server.commands().filter((c) => c.includes(secret))).toEqual([]);
      expect(server.log()).not.toContain(secret);
    }
  });

  test('a failing stage throws RemoteCommandError with its node, stage, exit code and last 40 lines', async () => {
    const { io, log } = recordingIo();
    const stages = [spec('compute1', 'fails'), spec('controller', 'finish', ['compute1:fails'])];
    const err = await runStages({
      plan: { stages },
      sessions: (n) => sessions.get(n)!,
      io,
      stagesDir,
      settingsFor,
      remotePaths,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    const e = err as RemoteCommandError;
    expect([e.node, e.stage, e.exitCode]).toEqual(['compute1', 'fails', 4]);
    expect(e.tail.split('\n')).toHaveLength(40);
    expect(e.tail.split('\n')[39]).toBe('[compute1] step 45');
    expect(log).toContain('Not started because of the failure: controller:finish');
  });

  test('runOneStage re-runs one stage by hand and streams its lines inside a group', async () => {
    const { io, log } = recordingIo();
    const t = await runOneStage({
      session: sessions.get('controller')!,
      stage: 'finish',
      io,
      stagesDir,
      timeoutMinutes: 1,
      remotePaths: remotePaths('controller'),
    });
    expect([t.id, t.ok]).toEqual(['controller:finish', true]);
    expect(log[0]).toBe('::group::controller: finish');
    expect(log).toContain('[controller] all done');
    expect(log[log.length - 1]).toBe('::endgroup::');
  });
});
