// The local provider: realises a Plan on this machine. Each node is a systemd-nspawn machine booted
// from a cached Debian root file system, in a network namespace whose NICs are ENIs of the emulated
// AWS VPC (./vpc). Packages come through the host's apt-cacher-ng at 203.0.113.1:3142, reached over
// the VPC's host link; nothing is routed from the namespaces to the outside. Everything after
// provisioning (stages, network fix, smoke) sees only the returned Environment.
// The work is in up.ts, down.ts, sweep.ts, apt-cache.ts and console.ts; this file wires them up.

import type { Io } from '../core/io';
import type { Provider, ResourceRecord, TeardownReport } from '../provider';
import type { Plan } from '../plan/types';
import { bakeLocal, findLocalBaked, pruneBaked } from './baked';
import { consoleTail } from './console';
import { hostMirror } from './host-mirror';
import { osArchive } from './os-archives';
import { recipeId } from './rootfs';
import { downLocal } from './down';
import { LocalHost, localHost } from './host';
import { sweepLocal } from './sweep';
import { LocalUpTimings, upLocal } from './up';
import type { Vpc } from './vpc';

interface LocalProvider extends Provider {
  /** The live VPC of a stack brought up by this process (the network fix flips source/dest check on it). */
  vpcOf(stackId: string): Vpc | undefined;
  /** Timings of the last up() in this process (the e2e script and the benchmark print them). */
  readonly lastUpTimings: LocalUpTimings | undefined;
}

/** The local provider needs nothing from the inputs: where things live on the host has defaults. */
export function createLocalProvider(deps: Partial<LocalHost> = {}): LocalProvider {
  const host = localHost(deps);
  const vpcs = new Map<string, Vpc>();
  let lastTimings: LocalUpTimings | undefined;

  const down = async (stackId: string, ctx: { io: Io; known: ResourceRecord[] }): Promise<TeardownReport> => {
    const report = await downLocal(host, stackId, ctx);
    vpcs.delete(stackId);
    return report;
  };

  // A snapshot fits only the OS tree it was baked on (the same recipe and mirror).
  const recipeOf = (plan: Plan) => recipeId(osArchive(plan.os.id, host.mirror ?? hostMirror()));

  return {
    async up(plan, ctx) {
      const { env, timings } = await upLocal(host, plan, ctx, {
        down: (stackId) => down(stackId, { io: ctx.io, known: [] }),
        onVpc: (vpc) => vpcs.set(plan.stackId, vpc),
      });
      lastTimings = timings;
      return env;
    },
    down,
    async sweep(now, ctx) {
      const reports = await sweepLocal(host, now, ctx, (stackId) => down(stackId, { io: ctx.io, known: [] }));
      const started = Date.now();
      const deleted = pruneBaked(host.paths.cacheDir, ctx.bakeKeep ?? 2, ctx.io);
      if (deleted.length)
        reports.push({ stackId: 'baked snapshots', deleted, leftovers: [], seconds: (Date.now() - started) / 1000 });
      return reports;
    },
    findBaked: async (plan, requests) => findLocalBaked(host.paths.cacheDir, requests, recipeOf(plan)),
    bake: (plan, env, requests, ctx) =>
      bakeLocal(host, plan, env, requests, { io: ctx.io, keep: ctx.keep, rootfsRecipe: recipeOf(plan) }),
    consoleOutput: (stackId, node) => consoleTail(host.paths, stackId, node.name),
    vpcOf: (stackId) => vpcs.get(stackId),
    upSteps: () => lastTimings?.steps ?? [],
    get lastUpTimings() {
      return lastTimings;
    },
  };
}
