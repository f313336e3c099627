// Runs ip/nft/sysctl for the emulated VPC: argument vectors only (never a shell), scripts on stdin.
// Every failure carries the command and the tail of its output.

import { spawn } from 'child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to standard input (nft -f -, ip -batch -). */
  input?: string;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export class VpcCommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly tail: string,
  ) {
    super(`'${command}' exited with ${code}${tail ? `: ${tail}` : ''}`);
    this.name = 'VpcCommandError';
  }
}

export function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const exit = code ?? (signal ? 128 : 1);
      if (exit !== 0 && !opts.allowFailure) {
        const tail = (stderr || stdout).trimEnd().split('\n').slice(-8).join('\n');
        reject(new VpcCommandError([command, ...args].join(' '), exit, tail));
        return;
      }
      resolve({ code: exit, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs argv inside a named network namespace (`ip netns exec`). */
export function nsExec(ns: string, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, ...argv], opts);
}

/** `ip -n ns -batch -`: many ip commands in one process (one line each). */
export function ipBatch(ns: string | undefined, lines: string[]): Promise<RunResult> {
  const args = ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'];
  return run('ip', args, { input: lines.join('\n') + '\n' });
}

/** Sets sysctls inside a namespace (one process). */
export function sysctls(ns: string, values: Record<string, string | number>): Promise<RunResult> {
  return nsExec(ns, ['sysctl', '-q', '-w', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);
}

/** Loads an nft script (atomic transaction) inside a namespace, or in the root namespace. */
export function nftLoad(ns: string | undefined, script: string): Promise<RunResult> {
  return ns ? nsExec(ns, ['nft', '-f', '-'], { input: script }) : run('nft', ['-f', '-'], { input: script });
}
