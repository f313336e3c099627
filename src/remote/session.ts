// RemoteSession on node-ssh: one SSH connection per node, opened with bounded retries, reached
// directly (the controller) or through another session's connection (every other node, with the
// controller as jump host). Each accepts only the host key its node was given at boot, on every
// connection. Commands run as root in bash; a closed connection is reopened before the next
// command, so a node that rebooted between two stages just works.

import { createHash, randomBytes } from 'crypto';
import { NodeSSH } from 'node-ssh';
import { constants as osConstants } from 'os';
import { Readable, type Duplex } from 'stream';
import { StringDecoder } from 'string_decoder';
import { errorMessage, RemoteCommandError } from '../core/errors';
import type { Io } from '../core/io';
import { realTicker, Ticker, withHeartbeat } from '../core/progress';
import { retry, Sleep } from '../core/retry';
import { LineTail } from './log-tail';
import { killCommand, readFileCommand, wrapCommand, writeFileCommand } from './remote-shell';
import type { Ssh2Channel, Ssh2Client } from './ssh2-types';
import type { ExecOptions, ExecResult, RemoteSession } from './types';

interface SshTarget {
  node: string;
  /** Address as seen from the runner, or from the jump host when `via` is set. */
  host: string;
  port: number;
  user: string;
  /** OpenSSH private key content (never a path on a command line, never logged). */
  privateKey: string;
  /**
   * The node's host key, known before the first connection ("ssh-ed25519 AAAA…", generated on the
   * runner and handed to the node at boot): the only key this session accepts.
   */
  hostKey: string;
  /** Jump host: the node is reached through this session's connection (ssh2 forwardOut). */
  via?: SshSession;
}

interface ConnectPolicy {
  /** Connection attempts per (re)connect, including the first. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** ssh2's readyTimeout: TCP connect + handshake + authentication. */
  handshakeTimeoutMs: number;
  /** Upper bound for `cloud-init status --wait` on the first connection. */
  cloudInitTimeoutMs: number;
  /** Wait for cloud-init on the first connection (a node is ready only when it finished). */
  waitForCloudInit: boolean;
}

/** About 10 minutes of attempts: an EC2 instance usually answers SSH within 1–3 minutes of launch. */
const DEFAULT_CONNECT_POLICY: ConnectPolicy = {
  attempts: 60,
  baseMs: 2_000,
  maxMs: 10_000,
  handshakeTimeoutMs: 20_000,
  cloudInitTimeoutMs: 20 * 60_000,
  waitForCloudInit: true,
};

export interface SessionOptions {
  io: Pick<Io, 'info' | 'warning'>;
  policy?: Partial<ConnectPolicy>;
  sleep?: Sleep;
  ticker?: Ticker;
  /** Where running commands record their process group on the node (tests use a temp dir). */
  execRunDir?: string;
}

/** Raw result of one remote command: bytes, so readFile can carry binary files (swift rings). */
interface RawResult {
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  tail: string;
  timedOut: boolean;
}

interface RunOptions {
  stage: string;
  timeoutMs?: number;
  stdin?: string | Buffer;
  onOutput?: (chunk: string) => void;
}

/** A command whose connection went before it exited; its exec id lets a second try kill its rest. */
class LostCommandError extends RemoteCommandError {
  constructor(
    node: string,
    stage: string,
    tail: string,
    readonly execId: string,
  ) {
    super(node, stage, null, `${tail}\n[the SSH connection was lost]`, false, true);
  }
}

/** Kill and wait for the group to be gone: the kill script itself needs up to ~10 s. */
const KILL_BOUND_MS = 30_000;
const KEEPALIVE_MS = 15_000;

export class SshSession implements RemoteSession {
  readonly node: string;
  private readonly policy: ConnectPolicy;
  private ssh?: NodeSSH;
  private client?: Ssh2Client;
  private connecting?: Promise<Ssh2Client>;
  private readyChecked = false;
  private closed = false;
  /** The pinned host key: its type and blob (what ssh2 hands the host verifier). */
  private readonly pinned: { type: string; blob: Buffer };

