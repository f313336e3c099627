// A stack id names one stack per region. `up` with an id that already has resources is refused in the
// preflight, before anything is created, with what exists (counts per kind, who created it, when)
// and how to delete it: a second stack under the same tag would make every teardown by tag take
// both, and its key pair name collides with the first stack's anyway. What is found is looked for
// again twice, a few seconds apart, before refusing: right after a `mode: down` (the PR workflow
// replaces its environment so) Describe may still show resources that are already deleted.

import { InputError } from '../core/errors';
import { Inputs, Tags } from '../core/names';
import type { Plan } from '../plan/types';
import type { Ec2 } from './client';
import type { Io } from '../core/io';
import type { Sleep } from '../core/retry';
import { describeStack, Seen } from './discover';

/** Looks after the first one that found something: how often, and how far apart. */
const RECHECKS = 2;
const RECHECK_MS = 5_000;

/** "2 instance(s), 1 vpc, …" in the order teardown deletes them. */
function countsByKind(seen: Seen[]): string {
  const counts = new Map<string, number>();
  for (const s of seen) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : '(s)'}`).join(', ');
}

/** Who made what exists: created-at, repository, run and attempt, one line per distinct run. */
function owners(seen: Seen[]): string {
  const lines = new Set(
    seen.map((s) => {
      const t = s.tags;
      const run = t[Tags.RunId] ? `run ${t[Tags.RunId]} attempt ${t[Tags.RunAttempt] ?? '?'}` : 'no run id';
      return `created ${t[Tags.CreatedAt] ?? 'at an unknown time'} by ${t[Tags.Repository] ?? 'an unknown repository'} (${run})`;
    }),
  );
  return [...lines].sort().join('; ');
}

export async function refuseExistingStack(ec2: Ec2, plan: Plan, sleep: Sleep, io: Pick<Io, 'info'>): Promise<void> {
  let seen = await describeStack(ec2, plan.stackId);
  for (let i = 0; i < RECHECKS && seen.length > 0; i++) {
    io.info(
      `Stack id ${plan.stackId} shows ${seen.length} resource(s) in ${plan.region}; looking again in ` +
        `${RECHECK_MS / 1000} s (a deletion may still be showing)`,
    );
    await sleep(RECHECK_MS);
    seen = await describeStack(ec2, plan.stackId);
  }
  if (seen.length === 0) return;
  throw new InputError(
    Inputs.StackId,
    plan.stackId,
    `a stack id no stack in ${plan.region} uses yet`,
    `stack ${plan.stackId} already exists in ${plan.region}: ${countsByKind(seen)}; ${owners(seen)}. ` +
      `Nothing was created and the existing stack is untouched. Delete it with mode: down and ` +
      `stack-id: ${plan.stackId}, or choose another stack-id`,
  );
}
