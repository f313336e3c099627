// What each check function receives: the Plan, the environment, the admin CLI on the controller,
// the clock and bounds, and the state earlier checks left behind.

import type { Io } from '../core/io';
import type { Plan } from '../plan/types';
import type { Environment } from '../provider';
import type { AdminCli } from './admin-cli';
import type { Clock } from './clock';
import type { SmokeBounds, SmokeOptions, SmokeState } from './types';

interface SmokeNames {
  image: string;
  flavor: string;
  network: string;
  subnet: string;
  router: string;
  securityGroup: string;
  server: string;
  /** The smoke server's port, made first with the fixed address the port-forward points at. */
  port: string;
}

/** Names of what the checks create inside the cloud; the stack id keeps them recognisable. */
export function smokeNames(plan: Plan): SmokeNames {
  return {
    image: `${plan.stackId}-smoke-image`,
    // The install guide's m1.tiny (1 vCPU, 512 MiB, 1 GiB): what Tempest and users expect to find.
    flavor: 'm1.tiny',
    network: plan.networks.tenant.name,
    subnet: `${plan.networks.tenant.name}-subnet`,
    router: plan.networks.routerName,
    securityGroup: `${plan.stackId}-smoke`,
    server: `${plan.stackId}-smoke-vm`,
    port: `${plan.stackId}-smoke-vm-port`,
  };
}

export interface CheckContext {
  plan: Plan;
  env: Environment;
  io: Io;
  clock: Clock;
  cli: AdminCli;
  bounds: SmokeBounds;
  state: SmokeState;
  names: SmokeNames;
  options: SmokeOptions;
  /** A fact worth keeping in the report (shown with the result). */
  note(text: string): void;
  /** A JUnit document of sub-results to merge into the report (Tempest). */
  setJunit(xml: string): void;
  /**
   * A list shown in full in the log and the job summary (e.g. each skipped test with its reason);
   * count: how many items its lines describe when a line groups several (default: one a line).
   */
  list(title: string, lines: string[], count?: number): void;
}

export type CheckFn = (ctx: CheckContext) => Promise<void>;