  constructor(
    private readonly target: SshTarget,
    private readonly opts: SessionOptions,
  ) {
    this.node = target.node;
    this.policy = { ...DEFAULT_CONNECT_POLICY, ...opts.policy };
    this.pinned = parseHostKey(target.hostKey, target.node);
  }

  get via(): SshSession | undefined {
    return this.target.via;
  }

  /** Opens the connection (bounded retries) and waits until the node is ready (cloud-init done). */
  async connect(): Promise<void> {
    await this.ensureClient();
    if (this.readyChecked || !this.policy.waitForCloudInit) return;
    await withHeartbeat(this.opts.io, `cloud-init on ${this.node}`, () => this.waitForCloudInit(), this.ticker);
    this.readyChecked = true;
  }

  isConnected(): boolean {
    return this.client !== undefined;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const stage = opts.stage ?? command.trim().split(/\s+/)[0] ?? 'command';
    const runOpts: RunOptions = { stage, timeoutMs: opts.timeoutMs, stdin: opts.stdin, onOutput: opts.onOutput };
    let raw: RawResult;
    try {
      raw = await this.run(command, runOpts);
    } catch (err) {
      if (!opts.idempotent || !(err instanceof LostCommandError)) throw err;
      // Connected again first (the kill's time bound is for the kill, not the reconnect); and run
      // again only once nothing of the first try is left, so the two never overlap.
      await this.ensureClient();
      if (!(await this.killRemote(err.execId))) throw err;
      this.opts.io.info(`SSH connection to ${this.node} was lost during '${stage}'; running it once more.`);
      raw = await this.run(command, runOpts);
    }
    const result: ExecResult = {
      code: raw.code ?? signalExitCode(raw.signal),
      stdout: raw.stdout.toString('utf8'),
      stderr: raw.stderr.toString('utf8'),
    };
    if (result.code !== 0 && !opts.allowFailure) throw new RemoteCommandError(this.node, stage, raw.code, raw.tail);
    return result;
  }

  async writeFile(remotePath: string, content: string | Buffer, mode = 0o600): Promise<void> {
    const raw = await this.run(writeFileCommand(remotePath, mode), {
      stage: `write ${remotePath}`,
      stdin: content,
      timeoutMs: 5 * 60_000,
    });
    if (raw.code !== 0) throw new RemoteCommandError(this.node, `write ${remotePath}`, raw.code, raw.tail);
  }

  async readFile(remotePath: string): Promise<Buffer> {
    const raw = await this.run(readFileCommand(remotePath), { stage: `read ${remotePath}`, timeoutMs: 5 * 60_000 });
    if (raw.code !== 0) {
      throw new RemoteCommandError(this.node, `read ${remotePath}`, raw.code, raw.stderr.toString('utf8'));
    }
    return raw.stdout;
  }

