// One systemd-nspawn machine per node, booted in the network namespace whose NICs the VPC attached.
// Flags measured on this kind of host (notes/local-host.md): without a host systemd, --register=no
// and --keep-unit are both required; the console goes to a log file.

import { spawn } from 'child_process';
import * as fs from 'fs';
import type { Run } from './exec';
import { childrenOf, cmdlineOf, isAlive, netnsInode, signal, waitGone } from './processes';
import { realSleep, Sleep } from '../core/retry';

interface MachineSpec {
  name: string;
  dir: string;
  netnsPath: string;
  consoleLog: string;
  pidfile: string;
  leaderPidfile: string;
  /** Host block devices (the node's loop disks) bound into the machine under the same path. */
  devices?: string[];
}

interface RunningMachine {
  /** The systemd-nspawn process. */
  pid: number;
  /** The machine's PID 1 (systemd), child of nspawn in its own PID namespace. */
  leaderPid: number;
}

export function nspawnArgs(m: Pick<MachineSpec, 'name' | 'dir' | 'netnsPath' | 'devices'>): string[] {
  return [
    '-D',
    m.dir,
    '-M',
    m.name,
    '--boot',
    '--register=no',
    '--keep-unit',
    `--network-namespace-path=${m.netnsPath}`,
    '--console=read-only',
    // OpenStack inside needs to make bridges, namespaces, iptables rules, taps, and run libvirt.
    '--capability=all',
    '--private-users=no',
    '--bind=/dev/net/tun',
    // A bound device node is usable as is: without a host systemd nspawn sets no device policy
    // (measured: pvcreate, mkfs.xfs and mount work on a bound /dev/loopN).
    ...(m.devices ?? []).map((d) => `--bind=${d}`),
    '--link-journal=no',
    '--resolv-conf=off',
    '--timezone=off',
  ];
}

/** The systemd version a root file system carries (its libsystemd-shared-NNN.so), if any. */
export function systemdVersion(dir: string): number | undefined {
  for (const lib of ['usr/lib/systemd', 'usr/lib/x86_64-linux-gnu/systemd']) {
    try {
      for (const f of fs.readdirSync(`${dir}/${lib}`)) {
        const m = /^libsystemd-(?:shared|core)-(\d+)/.exec(f);
        if (m) return Number(m[1]);
      }
    } catch {
      // not there
    }
  }
  return undefined;
}

/**
 * systemd 258 and later boot only on the unified cgroup hierarchy (v1 support was removed);
 * on a host with the hybrid layout nspawn gives a machine the host's layout unless told otherwise.
 * Older machines keep what has been measured to work (notes/local-host.md).
 */
export function cgroupEnv(dir: string): Record<string, string> {
  const v = systemdVersion(dir);
  return v !== undefined && v >= 258 ? { SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' } : {};
}

/** Starts the machine detached (it outlives this process: the post step or `down` stops it). */
export async function startMachine(m: MachineSpec, sleep: Sleep = realSleep): Promise<RunningMachine> {
  const log = fs.openSync(m.consoleLog, 'a');
  const child = spawn('systemd-nspawn', nspawnArgs(m), {
    detached: true,
    stdio: ['ignore', log, log],
    // nspawn mounts /proc/sys read-only; with a namespace given by path it does not reopen
    // /proc/sys/net as it does for its own veths. Neutron (qrouter forwarding) and the controller's
    // NAT need to write there; the rest of /proc/sys and /sys stays read-only.
    env: { ...process.env, SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network', ...cgroupEnv(m.dir) },
  });
  fs.closeSync(log);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`systemd-nspawn for ${m.name} did not start`);
  fs.writeFileSync(m.pidfile, `${pid}\n`);
  // The leader appears as nspawn's child once the machine's namespaces exist.
  const netns = netnsInode(m.netnsPath);
  for (let i = 0; i < 100; i++) {
    const leader = childrenOf(pid).find((c) => netnsInode(c) === netns);
    if (leader) {
      fs.writeFileSync(m.leaderPidfile, `${leader}\n`);
      return { pid, leaderPid: leader };
    }
    if (!isAlive(pid)) break;
    await sleep(100);
  }
  const tail = fs.existsSync(m.consoleLog)
    ? fs.readFileSync(m.consoleLog, 'utf8').split('\n').slice(-15).join('\n')
    : '';
  throw new Error(`machine ${m.name} did not start (systemd-nspawn PID ${pid}):\n${tail}`);
}

/** True when the PID still runs systemd-nspawn for this machine (not a reused PID). */
export function isOurNspawn(pid: number, name: string): boolean {
  const cmd = cmdlineOf(pid);
  return !!cmd && cmd.includes('systemd-nspawn') && cmd.includes(` -M ${name} `) && isAlive(pid);
}

/** True when the PID is a machine leader inside the given network namespace. */
function isLeaderIn(pid: number, netnsPath: string): boolean {
  const ns = netnsInode(netnsPath);
  return !!ns && netnsInode(pid) === ns && isAlive(pid);
}

/**
 * SIGTERM to nspawn (it asks the machine's systemd to power off), wait, then SIGKILL the machine's
 * leader (which ends its whole PID namespace) and nspawn. Returns the PIDs that were ended.
 */
export async function stopMachine(
  name: string,
  pid: number | undefined,
  leader: { pid: number; netnsPath: string } | undefined,
  graceMs = 20_000,
  sleep: Sleep = realSleep,
): Promise<number[]> {
  const ended: number[] = [];
  const nspawn = pid !== undefined && isOurNspawn(pid, name) ? pid : undefined;
  const leaderPid = leader && isLeaderIn(leader.pid, leader.netnsPath) ? leader.pid : undefined;
  if (nspawn) {
    signal(nspawn, 'SIGTERM');
    ended.push(nspawn);
    const left = await waitGone([nspawn, ...(leaderPid ? [leaderPid] : [])], graceMs, sleep);
    if (!left.length) return ended;
  }
  if (leaderPid && isAlive(leaderPid)) {
    signal(leaderPid, 'SIGKILL');
    ended.push(leaderPid);
  }
  if (nspawn && isAlive(nspawn)) signal(nspawn, 'SIGKILL');
  await waitGone([...(nspawn ? [nspawn] : []), ...(leaderPid ? [leaderPid] : [])], 5_000, sleep);
  return ended;
}

/** Waits until sshd accepts connections on ip:22 as seen from inside the node's own namespace. */
export async function waitForSshd(
  run: Run,
  netns: string,
  ip: string,
  timeoutMs = 90_000,
  sleep: Sleep = realSleep,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await run('ip', ['netns', 'exec', netns, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${ip}/22`], {
      allowFailure: true,
    });
    if (r.code === 0) return;
    if (Date.now() > deadline)
      throw new Error(`sshd on ${ip} (netns ${netns}) did not answer within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}
