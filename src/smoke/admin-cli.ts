// Runs commands on the controller as root with the admin credentials sourced from the 0600 openrc
// file, so no password ever appears on a command line. Failures become CheckFailures that carry the
// command, the tail of its output and a hint.

import type { ExecResult, RemoteSession } from '../remote/types';
import { CheckFailure } from './check-failure';
import { maskSecrets, shq, tail } from './shell';

interface RunOptions {
  timeoutMs?: number;
  stdin?: string;
  /** Live output (long scripts stream into the log). */
  onOutput?: (chunk: string) => void;
}

export class AdminCli {
  constructor(
    readonly session: RemoteSession,
    private readonly openrcPath: string,
    private readonly secrets: readonly string[] = [],
  ) {}

  /** The full command line as sent: pipefail, the openrc sourced, then the command. */
  line(command: string): string {
    return `set -o pipefail; . ${shq(this.openrcPath)} && ${command}`;
  }

  /** Runs and returns whatever happened; never throws for a non-zero exit. */
  async run(command: string, opts: RunOptions = {}): Promise<ExecResult> {
    return this.session.exec(this.line(command), {
      stage: 'smoke',
      allowFailure: true,
      timeoutMs: opts.timeoutMs ?? 120_000,
      stdin: opts.stdin,
      onOutput: opts.onOutput,
    });
  }

  /** Runs and returns stdout; a non-zero exit fails the check with `message` and `hint`. */
  async must(command: string, message: string, hint: string, opts: RunOptions = {}): Promise<string> {
    const r = await this.run(command, opts);
    if (r.code !== 0) throw this.failure(`${message} (exit code ${r.code})`, command, outputOf(r), hint);
    return r.stdout;
  }

  /** Runs an `openstack … -f json` command and parses its output. */
  async json<T>(command: string, message: string, hint: string, opts: RunOptions = {}): Promise<T> {
    const out = await this.must(command, message, hint, opts);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw this.failure(`${message}: the output is not JSON`, command, out, hint);
    }
  }

  failure(message: string, command: string, output: string, hint: string): CheckFailure {
    return new CheckFailure(message, command, maskSecrets(tail(output), this.secrets), hint);
  }
}

export function outputOf(r: ExecResult): string {
  return [r.stdout, r.stderr].filter((s) => s.trim() !== '').join('\n');
}