  /** A TCP stream from this node to host:port (a direct-tcpip channel): the jump-host path. */
  async openTunnel(host: string, port: number): Promise<Duplex> {
    const open = (client: Ssh2Client) =>
      new Promise<Ssh2Channel>((resolve, reject) =>
        client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch))),
      );
    return this.withReconnect((client) => open(client));
  }

  async close(): Promise<void> {
    this.closed = true;
    const ssh = this.ssh;
    this.client = undefined;
    this.ssh = undefined;
    ssh?.dispose();
  }

  private describeTarget(): string {
    return `${this.target.host}:${this.target.port}${this.via ? ` via ${this.via.node}` : ''}`;
  }

  private get ticker(): Ticker {
    return this.opts.ticker ?? realTicker;
  }

  private async waitForCloudInit(): Promise<void> {
    // Images without cloud-init (the local provider's containers) are ready once sshd answers.
    const probe = 'if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null; fi';
    const raw = await this.run(probe, { stage: 'cloud-init', timeoutMs: this.policy.cloudInitTimeoutMs });
    if (raw.code !== 0) {
      // Exit 2 is "done, with recoverable errors" (newer cloud-init); the stages may still work.
      this.opts.io.warning(`cloud-init on ${this.node} finished with exit code ${raw.code}; continuing.`);
    }
  }

  private async ensureClient(): Promise<Ssh2Client> {
    if (this.closed) throw new Error(`SSH session to ${this.node} is closed`);
    if (this.client) return this.client;
    if (!this.connecting) {
      const where = this.describeTarget();
      this.connecting = withHeartbeat(
        this.opts.io,
        `SSH on ${this.node} (${where})`,
        () =>
          retry(() => this.connectOnce(), {
            attempts: this.policy.attempts,
            baseMs: this.policy.baseMs,
            maxMs: this.policy.maxMs,
            // Another host key is an answer, not a hiccup: the node got its key before sshd first
            // started, so trying again would only meet the same impostor.
            retryable: (err) =>
              !(err instanceof HostKeyMismatchError) && !(err instanceof Error && err.name === 'AssertionError'),
            sleep: this.opts.sleep,
            onRetry: (err, attempt, waitMs) =>
              this.opts.io.info(
                `SSH to ${this.node} (${where}) not ready (${errorMessage(err)}); ` +
                  `attempt ${attempt}/${this.policy.attempts}, next in ${Math.round(waitMs / 1000)} s`,
              ),
          }),
        this.ticker,
      ).finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async connectOnce(): Promise<Ssh2Client> {
    const ssh = new NodeSSH();
    let presented: Buffer | undefined;
    const config = {
      username: this.target.user,
      privateKey: this.target.privateKey,
      readyTimeout: this.policy.handshakeTimeoutMs,
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: 4,
      // Only the pinned key's algorithm is offered, so the server must prove it holds that key.
      algorithms: { serverHostKey: [this.pinned.type] },
      hostVerifier: (key: Buffer) => {
        if (this.pinned.blob.equals(key)) return true;
        presented = Buffer.from(key);
        return false;
      },
    };
    let sock: Duplex | undefined;
    try {
      if (this.via) {
        sock = await this.via.openTunnel(this.target.host, this.target.port);
        await ssh.connect({ ...config, sock });
      } else {
        await ssh.connect({ ...config, host: this.target.host, port: this.target.port });
      }
    } catch (err) {
      ssh.dispose();
      sock?.destroy();
      if (presented) throw new HostKeyMismatchError(this.node, this.describeTarget(), this.pinned.blob, presented);
      throw err;
    }
    const client = ssh.connection as unknown as Ssh2Client;
    const forget = () => {
      if (this.client === client) {
        this.client = undefined;
        this.ssh = undefined;
      }
    };
    // node-ssh stops listening for 'error' once connected; an unheard 'error' would crash the process.
    client.on('error', forget);
    client.on('close', forget);
    client.on('end', forget);
    if (this.closed) {
      ssh.dispose();
      throw new Error(`SSH session to ${this.node} was closed while connecting`);
    }
    this.ssh = ssh;
    this.client = client;
    return client;
  }

  /**
   * Runs `open` on the live connection. When the connection turns out to be gone (the server
   * restarted and the close was not yet noticed), reconnects once and tries again. Only opening a
   * channel is retried, never a command that started.
   */
  private async withReconnect<T>(open: (client: Ssh2Client) => Promise<T>): Promise<T> {
    const client = await this.ensureClient();
    try {
      return await open(client);
    } catch (err) {
      if (this.client === client && !looksDisconnected(err)) throw err;
      if (this.client === client) {
        this.client = undefined;
        this.ssh?.dispose();
        this.ssh = undefined;
      }
      this.opts.io.info(`SSH connection to ${this.node} was lost (${errorMessage(err)}); reconnecting.`);
      return open(await this.ensureClient());
    }
  }

  private openExec(line: string): Promise<Ssh2Channel> {
    return this.withReconnect(
      (client) =>
        new Promise<Ssh2Channel>((resolve, reject) => {
          try {
            client.exec(line, (err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (err) {
            reject(err); // ssh2 throws synchronously when the socket is already gone
          }
        }),
    );
  }

  private async run(command: string, opts: RunOptions): Promise<RawResult> {
    const execId = randomBytes(8).toString('hex');
    const channel = await this.openExec(wrapCommand(this.target.user, execId, command, this.opts.execRunDir));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const tail = new LineTail();
    const decoders = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
    const onChunk = (which: 'out' | 'err') => (chunk: Buffer) => {
      (which === 'out' ? out : err).push(chunk);
      const text = decoders[which].write(chunk);
      if (!text) return;
      tail.push(text);
      opts.onOutput?.(text);
    };
    let code: number | null = null;
    let signal: string | undefined;
    let timedOut = false;
    let killing: Promise<boolean> | undefined;
    const finished = new Promise<void>((resolve) => {
      channel.on('data', onChunk('out'));
      channel.stderr.on('data', onChunk('err'));
      channel.on('exit', (c: number | null, s?: string) => {
        code = c;
        signal = s ?? undefined;
      });
      channel.on('close', () => resolve());
      channel.on('error', () => resolve());
    });
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killing = this.killRemote(execId).finally(() => channel.close());
          }, opts.timeoutMs)
        : undefined;
    if (opts.stdin !== undefined) Readable.from([Buffer.from(opts.stdin)]).pipe(channel);
    else channel.end();
    try {
      await finished;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (killing) await killing;
    for (const which of ['out', 'err'] as const) {
      const rest = decoders[which].end();
      if (rest) {
        tail.push(rest);
        opts.onOutput?.(rest);
      }
    }
    if (timedOut) throw new RemoteCommandError(this.node, opts.stage, null, tail.toString(), true);
    if (code === null && signal === undefined) {
      throw new LostCommandError(this.node, opts.stage, tail.toString(), execId);
    }
    return { code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), tail: tail.toString(), timedOut };
  }

  /**
   * Kills the command's remote process group over a second channel; bounded, never throws. True
   * when the kill script finished (nothing of the group is left), false when it failed or ran out
   * of time.
   */
  private async killRemote(execId: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), KILL_BOUND_MS);
    });
    const kill = (async () => {
      const channel = await this.openExec(killCommand(this.target.user, execId, this.opts.execRunDir));
      channel.end();
      channel.resume();
      channel.stderr.resume();
      await new Promise<void>((resolve) => channel.on('close', () => resolve()));
      return true;
    })().catch((err) => {
      this.opts.io.warning(`could not kill a command on ${this.node}: ${errorMessage(err)}`);
      return false;
    });
    const killed = await Promise.race([kill, bound]);
    clearTimeout(timer);
    return killed;
  }
}

