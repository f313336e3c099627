// One retry helper for everything that may fail for a while (EC2 throttling and eventual
// consistency, DependencyViolation, SSH while a node boots). The sleep is swappable so tests never wait.

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

interface RetryOptions {
  /** Total attempts, including the first. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Only these errors are retried; anything else is thrown at once. */
  retryable: (err: unknown) => boolean;
  sleep?: Sleep;
  /** Called before each wait, e.g. to log progress. */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  /** Jitter source in [0, 1); fixed in tests for reproducible waits. */
  random?: () => number;
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || !opts.retryable(err)) throw err;
      // Exponential back-off with "equal jitter": half fixed, half random, capped.
      const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
      const waitMs = Math.round(exp / 2 + (exp / 2) * random());
      opts.onRetry?.(err, attempt, waitMs);
      await sleep(waitMs);
    }
  }
}
