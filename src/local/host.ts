// What every local operation (up, down, sweep) works with: the host command runner, where things
// live on the host, the sleep, how long a machine gets to power off, and the host's Debian mirror.
// The provider fills it in once; tests hand in their own paths or a recording runner.

import { realSleep, Sleep } from '../core/retry';
import { Run, runHost } from './exec';
import type { DebianMirror } from './host-mirror';
import { DEFAULT_PATHS, LocalPaths } from './paths';

export interface LocalHost {
  run: Run;
  paths: LocalPaths;
  sleep: Sleep;
  /** How long a machine gets to power off after SIGTERM before it is killed. */
  stopGraceMs: number;
  /** The host's Debian mirror; found on the host (hostMirror()) when up needs it and none is given. */
  mirror?: DebianMirror;
}

export function localHost(given: Partial<LocalHost> = {}): LocalHost {
  return {
    run: given.run ?? runHost,
    paths: given.paths ?? DEFAULT_PATHS,
    sleep: given.sleep ?? realSleep,
    stopGraceMs: given.stopGraceMs ?? 20_000,
    mirror: given.mirror,
  };
}

/** Seconds since `t` (epoch ms), to a tenth: for the progress lines. */
export const secondsSince = (t: number): number => Math.round((Date.now() - t) / 100) / 10;
