// The local provider's extra disks against real loop devices: sparse files of the Plan's sizes
// (scaled down: a "GiB" is 1 MiB here) attached under the stack's folder, found again by their
// backing file as a crashed run's leftovers, detached and deleted by removeStackLeftovers, and
// usable inside an nspawn machine that gets them the way the provider binds them.
// Every name carries this test's id; everything is removed in afterAll even when a test fails.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { createNodeDisks, detachLoops, diskFile, listLoops, LoopDisk, stackLoops } from '../../src/local/disks';
import { runHost } from '../../src/local/exec';
import { describe as describeLeftovers, findStackLeftovers, removeStackLeftovers } from '../../src/local/leftovers';
import { startMachine, stopMachine } from '../../src/local/machine';
import { LocalPaths, netnsName, stackDir, DEFAULT_PATHS } from '../../src/local/paths';
import { nodeRoot, rootfsDir } from '../../src/local/rootfs';
import type { PlannedNode } from '../../src/plan/types';
import { AS_ROOT, describeIf, itIf, needFile, needRoot } from '../helpers/requires';
import { osArchive } from '../../src/local/os-archives';
import { hostMirror } from '../../src/local/host-mirror';

const describeIfLoop = describeIf([needRoot(), needFile('/dev/loop-control')], AS_ROOT);
const TEST_ID = `dk${process.pid}`;
const MiB = 1024 * 1024;
const PATHS: LocalPaths = {
  cacheDir: DEFAULT_PATHS.cacheDir,
  stateRoot: `/var/tmp/ooa-disks-${TEST_ID}`,
  netnsDir: '/run/netns',
};

