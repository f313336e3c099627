// What the local provider needs on the host, by Debian package. Missing tools are installed with
// apt-get (the runner is root), so a fresh machine needs nothing but Node and this repository.

import * as fs from 'fs';
import type { Io } from '../core/io';
import type { Run } from './exec';

/** command → the Debian package that ships it. */
const HOST_TOOLS: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  ip: 'iproute2',
  nft: 'nftables',
  'ssh-keygen': 'openssh-client',
  nsenter: 'util-linux',
  umount: 'mount',
};

const DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function missingPackages(exists: (p: string) => boolean = fs.existsSync): string[] {
  const missing = Object.entries(HOST_TOOLS)
    .filter(([cmd]) => !DIRS.some((d) => exists(`${d}/${cmd}`)))
    .map(([, pkg]) => pkg);
  return [...new Set(missing)];
}

export async function ensureHostTools(run: Run, io: Io): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new Error(
      'the local provider needs root: it creates network namespaces, nftables rules and systemd-nspawn machines (run it with sudo)',
    );
  const missing = missingPackages();
  if (!missing.length) return;
  io.info(`Installing what the local provider needs from Debian: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, allowFailure: true });
  if ((await install()).code === 0) return;
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
}
