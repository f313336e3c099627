// The storage stages for real on Debian 12 with OpenStack Zed: one nspawn machine acts as the
// controller, the block node and an object node at once, with three loop-device disks made by the
// local provider's own code (src/local/disks.ts) and bound in as the provider binds them. The
// controller prerequisites run once; cinder-controller, cinder-volume, swift-proxy and
// swift-storage run twice, and the second run must change nothing. Slow (package installs): runs
// only with OOA_STAGES_REAL=1, i.e. `npm run test:stages`.
//
// The Plan has no all-in-one topology: its block and object roles are separate nodes. So the
// settings are rendered by the real code (renderNodeSettings) for a `full` plan whose controller carries
// block1's and object1's extra disks (one device name each), and SWIFT_STORAGE_IPS names this
// machine instead of object1/object2 (the ring then has this node's d1 and d2 only).

import { rmSync } from 'fs';
import { createNodeDisks, detachLoops, LoopDisk, stackLoops } from '../../src/local/disks';
import { runHost } from '../../src/local/exec';
import type { LocalPaths } from '../../src/local/paths';
import { buildPlan } from '../../src/plan/plan';
import type { Plan, PlannedDisk, PlannedNode } from '../../src/plan/types';
import { renderNodeSettings } from '../../src/remote/node-settings';
import { generateStackSecrets } from '../../src/core/secrets';
import { settingsFrom } from '../helpers/inputs';
import { describeIf, needEnv, needRoot, STAGES_RUN } from '../helpers/requires';
import {
  devControllerEnv,
  DevNode,
  expectRerunChangesNothing,
  finishDevNode,
  inNode,
  installStages,
  runStage,
  StageRun,
  startDevNode,
} from './stages-container';

const describeReal = describeIf([needEnv('OOA_STAGES_REAL'), needRoot()], STAGES_RUN);
const PREREQUISITES = ['host-prep', 'repositories', 'mariadb', 'rabbitmq', 'memcached', 'keystone'];
const STORAGE = ['cinder-controller', 'cinder-volume', 'swift-proxy', 'swift-storage'];
// Own defaults, apart from stages-debian.test.ts's (10.197, 3143), so both can run side by side.
const PREFIX = process.env.OOA_STAGES_PREFIX ?? '10.198';
const ACNG_PORT = Number(process.env.OOA_STAGES_ACNG_PORT ?? 3144);
const MIN = 60_000;
const STACK_ID = 'devstorage';
const PATHS: LocalPaths = {
  cacheDir: '/nonexistent',
  stateRoot: `/var/tmp/ooa-devstorage-${process.pid}`,
  netnsDir: '/run/netns',
};

const timings: Record<string, number[]> = {};
let node: DevNode | undefined;
let disks: LoopDisk[] = [];

function stageRun(stage: string): StageRun {
  return runStage(node!, stage, timings, 30 * MIN);
}

function must(command: string): string {
  const r = inNode(node!, command);
  if (r.code !== 0) throw new Error(`${command} failed (exit ${r.code}):\n${r.output}`);
  return r.output;
}

/** The controller of a `full` plan with block1's and object1's extra disks as its own. */
function allInOneController(plan: Plan): PlannedNode {
  const controller = plan.nodes.find((n) => n.role === 'controller')!;
  const extra = (role: string) =>
    plan.nodes.find((n) => n.role === role)!.disks.filter((d: PlannedDisk) => d.purpose !== 'root');
  const devices = ['/dev/sdf', '/dev/sdg', '/dev/sdh'];
  const moved = [...extra('block'), ...extra('object')].map((d, i) => ({ ...d, device: devices[i] }));
  return { ...controller, disks: [...controller.disks, ...moved] };
}

/** Everything a re-run of the storage stages must leave as it was. */
function snapshot(): string {
  return [
    // /root/.cache is the OpenStack client's entry-point cache. The ring builders keep backups only
    // when they change, so they are covered here too. /srv/node's contents are Swift's data, which
    // its replicators and auditors keep rewriting: only the mounts count.
    must(
      'find /etc /root -xdev -type f -not -path /etc/ld.so.cache -not -path "/root/.cache/*" -print0 | sort -z | xargs -0 sha256sum',
    ),
    must('findmnt -rn -o TARGET,SOURCE,FSTYPE | grep /srv/node | sort'),
    must('LVM_SUPPRESS_FD_WARNINGS=1 vgs --noheadings -o vg_name,pv_name,vg_uuid'),
    must("mysql -N -B <<<'SELECT user, host FROM mysql.user ORDER BY 1,2; SHOW DATABASES;'"),
    must(
      '. /root/admin-openrc; for o in user service endpoint; do openstack $o list -f value | sort; done; openstack role assignment list --names -f value | sort',
    ),
  ].join('\n=====\n');
}

/** Polls (inside the machine) until the command prints something matching, up to `seconds`. */
function waitFor(command: string, pattern: RegExp, seconds: number): string {
  let last = '';
  for (let i = 0; i < seconds / 5; i++) {
    last = inNode(node!, command).output;
    if (pattern.test(last)) return last;
    inNode(node!, 'sleep 5');
  }
  return last;
}

