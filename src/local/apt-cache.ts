// The host's apt cache (apt-cacher-ng from Debian). Nodes never route to the outside: their apt
// talks to this proxy on the host end of the emulated internet (203.0.113.1:3142), and the proxy
// fetches from the host's own mirror. The cache also makes every run after the first fast.
// Installed with apt-get when absent; started here when nothing listens, and then only the PID we
// started is ever stopped.

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import type { Io } from '../core/io';
import { realSleep, Sleep } from '../core/retry';
import type { Run } from './exec';
import type { DebianMirror } from './host-mirror';
import type { LocalPaths } from './paths';
import { cmdlineOf, readPidfile, signal, waitGone } from './processes';
import { listStackIds } from './stack-record';
import { HOST_LINK_IP } from './vpc/types';

const APT_CACHE_PORT = 3142;
/** The host end of the VPC's link to the emulated internet (HOST_LINK_IP): the nodes' apt proxy. */
export const NODE_APT_PROXY = `http://${HOST_LINK_IP}:${APT_CACHE_PORT}`;
const DAEMON = '/usr/sbin/apt-cacher-ng';
const USER = 'apt-cacher-ng';

interface AptCache {
  /** How the host itself (debootstrap) reaches the cache. */
  hostUrl: string;
  /** Set when this process started the daemon (it was not running before). */
  startedPid?: number;
}

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function install(run: Run, io: Io): Promise<void> {
  io.info('apt-cacher-ng is not installed: installing it from Debian (apt-get install apt-cacher-ng)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const attempt = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', 'apt-cacher-ng'], { env, allowFailure: true });
  if ((await attempt()).code === 0) return;
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'apt-cacher-ng'], { env });
}

function idsOf(user: string): { uid: number; gid: number } | undefined {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Debian's package maps requests for any Debian mirror to its default backend (ftp.debian.org);
 * pointing the map at the host's own mirror keeps the cache on the archive the host already uses.
 */
export function remapArgs(mirror: DebianMirror): string[] {
  const args = [`Remap-debrep=file:deb_mirror*.gz /debian ; ${mirror.archive}/`];
  if (mirror.security)
    args.push(`Remap-secdeb=security.debian.org deb.debian.org/debian-security /debian-security ; ${mirror.security}/`);
  return args;
}

function startDaemon(stateRoot: string, mirror: DebianMirror): number {
  const ids = idsOf(USER);
  for (const dir of ['/run/apt-cacher-ng', '/var/log/apt-cacher-ng', '/var/cache/apt-cacher-ng']) {
    fs.mkdirSync(dir, { recursive: true });
    if (ids) fs.chownSync(dir, ids.uid, ids.gid);
  }
  fs.mkdirSync(stateRoot, { recursive: true });
  const log = fs.openSync(path.join(stateRoot, 'apt-cacher-ng.log'), 'a');
  const child = spawn(
    DAEMON,
    [
      '-c',
      '/etc/apt-cacher-ng',
      'foreground=1',
      'SocketPath=/run/apt-cacher-ng/socket',
      `Port=${APT_CACHE_PORT}`,
      ...remapArgs(mirror),
    ],
    { detached: true, stdio: ['ignore', log, log], ...(ids ?? {}) },
  );
  child.unref();
  fs.closeSync(log);
  if (!child.pid) throw new Error('apt-cacher-ng did not start');
  return child.pid;
}

/** Path of the pidfile for a daemon this provider started (shared by every local stack). */
function aptCachePidfile(stateRoot: string): string {
  return path.join(stateRoot, 'apt-cacher-ng.pid');
}

export async function ensureAptCache(
  run: Run,
  io: Io,
  stateRoot: string,
  mirror: DebianMirror,
  sleep: Sleep = realSleep,
): Promise<AptCache> {
  const hostUrl = `http://127.0.0.1:${APT_CACHE_PORT}`;
  if (await portOpen('127.0.0.1', APT_CACHE_PORT)) return { hostUrl };
  if (!fs.existsSync(DAEMON)) await install(run, io);
  // Installing it may have started it (hosts with systemd do); only start it when still nothing listens.
  if (await portOpen('127.0.0.1', APT_CACHE_PORT)) return { hostUrl };
  const pid = startDaemon(stateRoot, mirror);
  fs.writeFileSync(aptCachePidfile(stateRoot), `${pid}\n`);
  io.info(`Started apt-cacher-ng (PID ${pid}) on port ${APT_CACHE_PORT}`);
  for (let i = 0; i < 50; i++) {
    if (await portOpen('127.0.0.1', APT_CACHE_PORT)) return { hostUrl, startedPid: pid };
    await sleep(200);
  }
  throw new Error(`apt-cacher-ng (PID ${pid}) did not listen on port ${APT_CACHE_PORT} within 10 s`);
}

/** Asks the cache for an archive's InRelease (as a node would); the HTTP status, or undefined. */
export function probeThroughCache(
  archive: { archive: string; suite: string },
  timeoutMs = 20_000,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const url = `${archive.archive}/dists/${archive.suite}/InRelease`;
    const req = http.request(
      { host: '127.0.0.1', port: APT_CACHE_PORT, method: 'HEAD', path: url, headers: { Host: new URL(url).host } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * Stops apt-cacher-ng when this provider started it (its pidfile) and no local stack is left to use
 * it; the cache itself stays on disk. Returns the PID it stopped.
 */
export async function stopAptCacheIfUnused(
  io: Io,
  paths: LocalPaths,
  sleep: Sleep = realSleep,
): Promise<number | undefined> {
  const file = aptCachePidfile(paths.stateRoot);
  const pid = readPidfile(file);
  if (pid === undefined || listStackIds(paths).length) return undefined;
  fs.rmSync(file, { force: true });
  if (!cmdlineOf(pid)?.includes('apt-cacher-ng')) return undefined;
  signal(pid, 'SIGTERM');
  await waitGone([pid], 10_000, sleep);
  io.info(`Stopped apt-cacher-ng (PID ${pid}), which the local provider had started; its cache stays on disk`);
  return pid;
}
