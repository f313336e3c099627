// A throw-away Debian 12/13 or Ubuntu 24.04/26.04 machine for the stage-script tests: a copy of a cached
// debootstrap rootfs, booted with systemd-nspawn in a network namespace this helper creates
// (ooa-devstages-<pid>), with three NICs (management veth to the host, provider and public veths
// inside the namespace) and apt going through an apt-cacher-ng instance this helper starts on the
// host side of the management veth. Nothing is routed anywhere: the namespace reaches only that proxy.

import { execFileSync, spawn, spawnSync } from 'child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'fs';
import { join } from 'path';
import { hostMirror } from '../../src/local/host-mirror';
import { cgroupEnv } from '../../src/local/machine';
import {
  aptSources,
  aptSourcesFile,
  debootstrapTail,
  OsArchive,
  osArchive,
  ubuntuArchiveKey,
} from '../../src/local/os-archives';
import type { OsId } from '../../src/settings/matrix';
import type { Environment, EnvironmentNode } from '../../src/provider';
import { SETTINGS_PATH, STAGES_DIR } from '../../src/remote/node-settings';

const CACHE_DIR = '/var/cache/openstack-on-aws';
export const ROOTFS_CACHE = `${CACHE_DIR}/dev-rootfs`;
const ACNG_CACHE = `${CACHE_DIR}/apt-cacher-ng`;
const DEBOOTSTRAP_INCLUDE =
  'systemd,systemd-sysv,dbus,openssh-server,iproute2,ifupdown,curl,ca-certificates,gnupg,less,procps,sudo,iptables,kmod';

/**
 * Which OS a machine runs: the local provider's archive recipe for it (src/local/os-archives.ts:
 * suite, archive, debootstrap script, Ubuntu's pinned archive key, the apt sources), with the
 * stage tests' own cache folder (their root file systems carry ifupdown and kmod as well).
 */
export interface RootfsSpec {
  archive: OsArchive;
  cache: string;
}

export function rootfsSpec(os: OsId, cache: string): RootfsSpec {
  return { archive: osArchive(os, hostMirror()), cache };
}

export const DEBIAN_BOOKWORM: RootfsSpec = rootfsSpec('debian-12', ROOTFS_CACHE);
export const UBUNTU_NOBLE: RootfsSpec = rootfsSpec('ubuntu-24.04', `${CACHE_DIR}/dev-rootfs-noble`);
export const DEBIAN_TRIXIE: RootfsSpec = rootfsSpec('debian-13', `${CACHE_DIR}/dev-rootfs-trixie`);
export const UBUNTU_RESOLUTE: RootfsSpec = rootfsSpec('ubuntu-26.04', `${CACHE_DIR}/dev-rootfs-resolute`);

export interface DevNode {
  id: string;
  netns: string;
  rootfs: string;
  workdir: string;
  nspawnPid: number;
  acngPid: number;
  /** Host side of the management veth; the proxy listens here. */
  hostIp: string;
  macs: { management: string; provider: string; public: string };
}

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds the cached rootfs once (debootstrap, ~65 s here for Debian); later runs copy it. */
export function ensureRootfs(spec: RootfsSpec = DEBIAN_BOOKWORM): void {
  if (existsSync(join(spec.cache, 'etc/os-release'))) return;
  const a = spec.archive;
  const tmp = `${spec.cache}.tmp-${process.pid}`;
  mkdirSync(CACHE_DIR, { recursive: true });
  const args = [`--include=${DEBOOTSTRAP_INCLUDE}`, `--components=${a.components.join(',')}`];
  if (a.needsUbuntuKey) args.push(`--keyring=${ubuntuArchiveKey(CACHE_DIR)}`);
  sh('debootstrap', [...args, ...debootstrapTail(a, tmp)]);
  renameSync(tmp, spec.cache);
}

/** The container's leader PID (its systemd), the child of the nspawn process. */
function leaderPid(nspawnPid: number): number | undefined {
  const out = spawnSync('pgrep', ['-P', String(nspawnPid)], { encoding: 'utf8' }).stdout.trim();
  const pid = Number(out.split('\n')[0]);
  return pid > 0 ? pid : undefined;
}

