// The nodes' root file system, one per OS (Debian 12/13, Ubuntu 24.04/26.04): built with debootstrap
// once into a cache directory per suite (through the host's apt cache), then laid under each node so
// every run starts clean. A stamp written last is the completion marker; a missing stamp, or one
// from another recipe, means that OS's cache is rebuilt.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Io } from '../core/io';
import type { Run } from './exec';
import { debootstrapTail, OsArchive, ubuntuArchiveKey } from './os-archives';

/** What OpenStack's stages expect on a fresh EC2 Debian or Ubuntu image, plus systemd to boot under nspawn. */
const ROOTFS_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'libpam-systemd',
  'openssh-server',
  'iproute2',
  'iputils-ping',
  'iptables',
  'curl',
  'ca-certificates',
  'gnupg',
  'sudo',
  'python3',
  'procps',
  'less',
  'netbase',
];
/** Bump when the customisation below changes: old caches are then rebuilt. */
const RECIPE_VERSION = 1;

interface RootfsStamp {
  recipe: string;
  suite: string;
  mirror: string;
  builtAt: string;
  seconds: number;
}

export function rootfsDir(cacheDir: string, a: Pick<OsArchive, 'suite'>): string {
  return path.join(cacheDir, `rootfs-${a.suite}`);
}

export function stampPath(cacheDir: string, a: Pick<OsArchive, 'suite'>): string {
  return `${rootfsDir(cacheDir, a)}.stamp.json`;
}

export function recipeId(a: OsArchive): string {
  // Key names as before Ubuntu came in, so an existing Debian 12 cache stays current.
  const what = JSON.stringify({
    RECIPE_VERSION,
    SUITE: a.suite,
    ROOTFS_PACKAGES,
    archive: a.archive,
    ...(a.family === 'debian' ? {} : { components: a.components, script: a.script }),
  });
  return createHash('sha256').update(what).digest('hex').slice(0, 16);
}

function readStamp(cacheDir: string, a: Pick<OsArchive, 'suite'>): RootfsStamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(stampPath(cacheDir, a), 'utf8')) as RootfsStamp;
  } catch {
    return undefined;
  }
}

export function cacheIsCurrent(cacheDir: string, a: OsArchive): boolean {
  const stamp = readStamp(cacheDir, a);
  return stamp?.recipe === recipeId(a) && fs.existsSync(path.join(rootfsDir(cacheDir, a), 'usr/lib/systemd/systemd'));
}

/** Generic changes every node needs; per-node ones (names, keys, addresses) are in node-files.ts. */
function customise(dir: string): void {
  // Fast, predictable shutdown: without it a stuck unit holds `down` for 90 s (notes: libvirt-guests).
  fs.mkdirSync(path.join(dir, 'etc/systemd/system.conf.d'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'etc/systemd/system.conf.d/10-openstack-on-aws.conf'),
    '[Manager]\nDefaultTimeoutStopSec=15s\n',
  );
  // Host keys are made per node; the ones generated while installing openssh-server would be shared.
  for (const f of fs.readdirSync(path.join(dir, 'etc/ssh'))) {
    if (f.startsWith('ssh_host_')) fs.rmSync(path.join(dir, 'etc/ssh', f));
  }
  // Each node gets its own machine id (written per node); systemd fills an empty file at boot otherwise.
  fs.writeFileSync(path.join(dir, 'etc/machine-id'), '');
  fs.rmSync(path.join(dir, 'var/lib/dbus/machine-id'), { force: true });
  // Nodes have no DNS server: an empty resolver config fails fast instead of waiting for the host's.
  fs.rmSync(path.join(dir, 'etc/resolv.conf'), { force: true });
  fs.writeFileSync(path.join(dir, 'etc/resolv.conf'), '# no DNS inside the local cloud; names are in /etc/hosts\n');
}

