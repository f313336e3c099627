// When the post step deletes the stack. `teardown: on-success` exists to keep a broken cloud for
// debugging, so it keeps the stack only when provisioning finished and a later phase (install,
// network fix, smoke) failed. A failure half-way through provisioning leaves nothing worth debugging,
// only cost, so it is always torn down unless the policy is `never`. A run that died without saying
// how it ended (cancel, crash) is torn down too: nobody can debug what may be half-built. A run its
// provider's preflight refused made nothing: there is nothing to tear down or keep.

import type { TeardownPolicy } from '../settings/inputs';

export type UpOutcome = 'refused' | 'provisioning' | 'provisioning-failed' | 'provisioned' | 'failed' | 'succeeded';

interface TeardownDecision {
  teardown: boolean;
  /** The run created nothing (its provider's preflight refused it): nothing to delete or keep. */
  nothingCreated?: boolean;
  why: string;
}

export function decideTeardown(policy: TeardownPolicy, outcome: UpOutcome | ''): TeardownDecision {
  // Whatever the policy: a teardown by this run's tags could only find nothing.
  if (outcome === 'refused')
    return {
      teardown: false,
      nothingCreated: true,
      why: 'the run stopped in its preflight, before it created anything',
    };
  if (policy === 'never') return { teardown: false, why: "teardown is 'never'" };
  if (policy === 'always') return { teardown: true, why: "teardown is 'always'" };
  switch (outcome) {
    case 'succeeded':
      return { teardown: true, why: 'the run succeeded' };
    case 'failed':
      return {
        teardown: false,
        why: "the run failed after provisioning and teardown is 'on-success': kept for debugging",
      };
    case 'provisioning-failed':
      return { teardown: true, why: 'provisioning failed half-way; nothing to debug, only cost' };
    default:
      return { teardown: true, why: 'the run ended without reporting its outcome (cancelled or crashed)' };
  }
}