/** Runs a command inside the machine as root (all of its namespaces, a clean environment). */
export function inNode(
  node: DevNode,
  command: string,
  opts: { timeoutMs?: number } = {},
): { code: number; output: string; seconds: number } {
  const leader = leaderPid(node.nspawnPid);
  if (!leader) throw new Error(`machine ${node.id} has no leader process`);
  const started = Date.now();
  const r = spawnSync(
    'nsenter',
    [
      '-t',
      String(leader),
      '-m',
      '-u',
      '-i',
      '-n',
      '-p',
      '-r',
      '-w',
      '--',
      '/usr/bin/env',
      '-i',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOME=/root',
      'LANG=C.UTF-8',
      'bash',
      '-c',
      command,
    ],
    { encoding: 'utf8', timeout: opts.timeoutMs ?? 30 * 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return {
    code: r.status ?? -1,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}`,
    seconds: (Date.now() - started) / 1000,
  };
}

function macOf(netns: string, dev: string): string {
  return sh('ip', ['-n', netns, '-o', 'link', 'show', 'dev', dev]).match(/link\/ether ([0-9a-f:]{17})/)![1];
}

/**
 * Creates and boots the machine. `prefix` is the /16 of the emulated VPC: management .0.0/24
 * (host side .0.1, node .0.11), provider .1.0/24 (public NIC .1.12, provider NIC given .1.11 so
 * host-prep has an address to remove).
 */
export function startDevNode(
  prefix: string,
  acngPort: number,
  extraNspawnArgs: string[] = [],
  spec: RootfsSpec = DEBIAN_BOOKWORM,
): DevNode {
  ensureRootfs(spec);
  const id = `ooa-devstages-${process.pid}`;
  const workdir = `/var/tmp/${id}`;
  const rootfs = join(workdir, 'rootfs');
  mkdirSync(workdir, { recursive: true });
  sh('cp', ['-a', '--reflink=auto', spec.cache, rootfs]);
  const netns = id;
  const hostIf = `oods${process.pid}h`.slice(0, 15);
  const hostIp = `${prefix}.0.1`;
  sh('ip', ['netns', 'add', netns]);
  sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', netns]);
  sh('ip', ['addr', 'add', `${hostIp}/24`, 'dev', hostIf]);
  // nspawn keeps /proc/sys read-only inside: forwarding is set from outside, as the local provider does.
  sh('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  sh('ip', ['link', 'set', hostIf, 'up']);
  const nsIp = (...a: string[]) => sh('ip', ['-n', netns, ...a]);
  nsIp('link', 'add', 'prov0', 'type', 'veth', 'peer', 'name', 'prov0p');
  nsIp('link', 'add', 'pub0', 'type', 'veth', 'peer', 'name', 'pub0p');
  for (const dev of ['lo', 'mgmt0', 'prov0', 'prov0p', 'pub0', 'pub0p']) nsIp('link', 'set', dev, 'up');
  nsIp('addr', 'add', `${prefix}.0.11/24`, 'dev', 'mgmt0');
  nsIp('addr', 'add', `${prefix}.1.11/24`, 'dev', 'prov0');
  nsIp('addr', 'add', `${prefix}.1.12/24`, 'dev', 'pub0');
  nsIp('route', 'add', 'default', 'via', `${prefix}.0.1`, 'dev', 'mgmt0');

  // apt inside goes through our own apt-cacher-ng (cache kept between runs), nothing else.
  mkdirSync(ACNG_CACHE, { recursive: true });
  const acngLog = openSync(join(workdir, 'apt-cacher-ng.out'), 'a');
  // An own configuration without the package's mirror remapping: a plain caching proxy for the
  // host names in the machine's sources (the host resolves them).
  const acngConf = join(workdir, 'acng-conf');
  mkdirSync(acngConf, { recursive: true });
  writeFileSync(join(acngConf, 'acng.conf'), 'ExThreshold: 4\n');
  const acng = spawn(
    'apt-cacher-ng',
    [
      '-c',
      acngConf,
      'ForeGround=1',
      `Port=${acngPort}`,
      `BindAddress=${hostIp}`,
      `CacheDir=${ACNG_CACHE}`,
      `LogDir=${workdir}`,
      `SocketPath=${workdir}/acng.socket`,
      `PidFile=${workdir}/acng.pid`,
    ],
    { detached: true, stdio: ['ignore', acngLog, acngLog] },
  );
  acng.unref();
  writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/01proxy'), `Acquire::http::Proxy "http://${hostIp}:${acngPort}";\n`);
  writeFileSync(join(rootfs, 'etc/apt/sources.list.d', aptSourcesFile(spec.archive)), aptSources(spec.archive));
  writeFileSync(join(rootfs, 'etc/apt/sources.list'), '');

  const out = openSync(join(workdir, 'nspawn.out'), 'a');
  const nspawn = spawn(
    'systemd-nspawn',
    [
      '-D',
      rootfs,
      '-M',
      id,
      '--boot',
      '--register=no',
      '--keep-unit',
      `--network-namespace-path=/run/netns/${netns}`,
      '--console=read-only',
      '--resolv-conf=off',
      '--timezone=off',
      // As the local provider boots its nodes: OpenStack needs bridges, netns, iptables, taps.
      '--capability=all',
      '--private-users=no',
      '--bind=/dev/net/tun',
      '--link-journal=no',
      // E.g. --bind=/dev/loopN for the storage test's disks, as the local provider binds them.
      ...extraNspawnArgs,
    ],
    // systemd 258+ (Ubuntu 26.04's 259) refuses the host's hybrid cgroup layout: as the local
    // provider boots such machines, on the unified hierarchy.
    { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...cgroupEnv(rootfs) } },
  );
  nspawn.unref();
  const node: DevNode = {
    id,
    netns,
    rootfs,
    workdir,
    nspawnPid: nspawn.pid!,
    acngPid: acng.pid!,
    hostIp,
    macs: { management: macOf(netns, 'mgmt0'), provider: macOf(netns, 'prov0'), public: macOf(netns, 'pub0') },
  };
  for (let i = 0; i < 120; i++) {
    if (leaderPid(node.nspawnPid)) {
      const state = inNode(node, 'systemctl is-system-running 2>/dev/null || true').output.trim();
      if (state === 'running' || state === 'degraded') return node;
    }
    sleep(500);
  }
  // No afterAll can stop a node beforeAll never returned: its proxy, namespace and copy go here.
  const consoleTail = readFileSync(join(workdir, 'nspawn.out'), 'utf8').slice(-2000);
  stopDevNode(node);
  throw new Error(`machine ${id} did not boot:\n${consoleTail}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Powers the machine off, ends the proxy, deletes the namespace and the copy (keeps the caches). */
export function stopDevNode(node: DevNode): void {
  const leader = leaderPid(node.nspawnPid);
  if (alive(node.nspawnPid)) {
    process.kill(node.nspawnPid, 'SIGTERM'); // nspawn asks the container's systemd to power off
    for (let i = 0; i < 120 && alive(node.nspawnPid); i++) sleep(250);
    if (alive(node.nspawnPid)) process.kill(node.nspawnPid, 'SIGKILL');
  }
  // A SIGKILLed nspawn leaves the machine's init running; killing it ends its PID namespace.
  if (leader && alive(leader)) process.kill(leader, 'SIGKILL');
  if (alive(node.acngPid)) process.kill(node.acngPid, 'SIGTERM');
  spawnSync('ip', ['netns', 'del', node.netns]);
  spawnSync('rm', ['-rf', '--one-file-system', node.workdir]);
}

export interface StageRun {
  code: number;
  output: string;
  seconds: number;
}

/** Runs one stage script in the node, recording its seconds under the stage's name. */
export function runStage(node: DevNode, stage: string, timings: Record<string, number[]>, timeoutMs: number): StageRun {
  const r = inNode(node, `bash ${STAGES_DIR}/${stage}.sh`, { timeoutMs });
  (timings[stage] ??= []).push(r.seconds);
  return r;
}

/** Idempotence: every stage runs again, succeeds, says "nothing changed", and the snapshot is equal. */
export function expectRerunChangesNothing(
  stages: string[],
  stageRun: (stage: string) => StageRun,
  snapshot: () => string,
): void {
  const before = snapshot();
  for (const stage of stages) {
    const r = stageRun(stage);
    if (r.code !== 0) throw new Error(`${stage} (second run) failed (exit ${r.code}):\n${r.output.slice(-8000)}`);
    expect(r.output).toMatch(new RegExp(`stage ${stage} finished in \\d+s: nothing changed`));
  }
  expect(snapshot()).toBe(before);
}

/** The Environment of a dev node acting as the controller: its three NICs on the prefix's addresses. */
export function devControllerEnv(
  node: DevNode,
  prefix: string,
  stackId: string,
  disks: EnvironmentNode['disks'] = undefined,
): Environment {
  return {
    stackId,
    nodes: [
      {
        name: 'controller',
        instanceId: node.id,
        managementIp: `${prefix}.0.11`,
        nics: [
          { name: 'eth0', mac: node.macs.management, ip: `${prefix}.0.11` },
          { name: 'eth1', mac: node.macs.provider, ip: `${prefix}.1.11` },
          { name: 'eth2', mac: node.macs.public, ip: `${prefix}.1.12` },
        ],
        ...(disks ? { disks } : {}),
      },
    ],
    controllerPublicIp: `${prefix}.1.12`,
    routerPublicIp: `${prefix}.1.11`,
    sshPort: 22,
    sshUser: 'root',
    privateKeyPath: '/nonexistent',
  };
}

/** Puts the node's settings file (0600) and every stage script where the pipeline uploads them. */
export function installStages(node: DevNode, settingsText: string): void {
  const settingsFile = join(node.rootfs, SETTINGS_PATH);
  mkdirSync(join(settingsFile, '..'), { recursive: true });
  writeFileSync(settingsFile, settingsText, { mode: 0o600 });
  const stagesDir = join(node.rootfs, STAGES_DIR);
  mkdirSync(stagesDir, { recursive: true });
  const src = join(__dirname, '../../src/stages');
  for (const f of readdirSync(src).filter((x) => x.endsWith('.sh'))) copyFileSync(join(src, f), join(stagesDir, f));
}

/** Runs commands in the node; any failure fails the snapshot. */
export function snapshotOf(node: DevNode, commands: string[]): string {
  return commands
    .map((c) => {
      const r = inNode(node, c);
      if (r.code !== 0) throw new Error(`snapshot failed (${c}):\n${r.output}`);
      return r.output;
    })
    .join('\n=====\n');
}

/** Everything a re-run of the controller stages must leave as it was. */
export function controllerSnapshot(node: DevNode): string {
  return snapshotOf(node, [
    // /root/.cache holds the Python entry-point cache of the OpenStack client, not configuration.
    // /etc/openvswitch/conf.db is Open vSwitch's database: ovs-vswitchd writes interface statistics
    // into it every few seconds, so its bytes change on their own; its bridges are compared below.
    'find /etc /usr/local/sbin /root -xdev -type f -not -path /etc/ld.so.cache -not -path "/root/.cache/*" -not -path /etc/openvswitch/conf.db -print0 | sort -z | xargs -0 sha256sum',
    // The Open vSwitch bridges (where the L2 agent is OVS's): each one's datapath and ports.
    'if command -v ovs-vsctl >/dev/null; then for b in $(ovs-vsctl list-br); do echo "$b $(ovs-vsctl get bridge "$b" datapath_type)"; ovs-vsctl list-ports "$b"; done; fi',
    "mysql -N -B <<<'SELECT user, host FROM mysql.user ORDER BY 1,2; SHOW DATABASES;'",
    'rabbitmqctl -q list_users; rabbitmqctl -q list_user_permissions openstack',
    '. /root/admin-openrc; for o in user project role service endpoint domain region; do openstack $o list -f value | sort; done; openstack role assignment list --names -f value | sort',
  ]);
}

/** afterAll: stops the node (OOA_STAGES_KEEP=1 keeps it for a look inside) and prints the timings. */
export function finishDevNode(node: DevNode | undefined, timings: Record<string, number[]>, kept = ''): boolean {
  const keep = process.env.OOA_STAGES_KEEP === '1';
  if (node && !keep) stopDevNode(node);
  else if (node)
    process.stdout.write(
      `kept machine ${node.id}: nspawn PID ${node.nspawnPid}, apt-cacher-ng PID ${node.acngPid}${kept}\n`,
    );
  // Numbers for the report (not assertions): seconds per run of each stage.
  process.stdout.write(`stage timings (s, first run / second run): ${JSON.stringify(timings)}\n`);
  return keep;
}
