// Runs ip/nft/sysctl for the emulated VPC: argument vectors only (never a shell), scripts on stdin.
// Every failure carries the command and the tail of its output.

import { runHost, RunOptions, RunResult } from '../../core/host-command';

export type { RunOptions, RunResult } from '../../core/host-command';

/** The shared host runner with a 30 s bound: ip, nft and sysctl never legitimately take longer. */
export function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runHost(command, args, { timeoutMs: 30_000, ...opts });
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