/** The node answered with a host key other than the one it was given: refused, never retried. */
export class HostKeyMismatchError extends Error {
  constructor(
    readonly node: string,
    readonly where: string,
    expected: Buffer,
    presented: Buffer,
  ) {
    super(
      `SSH host key of ${node} (${where}) is not the key this stack gave it: expected ${fingerprint(expected)}, ` +
        `the server presented ${keyType(presented)} ${fingerprint(presented)}. Refusing to connect: another ` +
        `machine answers at that address, or the node did not boot with its key.`,
    );
    this.name = 'HostKeyMismatchError';
  }
}

/** OpenSSH's fingerprint of a key blob: SHA256:<base64 without padding>. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name a key blob starts with (an SSH string). */
function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** "ssh-ed25519 AAAA… [comment]" → type and blob; a key that is not one fails with the node named. */
export function parseHostKey(line: string, node: string): { type: string; blob: Buffer } {
  const [type, b64] = (line ?? '').trim().split(/\s+/);
  const blob = Buffer.from(b64 ?? '', 'base64');
  if (!type || !b64 || blob.length === 0 || keyType(blob) !== type)
    throw new Error(`the pinned SSH host key of ${node} is not an OpenSSH public key line ('<type> <base64>')`);
  return { type, blob };
}

function looksDisconnected(err: unknown): boolean {
  return /not connected|no response|ECONNRESET|EPIPE|socket|closed/i.test(errorMessage(err));
}

function signalExitCode(signal: string | undefined): number {
  const n = signal ? (osConstants.signals as Record<string, number>)[`SIG${signal}`] : undefined;
  return 128 + (n ?? 127);
}
