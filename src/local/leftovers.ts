// Everything a local stack can leave on the host, found by name (the stack id between fixed
// separators) so that `down` cleans a crashed run, and removed without touching anything else.

import * as fs from 'fs';
import * as path from 'path';
import { AttachedLoop, detachLoops, stackLoops } from './disks';
import type { Run } from './exec';
import { LocalPaths, stackDir, stackPrefix } from './paths';
import { cmdlineOf, isAlive, signal, waitGone } from './processes';
import { LocalKind, LocalRecord } from './records';
import { destroyById, vpcNamespaceNames } from './vpc';
import { hostIfname, hostTableName } from './vpc/names';

interface StackLeftovers {
  namespaces: string[];
  processes: number[];
  mounts: string[];
  /** Loop devices backed by a file in the stack's disks folder. */
  loops: AttachedLoop[];
  links: string[];
  nftTables: string[];
  dirs: string[];
}

export function isEmpty(l: StackLeftovers): boolean {
  return Object.values(l).every((v: unknown[]) => v.length === 0);
}

export function describe(l: StackLeftovers): string[] {
  return [
    ...l.namespaces.map((n) => `netns ${n}`),
    ...l.processes.map((p) => `process ${p} (${cmdlineOf(p)?.slice(0, 80) ?? '?'})`),
    ...l.mounts.map((m) => `mount ${m}`),
    ...l.loops.map((d) => `loop ${d.loop} (${d.file})`),
    ...l.links.map((x) => `link ${x}`),
    ...l.nftTables.map((t) => `nft table ${t}`),
    ...l.dirs.map((d) => `dir ${d}`),
  ];
}

/** The same, as typed teardown records (a process by its PID, a loop device as the ledger names it). */
export function leftoverRecords(l: StackLeftovers): LocalRecord[] {
  return [
    ...l.namespaces.map((id) => ({ kind: LocalKind.Netns, id })),
    ...l.processes.map((p) => ({ kind: LocalKind.Process, id: String(p) })),
    ...l.mounts.map((id) => ({ kind: LocalKind.Mount, id })),
    ...l.loops.map((d) => ({ kind: LocalKind.LoopDevice, id: `${d.loop} ${d.file}` })),
    ...l.links.map((id) => ({ kind: LocalKind.Link, id })),
    ...l.nftTables.map((id) => ({ kind: LocalKind.NftTable, id })),
    ...l.dirs.map((id) => ({ kind: LocalKind.StackDir, id })),
  ];
}

async function namespaces(run: Run): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFailure: true });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n);
}

/** The stack's own namespaces: its nodes' (ooa.<stack>.<node>) and its VPC's (exact names). */
async function stackNamespaces(run: Run, stackId: string): Promise<string[]> {
  const vpc = new Set(vpcNamespaceNames(stackId));
  return (await namespaces(run)).filter((n) => n.startsWith(stackPrefix(stackId)) || vpc.has(n));
}

/** Processes inside the stack's namespaces, plus nspawn processes booting a node dir of the stack. */
async function stackProcesses(run: Run, paths: LocalPaths, stackId: string, nss: string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const ns of nss) {
    const r = await run('ip', ['netns', 'pids', ns], { allowFailure: true });
    for (const p of r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s))) pids.add(Number(p));
  }
  const nodesDir = `${path.join(stackDir(paths, stackId), 'nodes')}/`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = cmdlineOf(Number(entry));
    if (cmd && cmd.startsWith('systemd-nspawn ') && cmd.includes(` -D ${nodesDir}`)) pids.add(Number(entry));
  }
  return [...pids].filter(isAlive);
}

function stackMounts(paths: LocalPaths, stackId: string): string[] {
  const dir = `${stackDir(paths, stackId)}/`;
  const netns = `${paths.netnsDir}/${stackPrefix(stackId)}`;
  const vpc = vpcNamespaceNames(stackId).map((n) => `${paths.netnsDir}/${n}`);
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m.startsWith(dir) || m.startsWith(netns) || vpc.includes(m)));
  return [...new Set(mounts)];
}

export async function findStackLeftovers(run: Run, paths: LocalPaths, stackId: string): Promise<StackLeftovers> {
  const nss = await stackNamespaces(run, stackId);
  const link = hostIfname(stackId);
  const linkThere = (await run('ip', ['link', 'show', 'dev', link], { allowFailure: true })).code === 0;
  const table = hostTableName(stackId);
  const tableThere = (await run('nft', ['list', 'table', 'inet', table], { allowFailure: true })).code === 0;
  return {
    namespaces: nss,
    processes: await stackProcesses(run, paths, stackId, nss),
    mounts: stackMounts(paths, stackId),
    loops: await stackLoops(run, paths, stackId),
    links: linkThere ? [link] : [],
    nftTables: tableThere ? [`inet ${table}`] : [],
    dirs: fs.existsSync(stackDir(paths, stackId)) ? [stackDir(paths, stackId)] : [],
  };
}

/**
 * Removes what findStackLeftovers finds: processes first (SIGKILL: graceful stops happened before
 * for the machines we knew), then mounts, the loop disks, the VPC, the node namespaces, and the
 * stack's folder (which holds the disks' backing files).
 */
export async function removeStackLeftovers(run: Run, paths: LocalPaths, stackId: string): Promise<StackLeftovers> {
  const found = await findStackLeftovers(run, paths, stackId);
  for (const pid of found.processes) signal(pid, 'SIGKILL');
  await waitGone(found.processes, 10_000);
  // Deepest first, lazily: a mount still busy is detached now and freed when its last user goes.
  for (const m of [...found.mounts].sort((a, b) => b.length - a.length))
    await run('umount', ['-l', m], { allowFailure: true });
  // Detached before their files go: a device left on a deleted file would hold its blocks.
  const loopsLeft = await detachLoops(run, found.loops);
  if (loopsLeft.length)
    throw new Error(
      `not removing ${stackDir(paths, stackId)}: loop devices still attached: ${loopsLeft.map((l) => l.loop).join(', ')}`,
    );
  await destroyById(stackId);
  for (const ns of found.namespaces) await run('ip', ['netns', 'del', ns], { allowFailure: true });
  if (found.links.length) await run('ip', ['link', 'del', 'dev', found.links[0]], { allowFailure: true });
  // Never recurse into something still mounted below the folder (it could be a host path).
  const stillMounted = stackMounts(paths, stackId).filter((m) => m.startsWith(`${stackDir(paths, stackId)}/`));
  if (stillMounted.length)
    throw new Error(`not removing ${stackDir(paths, stackId)}: still mounted: ${stillMounted.join(', ')}`);
  fs.rmSync(stackDir(paths, stackId), { recursive: true, force: true });
  return found;
}
