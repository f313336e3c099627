// Typed errors: thrown where the problem is found, caught once per entry point (main, post, cli).

import { maskSecrets } from './mask';

/** A bad input: names the input, the value given and what is accepted. Raised before anything exists. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly value: string,
    readonly accepted: string,
    readonly reason?: string,
  ) {
    super(`Input '${input}' has the value '${value}'${reason ? `: ${reason}` : ''}. Accepted: ${accepted}.`);
    this.name = 'InputError';
  }
}

/** An EC2 call failed in a way retrying will not fix. */
export class AwsError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    message: string,
  ) {
    super(`EC2 ${operation} failed (${code}): ${message}`);
    this.name = 'AwsError';
  }
}

/**
 * A command on a node exited non-zero (or timed out). Carries what a user needs to diagnose it; its
 * output tail is masked with every secret the process knows when the error is made, so no copy of
 * the error (log, summary, JUnit, a comment) can carry one.
 */
export class RemoteCommandError extends Error {
  readonly tail: string;
  constructor(
    readonly node: string,
    readonly stage: string,
    readonly exitCode: number | null,
    rawTail: string,
    readonly timedOut = false,
    /** The connection went before the command exited: its outcome is unknown. */
    readonly connectionLost = false,
  ) {
    const tail = maskSecrets(rawTail);
    super(
      `${timedOut ? 'Timed out' : `Exit code ${exitCode}`} in stage '${stage}' on node '${node}'.` +
        (tail ? `\nLast lines of its output:\n${tail}` : ''),
    );
    this.tail = tail;
    this.name = 'RemoteCommandError';
  }
}

/** Teardown finished but left resources behind; lists them so a human can delete them by id. */
export class TeardownError extends Error {
  constructor(readonly leftovers: string[]) {
    super(`Teardown could not delete ${leftovers.length} resource(s): ${leftovers.join(', ')}`);
    this.name = 'TeardownError';
  }
}

// A mark, not a wrapper: the error keeps its type and message (an InputError still names its input).
const CREATED_NOTHING = Symbol('created nothing');

/**
 * Marks an error a provider raised in its preflight, before its first create call: the post step
 * then knows this run made nothing and tears nothing down (it says so instead of a teardown by tags).
 */
export function markCreatedNothing<E>(err: E): E {
  if (err instanceof Error) Object.defineProperty(err, CREATED_NOTHING, { value: true });
  return err;
}

export function createdNothing(err: unknown): boolean {
  return err instanceof Error && (err as Error & { [CREATED_NOTHING]?: boolean })[CREATED_NOTHING] === true;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