describeReal('storage stages on Debian 12 + Zed in one nspawn machine with loop disks', () => {
  beforeAll(async () => {
    const settings = settingsFrom({
      provider: 'local',
      os: 'debian-12',
      release: 'zed',
      topology: 'full',
      'vpc-cidr': `${PREFIX}.0.0/16`,
      'stack-id': STACK_ID,
      'ping-target': '203.0.113.10',
      'image-url': 'file:///var/tmp/unused.img',
    });
    const full = buildPlan(settings, { now: new Date() });
    const controller = allInOneController(full);
    const plan: Plan = { ...full, nodes: full.nodes.map((n) => (n.role === 'controller' ? controller : n)) };
    // The Plan's sizes (40 GiB for Cinder, 20 GiB per Swift disk): sparse, so they cost what is written.
    disks = await createNodeDisks(runHost, PATHS, STACK_ID, controller);
    node = startDevNode(
      PREFIX,
      ACNG_PORT,
      disks.map((d) => `--bind=${d.loop}`),
    );
    const env = devControllerEnv(
      node,
      PREFIX,
      plan.stackId,
      disks.map((d) => ({ device: d.device, path: d.loop })),
    );
    // The node is its own (only) Swift storage node.
    const secrets = generateStackSecrets(plan.stackId, () => undefined);
    installStages(node, renderNodeSettings(plan, env, secrets, 'controller', { SWIFT_STORAGE_IPS: `${PREFIX}.0.11` }));
  }, 5 * MIN);

  afterAll(async () => {
    if (finishDevNode(node, timings, `, disks ${disks.map((d) => d.loop).join(' ')}`)) return;
    const left = await detachLoops(
      runHost,
      await stackLoops(runHost, PATHS, STACK_ID),
      (ms) => new Promise((r) => setTimeout(r, ms)),
    );
    if (left.length) process.stdout.write(`loop devices still attached: ${JSON.stringify(left)}\n`);
    rmSync(PATHS.stateRoot, { recursive: true, force: true });
  }, 5 * MIN);

  test(
    'the controller prerequisites, then every storage stage, succeed on a fresh machine',
    () => {
      for (const stage of [...PREREQUISITES, ...STORAGE]) {
        const r = stageRun(stage);
        if (r.code !== 0) throw new Error(`${stage} failed (exit ${r.code}):\n${r.output.slice(-8000)}`);
        expect(r.output).toContain(`stage ${stage} finished`);
      }
    },
    60 * MIN,
  );

  test('the volume group cinder-volumes lies on the Cinder loop disk, and LVM scans only that disk', () => {
    const cinderDisk = disks.find((d) => d.device === '/dev/sdf')!;
    expect(
      must('LVM_SUPPRESS_FD_WARNINGS=1 vgs --noheadings -o vg_name,pv_name cinder-volumes').trim().split(/\s+/),
    ).toEqual(['cinder-volumes', cinderDisk.loop]);
    expect(must('LVM_SUPPRESS_FD_WARNINGS=1 lvmconfig devices/filter')).toContain(`a|^${cinderDisk.loop}$|`);
  });

  test('cinder-scheduler and cinder-volume report up, and keep sending heartbeats', () => {
    // A service is shown up for a minute after its last heartbeat, and a volume service whose
    // driver failed to start stops sending them: so "up" counts only when the heartbeat advances.
    const list =
      '. /root/admin-openrc && openstack volume service list -f value -c Binary -c Host -c State -c "Updated At"';
    const heartbeat = (out: string, binary: string) => out.match(new RegExp(`^${binary} \\S+ up (\\S+)$`, 'm'))?.[1];
    const first = waitFor(list, /^cinder-volume controller@lvm up /m, 180);
    inNode(node!, 'sleep 30');
    const second = must(list);
    expect(second).toMatch(/^cinder-scheduler controller up \S+$/m);
    expect(second).toMatch(/^cinder-volume controller@lvm up \S+$/m);
    for (const binary of ['cinder-scheduler', 'cinder-volume']) {
      expect(heartbeat(second, binary)).toBeDefined();
      expect(heartbeat(second, binary)).not.toBe(heartbeat(first, binary));
    }
  });

  test('both Swift disks are mounted XFS under /srv/node, and the rings hold them', () => {
    for (const [label, device] of [
      ['d1', '/dev/sdg'],
      ['d2', '/dev/sdh'],
    ]) {
      const loop = disks.find((d) => d.device === device)!.loop;
      expect(must(`findmnt -n -o SOURCE,FSTYPE /srv/node/${label}`).trim().split(/\s+/)).toEqual([loop, 'xfs']);
    }
    const ring = must('swift-ring-builder /etc/swift/object.builder');
    expect(ring).toMatch(new RegExp(`${PREFIX.replace('.', '\\.')}\\.0\\.11:6200\\s+\\S*\\s*d1`));
    expect(ring).toMatch(new RegExp(`${PREFIX.replace('.', '\\.')}\\.0\\.11:6200\\s+\\S*\\s*d2`));
  });

  test('a file round-trips through Swift: container create, object create, download', () => {
    const r = inNode(
      node!,
      [
        'set -e',
        '. /root/demo-openrc',
        'cd "$(mktemp -d)"',
        'head -c 300000 /dev/urandom > payload.bin',
        'openstack container create ooa-storage-test >/dev/null',
        'openstack object create ooa-storage-test payload.bin >/dev/null',
        'openstack object save --file back.bin ooa-storage-test payload.bin',
        'cmp payload.bin back.bin && echo ROUNDTRIP-OK',
        'openstack object show -f value -c content-length ooa-storage-test payload.bin',
        'openstack object delete ooa-storage-test payload.bin',
        'openstack container delete ooa-storage-test',
      ].join('\n'),
    );
    if (r.code !== 0) throw new Error(`Swift round trip failed (exit ${r.code}):\n${r.output}`);
    expect(r.output).toContain('ROUNDTRIP-OK');
    expect(r.output).toMatch(/^300000$/m);
  });

  test(
    'a second run of every storage stage succeeds and changes nothing',
    () => {
      expectRerunChangesNothing(STORAGE, stageRun, snapshot);
    },
    30 * MIN,
  );
});
