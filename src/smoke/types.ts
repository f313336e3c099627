// What a smoke check produces and what every check gets to work with.

import type { Environment } from '../provider';
import type { Io } from '../core/io';
import type { CheckId, Plan } from '../plan/types';
import type { RemoteSession } from '../remote/types';
import type { Clock } from './clock';
import type { PublicAccess } from './public-api';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckFailureDetails {
  /** One line: what did not hold. */
  message: string;
  /** The command that showed it (secrets never appear in commands: they live in the openrc file). */
  command: string;
  /** The last lines of its output. */
  output: string;
  /** Where to look next. */
  hint: string;
}

export interface CheckResult {
  id: CheckId;
  name: string;
  status: CheckStatus;
  seconds: number;
  /** Epoch milliseconds, for the timeline. */
  startedAt: number;
  failure?: CheckFailureDetails;
  skippedReason?: string;
  /** Facts worth showing on success (image id, the boot marker found, …). */
  notes: string[];
  /** A JUnit document of sub-results (Tempest) to merge into the report. */
  junit?: string;
  /** Long lists worth showing in full (Tempest's failed tests with their errors, its skips with reasons). */
  listings?: CheckListing[];
}

export interface CheckListing {
  title: string;
  lines: string[];
  /** How many items the lines describe, when a line groups several (skips by reason). */
  count?: number;
}

/** Upper bounds of the long waits, in milliseconds. */
export interface SmokeBounds {
  imageDownloadMs: number;
  imageActiveMs: number;
  serverActiveMs: number;
  consoleBootMs: number;
  reachMs: number;
  portForwardMs: number;
  tempestMs: number;
  pollIntervalMs: number;
}

export const DEFAULT_BOUNDS: SmokeBounds = {
  imageDownloadMs: 15 * 60_000,
  imageActiveMs: 10 * 60_000,
  serverActiveMs: 10 * 60_000,
  // QEMU without KVM (TCG) boots a small guest in tens of seconds, a busy compute node in minutes.
  consoleBootMs: 10 * 60_000,
  reachMs: 3 * 60_000,
  portForwardMs: 2 * 60_000,
  tempestMs: 120 * 60_000,
  // Between probes, not a period: each probe is an openstack CLI call on the controller (1–3 s of
  // Python start-up), so a short pause keeps the controller's CPU for the work being waited on.
  pollIntervalMs: 2_000,
};

/** Opens a TCP connection and resolves once it is established (or rejects); the runner's side. */
export type TcpConnect = (host: string, port: number, timeoutMs: number) => Promise<{ banner?: string }>;

interface SmokeInstance {
  id: string;
  fixedIp: string;
}

export interface SmokeOptions {
  plan: Plan;
  env: Environment;
  controller: RemoteSession;
  io: Io;
  clock?: Clock;
  /** Path ON THE CONTROLLER of the admin openrc (0600, root); every OpenStack command sources it. */
  adminOpenrcPath: string;
  /** The stack's CA and admin's password: keystone-token and catalog use the public HTTPS endpoints. */
  publicAccess: PublicAccess;
  /** Values to mask in anything a check reports (the io masks logs; this covers the JUnit file). */
  secrets?: string[];
  bounds?: Partial<SmokeBounds>;
  /** For tests: the runner-side TCP connect of the port-forward check. */
  connect?: TcpConnect;
  /**
   * Called once the smoke instance is ACTIVE and before the port-forward is tried, for the network
   * fix to point the DNAT at it when it was not set up for the Plan's smokeInstanceIp beforehand.
   */
  beforePortForward?: (instance: SmokeInstance) => Promise<void>;
}

/** What the checks learn and hand on to later checks. */
export interface SmokeState {
  imageId?: string;
  flavorId?: string;
  networkId?: string;
  subnetId?: string;
  routerId?: string;
  securityGroupId?: string;
  instance?: SmokeInstance;
}
