// Runs a command on the runner's own machine (ip, nft, debootstrap, cp, apt-get …): argument vectors
// only, never a shell; input on stdin, never secrets on the command line; every failure carries the
// command, its exit code and the tail of its output. The emulated VPC and the local provider share it.

import { spawn } from 'child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to standard input (nft -f -, ip -batch -, debconf answers). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export type Run = (command: string, args: string[], opts?: RunOptions) => Promise<RunResult>;

class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly tail: string,
  ) {
    super(`'${command}' exited with ${code}${tail ? `:\n${tail}` : ''}`);
    this.name = 'HostCommandError';
  }
}

const TAIL_LINES = 15;

export const runHost: Run = (command, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
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
        const tail = (stderr || stdout).trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
        reject(new HostCommandError([command, ...args].join(' '), exit, tail));
        return;
      }
      resolve({ code: exit, stdout, stderr });
    });
    // A command that does not read its input may exit first: EPIPE then is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
