// Long waits are never silent: while work is pending, a line says what is being waited for and for
// how long, at least every 30 seconds.

import type { Io } from './io';

export interface Ticker {
  every(ms: number, fn: () => void): () => void;
  now(): number;
}

export const realTicker: Ticker = {
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref?.();
    return () => clearInterval(t);
  },
  now: () => Date.now(),
};

export const HEARTBEAT_MS = 30_000;

export async function withHeartbeat<T>(
  io: Pick<Io, 'info'>,
  what: string,
  work: () => Promise<T>,
  ticker: Ticker = realTicker,
  intervalMs = HEARTBEAT_MS,
): Promise<T> {
  const started = ticker.now();
  const stop = ticker.every(intervalMs, () => {
    io.info(`… still waiting for ${what} (${Math.round((ticker.now() - started) / 1000)} s)`);
  });
  try {
    return await work();
  } finally {
    stop();
  }
}