/** A node as the Plan gives the object nodes: a root disk and two Swift disks. */
function objectNode(name: string): PlannedNode {
  return {
    name,
    role: 'object',
    instanceType: 't3.small',
    disks: [
      { device: '/dev/sda1', sizeGiB: 20, purpose: 'root' },
      { device: '/dev/sdf', sizeGiB: 20, purpose: 'swift', label: 'd1' },
      { device: '/dev/sdg', sizeGiB: 12, purpose: 'swift', label: 'd2' },
    ],
    nics: [],
    managementIp: '10.0.0.41',
  };
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();

describeIfLoop('loop-device disks of the local provider', () => {
  afterAll(async () => {
    // Whatever a failed test left: every loop device on a file under this test's folder.
    const ours = (await listLoops(runHost)).filter((l) => l.file.startsWith(`${PATHS.stateRoot}/`));
    await detachLoops(runHost, ours);
    fs.rmSync(PATHS.stateRoot, { recursive: true, force: true });
  });

  it('attaches one sparse file per extra disk, of the planned size, and detaches them again', async () => {
    const stack = `${TEST_ID}-a`;
    const disks = await createNodeDisks(runHost, PATHS, stack, objectNode('object1'), MiB);
    expect(disks.map((d) => d.device)).toEqual(['/dev/sdf', '/dev/sdg']); // the root disk is the machine's own
    for (const [d, mib] of [
      [disks[0], 20],
      [disks[1], 12],
    ] as Array<[LoopDisk, number]>) {
      expect(d.file).toBe(diskFile(PATHS, stack, 'object1', d.device));
      expect(d.file).toContain(`/${stack}/disks/`);
      expect(fs.statSync(d.file).size).toBe(mib * MiB);
      expect(fs.statSync(d.file).blocks).toBe(0); // sparse: costs nothing until written
      expect(sh('blockdev', ['--getsize64', d.loop])).toBe(String(mib * MiB));
    }
    expect((await stackLoops(runHost, PATHS, stack)).map((l) => l.loop).sort()).toEqual(
      disks.map((d) => d.loop).sort(),
    );
    expect(await detachLoops(runHost, await stackLoops(runHost, PATHS, stack))).toEqual([]);
    expect(await stackLoops(runHost, PATHS, stack)).toEqual([]);
    const all = await listLoops(runHost);
    for (const d of disks) expect(all.some((l) => l.file === d.file)).toBe(false);
  });

  it("finds a crashed run's loop devices by backing file (also deleted ones), not another stack's, and removes them", async () => {
    const crashed = `${TEST_ID}-b`;
    const other = `${TEST_ID}-bb`; // a stack id that starts with the crashed one's
    const disks = await createNodeDisks(runHost, PATHS, crashed, objectNode('object1'), MiB);
    const theirs = await createNodeDisks(runHost, PATHS, other, objectNode('object1'), MiB);
    // A crash between deleting a file and detaching its device: the kernel says "(deleted)".
    fs.rmSync(disks[1].file);

    const found = await findStackLeftovers(runHost, PATHS, crashed);
    expect(found.loops.map((l) => l.loop).sort()).toEqual(disks.map((d) => d.loop).sort());
    expect(found.loops.find((l) => l.loop === disks[1].loop)!.file).toBe(`${disks[1].file} (deleted)`);
    expect(describeLeftovers(found)).toContain(`loop ${disks[0].loop} (${disks[0].file})`);

    const removed = await removeStackLeftovers(runHost, PATHS, crashed);
    expect(removed.loops).toHaveLength(2);
    const after = await findStackLeftovers(runHost, PATHS, crashed);
    expect(after.loops).toEqual([]);
    expect(after.dirs).toEqual([]);
    expect(fs.existsSync(stackDir(PATHS, crashed))).toBe(false);
    // The other stack keeps its disks.
    expect((await stackLoops(runHost, PATHS, other)).map((l) => l.loop).sort()).toEqual(
      theirs.map((d) => d.loop).sort(),
    );
    await removeStackLeftovers(runHost, PATHS, other);
    expect(await stackLoops(runHost, PATHS, other)).toEqual([]);
  });

  const bookworm = rootfsDir(PATHS.cacheDir, osArchive('debian-12', hostMirror()));
  const cached = path.join(bookworm, 'usr/lib/systemd/systemd');
  const itIfCached = itIf(
    [fs.existsSync(cached) ? null : `needs the local provider's cached root file system (${cached})`],
    'run npm test again: test/integration/local-provider.test.ts builds it (so do npm run e2e:local and scripts/local-cloud.sh up)',
  );
  itIfCached(
    'an nspawn machine started with the disk bound in makes a filesystem on it, mounts it and writes to it',
    async () => {
      const stack = `${TEST_ID}-c`;
      const ns = netnsName(stack, 'object1');
      const dir = path.join(stackDir(PATHS, stack), 'nodes', 'object1');
      const [disk] = await createNodeDisks(runHost, PATHS, stack, objectNode('object1'), MiB);
      await nodeRoot(runHost, bookworm, dir);
      sh('ip', ['netns', 'add', ns]);
      let machine: { pid: number; leaderPid: number } | undefined;
      try {
        machine = await startMachine({
          name: `ooa-${stack}-object1`,
          dir,
          netnsPath: `${PATHS.netnsDir}/${ns}`,
          consoleLog: path.join(stackDir(PATHS, stack), 'object1.console.log'),
          pidfile: path.join(stackDir(PATHS, stack), 'object1.nspawn.pid'),
          leaderPidfile: path.join(stackDir(PATHS, stack), 'object1.leader.pid'),
          devices: [disk.loop],
        });
        const inMachine = (script: string) =>
          execFileSync(
            'nsenter',
            ['-t', String(machine!.leaderPid), '-m', '-u', '-i', '-n', '-p', '--', 'bash', '-c', script],
            {
              encoding: 'utf8',
            },
          );
        for (let i = 0; i < 60; i++) {
          const state = inMachine('systemctl is-system-running 2>/dev/null || true').trim();
          if (state === 'running' || state === 'degraded') break;
          await new Promise((r) => setTimeout(r, 500));
        }
        // Run as a unit of the machine's own systemd, i.e. in the machine's cgroup, as services are.
        const out = inMachine(
          `systemd-run --wait --pipe --quiet bash -c 'set -e; mkfs.ext4 -q ${disk.loop}; mkdir -p /srv/node/d1; ` +
            `mount ${disk.loop} /srv/node/d1; echo written-${TEST_ID} > /srv/node/d1/f; sync; ` +
            `findmnt -n -o SOURCE,FSTYPE /srv/node/d1; cat /srv/node/d1/f; umount /srv/node/d1'`,
        );
        expect(out).toContain(`${disk.loop} ext4`);
        expect(out).toContain(`written-${TEST_ID}`);
        // It really landed on the host's loop device (its backing file now has blocks).
        expect(fs.statSync(disk.file).blocks).toBeGreaterThan(0);
      } finally {
        if (machine)
          await stopMachine(`ooa-${stack}-object1`, machine.pid, {
            pid: machine.leaderPid,
            netnsPath: `${PATHS.netnsDir}/${ns}`,
          });
        await removeStackLeftovers(runHost, PATHS, stack);
      }
      expect(await stackLoops(runHost, PATHS, stack)).toEqual([]);
      expect(fs.existsSync(stackDir(PATHS, stack))).toBe(false);
    },
    120_000,
  );
});
