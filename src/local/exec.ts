// Runs host commands for the local provider (ip, debootstrap, cp, apt-get ...). One place so the
// provider can be handed a recording fake in unit tests and so every failure carries the command,
// its exit code and the tail of its output.

import { spawn } from 'child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to standard input (never secrets on the command line). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export type Run = (command: string, args: string[], opts?: RunOptions) => Promise<RunResult>;

export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly tail: string,
  ) {
    super(`'${command}' exited with ${code}${tail ? `:\n${tail}` : ''}`);
    this.name = 'HostCommandError';
  }
}

function tailOf(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

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
        reject(new HostCommandError([command, ...args].join(' '), exit, tailOf(stderr || stdout)));
        return;
      }
      resolve({ code: exit, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a command that ignores its input closes the pipe early
    child.stdin.end(opts.input ?? '');
  });