async function enableUnits(run: Run, dir: string): Promise<void> {
  // Ubuntu starts sshd from ssh.socket since 22.10; one listener only, the service (as on Debian).
  await run('systemctl', ['--root', dir, 'disable', 'ssh.socket'], { allowFailure: true });
  await run('systemctl', ['--root', dir, 'enable', 'systemd-networkd.service', 'ssh.service']);
  // The console is read-only and nobody logs in on it; a getty there only adds noise.
  await run('systemctl', ['--root', dir, 'mask', 'console-getty.service', 'getty@tty1.service']);
}

/** Builds the cache when absent or stale. Returns the seconds spent (0 when the cache was current). */
export async function ensureRootfs(
  run: Run,
  io: Io,
  cacheDir: string,
  a: OsArchive,
  aptCacheUrl: string | undefined,
): Promise<number> {
  if (cacheIsCurrent(cacheDir, a)) return 0;
  const started = Date.now();
  fs.mkdirSync(cacheDir, { recursive: true });
  const target = rootfsDir(cacheDir, a);
  const building = `${target}.building-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  io.info(
    `Building the ${a.os} (${a.suite}) root file system with debootstrap from ${a.archive}` +
      (aptCacheUrl ? ` via ${aptCacheUrl}` : ''),
  );
  const env = { ...process.env, ...(aptCacheUrl ? { http_proxy: aptCacheUrl } : {}) };
  try {
    const keyring = a.needsUbuntuKey ? [`--keyring=${ubuntuArchiveKey(cacheDir, aptCacheUrl)}`] : [];
    await run(
      'debootstrap',
      [
        '--variant=minbase',
        `--include=${ROOTFS_PACKAGES.join(',')}`,
        `--components=${a.components.join(',')}`,
        ...keyring,
        ...debootstrapTail(a, building),
      ],
      { env, timeoutMs: 20 * 60_000 },
    );
    customise(building);
    await enableUnits(run, building);
    // Replace atomically: a run that starts meanwhile sees either the old complete tree or none.
    fs.rmSync(stampPath(cacheDir, a), { force: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(building, target);
  } catch (err) {
    fs.rmSync(building, { recursive: true, force: true });
    throw err;
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const stamp: RootfsStamp = {
    recipe: recipeId(a),
    suite: a.suite,
    mirror: a.archive,
    builtAt: new Date().toISOString(),
    seconds,
  };
  fs.writeFileSync(stampPath(cacheDir, a), JSON.stringify(stamp, null, 2) + '\n');
  io.info(`Root file system ready in ${seconds} s (${target})`);
  return seconds;
}

/** A clean copy for one node (reflinks where the file system has them). The fallback of nodeRoot. */
async function copyRootfs(run: Run, lower: string, target: string): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { recursive: true, force: true });
  await run('cp', ['-a', '--reflink=auto', lower, target]);
}

type NodeRootKind = 'overlay' | 'copy';

/**
 * The node's root: an overlay with the cached tree as its read-only lower layer and a per-node upper
 * layer next to the mount point, so a node starts clean in well under a second and writes only its
 * own changes. Where overlayfs is unavailable (e.g. the state folder itself is on overlayfs), a copy.
 * A baked snapshot's layer, when given, lies between the two (src/local/baked.ts); it needs overlayfs.
 */
export async function nodeRoot(run: Run, lower: string, target: string, baked?: string): Promise<NodeRootKind> {
  const upper = `${target}.upper`;
  const work = `${target}.work`;
  for (const d of [target, upper, work]) {
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  }
  // lowerdir lists the top layer first.
  const lowers = baked ? `${baked}:${lower}` : lower;
  const opts = `lowerdir=${lowers},upperdir=${upper},workdir=${work}`;
  const mounted = await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, target], { allowFailure: true });
  if (mounted.code === 0) return 'overlay';
  for (const d of [upper, work]) fs.rmSync(d, { recursive: true, force: true });
  if (baked)
    throw new Error(
      `cannot boot the baked snapshot ${baked}: the overlay mount failed (${mounted.stderr.trim()}); use image-cache: off`,
    );
  await copyRootfs(run, lower, target);
  return 'copy';
}
