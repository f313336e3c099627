// A real OpenSSH server for tests: /usr/sbin/sshd (apt: openssh-server) on a loopback address and a
// free port, with its own ed25519 host key and one authorized key, both made by src/core/secrets.ts, root login by key
// only, everything in a temp dir named after the test. Stopped by PID (the listener and the
// per-connection processes it forked), never by name.

import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { generateSshKey, SshKeyPair } from '../../src/core/secrets';
import { needFile, needRoot, Unmet } from './requires';

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface SshdOptions {
  /** Part of the temp dir's name, so leftovers can be traced to a test. */
  id: string;
  /** Loopback address to listen on (all of 127.0.0.0/8 is local on Linux). */
  listenAddress?: string;
  /** Client key to authorize; a fresh one when absent. */
  key?: SshKeyPair;
  /** The server's ed25519 host key (src/core/secrets.ts's format, as the runner makes them); fresh when absent. */
  hostKey?: SshKeyPair;
  /** Record every command line the server receives (ForceCommand wrapper), NUL-separated. */
  recordCommands?: boolean;
  /** A fixed port (default: a free one). */
  port?: number;
  /** Environment for every session (sshd's SetEnv), e.g. a PATH with fake commands first. */
  env?: Record<string, string>;
}

export interface TestSshd {
  host: string;
  port: number;
  user: 'root';
  key: SshKeyPair;
  /** The host key the server presents: clients pin hostKey.publicKey. */
  hostKey: SshKeyPair;
  dir: string;
  logFile: string;
  /** PID of the listening sshd (changes on restart). */
  pid(): number;
  log(): string;
  /** Every command line the server was asked to run, in order (recordCommands only). */
  commands(): string[];
  /** Stops the server and drops every open connection (as a reboot of the node would). */
  stop(): Promise<void>;
  /** stop() then start again on the same address, port and host key. */
  restart(): Promise<void>;
  /** Stops and deletes the temp dir. */
  dispose(): Promise<void>;
}

export function sshdAvailable(): boolean {
  return sshdNeeds().every((n) => n === null);
}

/** What a test sshd needs: root (it logs in as root) and the binary. For describeIf. */
export function sshdNeeds(): Unmet[] {
  return [needRoot(), needFile(SSHD_BINARY, 'openssh-server')];
}

export async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** PIDs of every descendant of pid, from /proc (children before grandchildren). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(rest[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [child, ppid] of parent) {
      if (ppid === p) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForBanner(host: string, port: number, child: ChildProcess, logFile: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) {
      throw new Error(
        `sshd exited with ${child.exitCode}: ${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''}`,
      );
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('SSH-2.0'));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await delay(50);
  }
  throw new Error(`sshd on ${host}:${port} did not answer`);
}

export async function startSshd(opts: SshdOptions): Promise<TestSshd> {
  const host = opts.listenAddress ?? '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ooa-sshd-${opts.id}-`));
  const key = opts.key ?? generateSshKey(`ooa-test-${opts.id}`);
  const port = opts.port ?? (await freePort(host));
  const hostKeyPair = opts.hostKey ?? generateSshKey(`ooa-test-host-${opts.id}`);
  const hostKey = path.join(dir, 'host_ed25519');
  fs.writeFileSync(hostKey, hostKeyPair.privateKey, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'authorized_keys'), key.publicKey + '\n', { mode: 0o600 });
  const logFile = path.join(dir, 'sshd.log');
  const commandsFile = path.join(dir, 'commands.log');
  const config = [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${hostKey}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'AllowTcpForwarding yes',
    'LogLevel DEBUG3',
    'MaxStartups 100',
  ];
  for (const [k, v] of Object.entries(opts.env ?? {})) config.push(`SetEnv ${k}=${v}`);
  if (opts.recordCommands) {
    const wrapper = path.join(dir, 'record-command.sh');
    fs.writeFileSync(
      wrapper,
      `#!/bin/bash\nprintf '%s\\0' "$SSH_ORIGINAL_COMMAND" >> ${commandsFile}\nexec bash -c "$SSH_ORIGINAL_COMMAND"\n`,
      { mode: 0o755 },
    );
    config.push(`ForceCommand ${wrapper}`);
    // Writable for a non-root login user too (the sudo test); it records command lines only.
    fs.writeFileSync(commandsFile, '');
    fs.chmodSync(commandsFile, 0o666);
  }
  const configFile = path.join(dir, 'sshd_config');
  fs.writeFileSync(configFile, config.join('\n') + '\n');
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir

  let child: ChildProcess;
  const start = async () => {
    child = spawn(SSHD_BINARY, ['-D', '-f', configFile, '-E', logFile], { stdio: 'ignore' });
    await waitForBanner(host, port, child, logFile);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid!;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const tree = descendants(pid);
    process.kill(pid, 'SIGTERM');
    for (const p of tree) {
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await exited;
    for (let i = 0; i < 100 && tree.some(alive); i++) await delay(50);
    for (const p of tree.filter(alive)) process.kill(p, 'SIGKILL');
  };
  await start();
  return {
    host,
    port,
    user: 'root',
    key,
    hostKey: hostKeyPair,
    dir,
    logFile,
    pid: () => child.pid!,
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    commands: () =>
      fs.existsSync(commandsFile)
        ? fs
            .readFileSync(commandsFile, 'utf8')
            .split('\0')
            .filter((c) => c !== '')
        : [],
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    dispose: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
