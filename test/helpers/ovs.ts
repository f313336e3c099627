// A private Open vSwitch for one test: ovsdb-server and ovs-vswitchd started inside a namespace the
// test created, with their database, sockets, pid files and logs under the test's own directory, so
// no system OVS is touched (none needs to run). Ended by their pids; the directory goes with them.
//
// There is no openvswitch kernel module here, so bridges must use the userspace datapath
// (datapath_type=netdev): "system" ports are read and written through AF_PACKET sockets and internal
// ports are tap devices, both served by ovs-vswitchd itself.

import * as fs from 'fs';
import * as path from 'path';
import type { RemoteSession } from '../../src/remote/types';
import { nsExec, RunResult } from '../../src/local/vpc';
import { sq } from '../../src/netfix/shell';
import { needFile, needRoot, Unmet } from './requires';
import { alive } from './sshd';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export const hasOvs = fs.existsSync('/usr/sbin/ovs-vswitchd') && fs.existsSync(SCHEMA);

/** What a private OVS needs: root (it runs in a namespace) and the daemons with their schema. */
export function ovsNeeds(): Unmet[] {
  return [needRoot(), needFile('/usr/sbin/ovs-vswitchd', 'openvswitch-switch'), needFile(SCHEMA, 'openvswitch-common')];
}

export interface PrivateOvs {
  /** ovs-vsctl against this instance's database (argv only). */
  vsctl(args: string[]): Promise<RunResult>;
  /** Points every ovs-vsctl/ovs-appctl that session runs at this instance (OVS_RUNDIR). */
  session(base: RemoteSession): RemoteSession;
  /** Ends both daemons by pid and deletes the directory. */
  stop(): Promise<void>;
}

async function endByPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Starts a private OVS in `ns` with everything under `dir` (created; must not be shared).
 * Userspace TSO is switched on before the switch starts (it is read once, at start): with it, the
 * AF_PACKET and tap sockets carry the kernel's checksum-offload state. Without it, TCP dies on this
 * emulation: the VPC's veths hand over frames whose TCP checksum is still to be filled in, OVS
 * copies them verbatim to the router's tap, and the router's kernel drops them as corrupt (ping
 * works, since ICMP checksums are always complete). On EC2 the kernel datapath has no such gap.
 */
export async function startOvs(ns: string, dir: string): Promise<PrivateOvs> {
  fs.mkdirSync(dir, { recursive: true });
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  const db = `unix:${path.join(dir, 'db.sock')}`;
  const pidFile = (daemon: string) => path.join(dir, `${daemon}.pid`);
  const logFile = path.join(dir, 'ovs.log'); // both daemons; it goes with the directory
  const inNs = (argv: string[]) => nsExec(ns, argv, { env });
  const pids: number[] = [];
  const readPid = (daemon: string) => Number(fs.readFileSync(pidFile(daemon), 'utf8').trim());
  const vsctl = (args: string[]) => inNs(['ovs-vsctl', `--db=${db}`, '--timeout=20', ...args]);
  const stop = async () => {
    for (const pid of pids.reverse()) await endByPid(pid);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // --detach returns once the daemon is ready (vswitchd: after its first configuration pass).
  const daemon = (name: string, args: string[]) =>
    inNs([name, ...args, `--pidfile=${pidFile(name)}`, `--log-file=${logFile}`, '--detach', '--no-chdir']);
  try {
    await inNs(['ovsdb-tool', 'create', path.join(dir, 'conf.db'), SCHEMA]);
    await daemon('ovsdb-server', [path.join(dir, 'conf.db'), `--remote=p${db}`]);
    pids.push(readPid('ovsdb-server'));
    await vsctl(['--no-wait', 'init']);
    await vsctl(['--no-wait', 'set', 'Open_vSwitch', '.', 'other_config:userspace-tso-enable=true']);
    await daemon('ovs-vswitchd', [db]);
    pids.push(readPid('ovs-vswitchd'));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    vsctl,
    session: (base) => ({
      ...base,
      exec: (command, opts) => base.exec(`export OVS_RUNDIR=${sq(dir)}\n${command}`, opts),
    }),
    stop,
  };
}

/** ovs-vsctl arguments for a bridge on the userspace datapath (the host has no OVS kernel module). */
export function netdevBridgeArgs(name: string): string[] {
  return ['--may-exist', 'add-br', name, '--', 'set', 'Bridge', name, 'datapath_type=netdev'];
}

/** ovs-vsctl arguments that make `port` one end of a patch pair whose other end is `peer`. */
export function patchArgs(port: string, peer: string): string[] {
  return ['set', 'Interface', port, 'type=patch', `options:peer=${peer}`];
}
