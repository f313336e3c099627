// Test helpers for network namespaces: node namespaces, pings, neighbour state and tiny TCP servers.
// Everything runs inside namespaces the test created; servers are ended by their own pid.

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RemoteCommandError } from '../../src/core/errors';
import type { ExecOptions, RemoteSession } from '../../src/remote/types';
import { nsExec, RunResult } from '../../src/local/vpc';
import { run as hostRun } from '../../src/local/vpc/run';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A short random id for a test's VPC (names carry it: ooa-<id>-…). */
export function testId(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 8)}`;
}

export async function run(ns: string, argv: string[], input?: string): Promise<RunResult> {
  return nsExec(ns, argv, { input });
}

export async function tryRun(ns: string, argv: string[]): Promise<RunResult> {
  return nsExec(ns, argv, { allowFailure: true });
}

/** A plain namespace for a node: loopback up, rp_filter set explicitly (the host's value is inherited). */
export async function addNodeNamespace(name: string): Promise<void> {
  await hostRun('ip', ['netns', 'add', name]);
  await hostRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  await nsExec(name, [
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
}

export async function deleteNamespace(name: string): Promise<void> {
  await hostRun('ip', ['netns', 'del', name], { allowFailure: true });
}

/** One echo request with a 1 s deadline; true when a reply came back. */
export async function pings(ns: string, ip: string, opts: { source?: string } = {}): Promise<boolean> {
  const argv = ['ping', '-n', '-q', '-c', '1', '-W', '1'];
  if (opts.source) argv.push('-I', opts.source);
  const r = await tryRun(ns, [...argv, ip]);
  return r.code === 0;
}

/** The neighbour state of ip inside ns (REACHABLE, STALE, INCOMPLETE, FAILED …), or 'none'. */
export async function neighbourState(ns: string, ip: string): Promise<string> {
  const r = await tryRun(ns, ['ip', 'neigh', 'show', ip]);
  const line = r.stdout.trim().split('\n')[0] ?? '';
  if (!line) return 'none';
  return line.split(/\s+/).pop() ?? 'none';
}

const SERVER = `
const net = require('net');
const [host, port, banner] = process.argv.slice(1);
net.createServer((s) => {
  process.stdout.write('peer ' + s.remoteAddress + '\\n');
  s.on('error', () => undefined);
  s.end(banner + ' ' + s.remoteAddress + '\\n');
}).listen(Number(port), host, () => process.stdout.write('listening\\n'));
`;

export interface TcpServer {
  pid: number;
  /** Addresses of every peer that connected so far (what the server saw, after all NAT). */
  peers(): string[];
  stop(): Promise<void>;
}

/**
 * A tiny TCP listener (node, not python's http.server: that one does a reverse DNS lookup per request,
 * which stalls for seconds in an isolated namespace). Answers "<banner> <peer address>" and closes.
 */
export function startTcpServer(ns: string, host: string, port: number, banner: string): Promise<TcpServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-e', SERVER, host, String(port), banner],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const seen: string[] = [];
    let buf = '';
    let stderr = '';
    let started = false;
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'listening' && !started) {
          started = true;
          resolve({
            pid: child.pid!,
            peers: () => [...seen],
            stop: async () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              await exited;
            },
          });
        } else if (line.startsWith('peer ')) {
          seen.push(line.slice(5).replace(/^::ffff:/, ''));
        }
      }
    });
    child.on('exit', (code) => {
      if (!started) reject(new Error(`tcp server in ${ns} exited with ${code}: ${stderr}`));
    });
  });
}

const CLIENT = `
const net = require('net');
const [host, port, localAddress] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), timeout: 2000, ...(localAddress ? { localAddress } : {}) });
let out = '';
s.on('data', (d) => (out += d));
s.on('end', () => { process.stdout.write(out); process.exit(0); });
s.on('timeout', () => { process.stderr.write('timeout'); process.exit(2); });
s.on('error', (e) => { process.stderr.write(String(e.code || e)); process.exit(3); });
`;

/**
 * Connects from ns to host:port (from `source` when given, one of ns's own addresses); returns
 * what the server answered, or undefined if it could not.
 */
export async function tcpRequest(ns: string, host: string, port: number, source?: string): Promise<string | undefined> {
  const r = await tryRun(ns, [process.execPath, '-e', CLIENT, host, String(port), ...(source ? [source] : [])]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * A RemoteSession whose "node" is a network namespace on this machine: exec runs bash inside it
 * (ip netns exec), files go to the local file system (tests pass a temporary root to the script).
 */
export function netnsSession(ns: string, node = ns): RemoteSession {
  return {
    node,
    exec: async (command, opts: ExecOptions = {}) => {
      const r = await nsExec(ns, ['bash', '-c', command], {
        input: opts.stdin,
        allowFailure: true,
        timeoutMs: opts.timeoutMs,
      });
      opts.onOutput?.(r.stdout + r.stderr);
      if (r.code !== 0 && !opts.allowFailure) {
        const tail = (r.stdout + r.stderr).trimEnd().split('\n').slice(-15).join('\n');
        throw new RemoteCommandError(node, opts.stage ?? command.split(' ')[0], r.code, tail);
      }
      return r;
    },
    writeFile: async (remotePath, content, mode = 0o600) => {
      fs.mkdirSync(path.dirname(remotePath), { recursive: true });
      fs.writeFileSync(remotePath, content, { mode });
      fs.chmodSync(remotePath, mode);
    },
    readFile: async (remotePath) => fs.readFileSync(remotePath),
    close: async () => undefined,
  };
}
