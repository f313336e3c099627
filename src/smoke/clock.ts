// Time for the smoke checks: now, sleep and the heartbeat ticker in one place, so tests run a
// ten-minute poll in no time and still see every progress line it would print.

import { realTicker, Ticker } from '../core/progress';
import { realSleep } from '../core/retry';

export interface Clock extends Ticker {
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { ...realTicker, sleep: realSleep };
