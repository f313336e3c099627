// The local provider's stand-in for EBS volumes: one sparse file per planned extra disk under the
// stack's folder, attached to a loop device that the node's nspawn machine gets bound in as
// /dev/loopN. Loop devices have no name of their own, so a crashed run's devices are found by their
// backing file, whose path carries the stack id (…/<stack>/disks/<node>-<device>.img).

import * as fs from 'fs';
import * as path from 'path';
import type { Run } from './exec';
import { LocalPaths, stackDir } from './paths';
import type { PlannedNode } from '../plan/types';
import { realSleep, Sleep } from '../core/retry';

export interface LoopDisk {
  /** The Plan's device name (/dev/sdf): how the Environment and the stages refer to the disk. */
  device: string;
  /** The host's loop device, bound into the machine under the same path. */
  loop: string;
  file: string;
}

export interface AttachedLoop {
  loop: string;
  /** As the kernel reports it: may end in " (deleted)" when the file went first. */
  file: string;
}

const GiB = 1024 ** 3;

function disksDir(paths: LocalPaths, stackId: string): string {
  return path.join(stackDir(paths, stackId), 'disks');
}

export function diskFile(paths: LocalPaths, stackId: string, node: string, device: string): string {
  return path.join(disksDir(paths, stackId), `${node}-${path.basename(device)}.img`);
}

/** Creates a sparse file of the given size (no blocks used until written) and attaches it. */
async function attachLoop(run: Run, file: string, bytes: number): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.ftruncateSync(fd, bytes);
  } finally {
    fs.closeSync(fd);
  }
  // --find --show picks a free device and attaches in one call (util-linux retries a lost race).
  const r = await run('losetup', ['--find', '--show', file]);
  const loop = r.stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(loop)) throw new Error(`losetup gave no loop device for ${file}: "${loop}"`);
  return loop;
}

/** Every extra (non-root) disk of a node, as a loop device; sizes are the Plan's. */
export async function createNodeDisks(
  run: Run,
  paths: LocalPaths,
  stackId: string,
  node: PlannedNode,
  bytesPerGiB = GiB,
): Promise<LoopDisk[]> {
  const disks: LoopDisk[] = [];
  for (const d of node.disks.filter((x) => x.purpose !== 'root')) {
    const file = diskFile(paths, stackId, node.name, d.device);
    disks.push({ device: d.device, loop: await attachLoop(run, file, d.sizeGiB * bytesPerGiB), file });
  }
  return disks;
}

/** Every attached loop device with its backing file (losetup's JSON keeps spaces in paths intact). */
export async function listLoops(run: Run): Promise<AttachedLoop[]> {
  const r = await run('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE'], { allowFailure: true });
  if (r.code !== 0 || !r.stdout.trim()) return [];
  const parsed = JSON.parse(r.stdout) as { loopdevices?: Array<{ name: string; 'back-file': string | null }> };
  return (parsed.loopdevices ?? [])
    .filter((d) => d['back-file'])
    .map((d) => ({ loop: d.name, file: d['back-file']!.trim() }));
}

/** The loop devices whose backing file lies in the stack's disks folder (deleted or not). */
export async function stackLoops(run: Run, paths: LocalPaths, stackId: string): Promise<AttachedLoop[]> {
  const dir = `${disksDir(paths, stackId)}/`;
  return (await listLoops(run)).filter((l) => l.file.startsWith(dir));
}

/**
 * Detaches the devices. A device still held (a mount in a machine that has not quite gone) is only
 * marked to detach on last close by the kernel, so this waits a little for it to disappear.
 */
export async function detachLoops(
  run: Run,
  loops: AttachedLoop[],
  sleep: Sleep = realSleep,
  timeoutMs = 10_000,
): Promise<AttachedLoop[]> {
  for (const l of loops) await run('losetup', ['--detach', l.loop], { allowFailure: true });
  const deadline = Date.now() + timeoutMs;
  const stillThere = async () => {
    const now = await listLoops(run);
    return loops.filter((l) => now.some((n) => n.loop === l.loop && n.file === l.file));
  };
  let left = await stillThere();
  while (left.length && Date.now() < deadline) {
    await sleep(200);
    left = await stillThere();
  }
  return left;
}
