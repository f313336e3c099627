// The stage runner over real SSH: a "controller" sshd on 127.0.0.1 and a "compute1" sshd on
// 127.0.0.2 reached through it. Small stand-in stage scripts (the real ones install OpenStack)
// prove uploads, settings mode, copies between nodes, grouped output, timings and the failure path;
// stages on the real lib.sh prove the quiet output (progress lines on the log, everything in the
// node's log file, the tail on failure). Both servers share this host's file system, so each node
// gets its own directory for its files.

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
import { sshdNeeds, startSshd, TestSshd } from '../helpers/sshd';
import { AS_ROOT, describeIf } from '../helpers/requires';

const REAL_LIB = path.join(__dirname, '..', '..', 'src', 'stages', 'lib.sh');

const describeIfSshd = describeIf(sshdNeeds(), AS_ROOT);

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
    // A stand-in lib.sh whose log writes lib.sh's progress format: "HH:MM:SS [<stage>] text".
    write(
      'lib.sh',
      'set -euo pipefail\n. "$(dirname "$0")/../settings.env"\nSTAGE="$(basename "$0" .sh)"\n' +
        'log() { printf \'%s [%s] %s\\n\' "$(date -u +%H:%M:%S)" "$STAGE" "[$NODE_NAME] $*"; }\n',
    );
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
    expect(log[g + 1].split('\n')[0]).toMatch(/^\d\d:\d\d:\d\d \[consume\] \[compute1\] ring is 52494e470102$/);
    const p = log.indexOf(log.find((l) => l.startsWith('::group::controller: produce (finished in '))!);
    // 46 progress lines and the result line.
    expect(log[p + 1].split('\n')).toHaveLength(47);
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
    expect(e.tail.split('\n')[39]).toMatch(/\[fails\] \[compute1\] step 45$/);
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
    expect(log.some((l) => /^\d\d:\d\d:\d\d \[finish\] \[controller\] all done$/.test(l))).toBe(true);
    expect(log[log.length - 1]).toBe('::endgroup::');
  });

  describe('quiet stages on the real lib.sh', () => {
    let quietDir: string;
    const logDir = (node: string) => path.join(base, node, 'log');
    // The real lib.sh, told where this node's settings and logs are (production: /etc, /var/log).
    const quietStage = (name: string, body: string) =>
      [
        '#!/usr/bin/env bash',
        'set -euo pipefail',
        `export OOA_SETTINGS=${path.join(base, 'compute1', 'settings.env')} OOA_LOG_DIR=${logDir('compute1')}`,
        '. "$(dirname "$0")/lib.sh"',
        `stage_begin ${name}`,
        body,
        'stage_end',
        '',
      ].join('\n');
    const noise = 'for i in $(seq 1 10000); do echo "Unpacking package-$i (1.0-$i) over (0.9) ..."; done';
    const quietSettings = (node: string) => `${settingsFor(node)}OS_FAMILY='debian'\nNODE_ROLE='compute'\n`;

    beforeAll(() => {
      quietDir = path.join(base, 'quiet-bundle');
      fs.mkdirSync(quietDir);
      // The real library: lib.sh and the parts it loads from beside itself.
      for (const f of fs.readdirSync(path.dirname(REAL_LIB)).filter((n) => /^lib(-[a-z]+)?\.sh$/.test(n)))
        fs.copyFileSync(path.join(path.dirname(REAL_LIB), f), path.join(quietDir, f));
      const write = (name: string, body: string) => fs.writeFileSync(path.join(quietDir, `${name}.sh`), body);
      write('noisy', quietStage('noisy', `log "unpacking the packages"\n${noise}\nlog "packages unpacked"`));
      write(
        'noisy-fails',
        quietStage(
          'noisy-fails',
          `log "unpacking the packages"\n${noise}\necho "connection = mysql://nova:$PASS_ADMIN@db/nova"\n` +
            `echo "E: Sub-process /usr/bin/dpkg returned an error code (1)" >&2\nfalse\nlog "never here"`,
        ),
      );
    });

    const run = (stage: string) => {
      const { io, log } = recordingIo();
      const work = runStages({
        plan: { stages: [spec('compute1', stage)] },
        sessions: (n) => sessions.get(n)!,
        io,
        stagesDir: quietDir,
        settingsFor: quietSettings,
        remotePaths,
        secrets: [secret],
      });
      return { log, work };
    };

    test('a stage that prints 10k lines shows only its progress lines; its node keeps every line', async () => {
      const { log, work } = run('noisy');
      await work;
      const printed = log.join('\n');
      expect(printed).not.toContain('Unpacking package-');
      const g = log.findIndex((l) => l.startsWith('::group::compute1: noisy (finished in '));
      const body = log[g + 1].split('\n');
      const stamp = '\\d\\d:\\d\\d:\\d\\d \\[noisy\\] ';
      expect(body.slice(0, -1).map((l) => l.replace(new RegExp(`^${stamp}`), ''))).toEqual([
        'stage noisy begins on compute1 (compute; , OpenStack  from )',
        'unpacking the packages',
        'packages unpacked',
        expect.stringMatching(/^stage noisy finished in \d+s: nothing changed$/),
      ]);
      expect(body[body.length - 1]).toMatch(
        /^✔ finished in [\d.]+ s \(10004 line\(s\) of output in \/var\/log\/openstack-on-aws\/noisy.log on compute1\)$/,
      );
      expect(Buffer.byteLength(printed)).toBeLessThan(2000);
      const file = fs.readFileSync(path.join(logDir('compute1'), 'noisy.log'), 'utf8').split('\n');
      expect(file.filter((l) => l.startsWith('Unpacking package-'))).toHaveLength(10000);
      expect(file).toContain('Unpacking package-10000 (1.0-10000) over (0.9) ...');
      expect(file.some((l) => /\[noisy\] packages unpacked$/.test(l))).toBe(true);
    });

    test('on failure the group shows the masked tail of all output, and the node keeps all of it', async () => {
      const { log, work } = run('noisy-fails');
      const err = (await work.catch((e: unknown) => e)) as RemoteCommandError;
      expect(err).toBeInstanceOf(RemoteCommandError);
      expect([err.node, err.stage, err.exitCode]).toEqual(['compute1', 'noisy-fails', 1]);
      const g = log.findIndex((l) => l.startsWith('::group::compute1: noisy-fails (FAILED in '));
      const body = log[g + 1];
      const [progress, tail] = body.split('\nLast lines of its output:\n');
      expect(progress).toMatch(/\[noisy-fails\] unpacking the packages\n/);
      expect(progress).toMatch(/\[noisy-fails\] FAILED \(exit 1\) at noisy-fails.sh:\d+: false\n✖ FAILED in /);
      expect(progress).not.toContain('Unpacking package-');
      const tailLines = tail.split('\n');
      expect(tailLines).toHaveLength(40);
      expect(tailLines[36]).toBe('Unpacking package-10000 (1.0-10000) over (0.9) ...');
      expect(tailLines[37]).toBe('connection = mysql://nova:***@db/nova');
      expect(tailLines[38]).toBe('E: Sub-process /usr/bin/dpkg returned an error code (1)');
      expect(tailLines[39]).toMatch(/\[noisy-fails\] FAILED \(exit 1\) at noisy-fails.sh:\d+: false$/);
      expect(log.join('\n')).not.toContain(secret);
      expect(log.join('\n')).not.toContain('never here');
      const file = fs.readFileSync(path.join(logDir('compute1'), 'noisy-fails.log'), 'utf8');
      expect(file.split('\n').filter((l) => l.startsWith('Unpacking package-'))).toHaveLength(10000);
      expect(file).toContain('E: Sub-process /usr/bin/dpkg returned an error code (1)');
    });
  });
});
