// The EC2 provider: up (provision.ts), down (discover.ts + teardown.ts; the whole stack, or with a
// run scope only what that run created), sweep (sweep.ts), and baked images: findBaked (images.ts),
// bake (bake.ts), their pruning (image-prune.ts).

import type { EC2Client } from '@aws-sdk/client-ec2';
import { TeardownError } from '../core/errors';
import type { Io } from '../core/io';
import type { Ticker } from '../core/progress';
import type { Provider, ResourceRecord, RunScope, TeardownReport } from '../provider';
import { realSleep, Sleep } from '../core/retry';
import { AwsTarget, createEc2Client, Ec2, ec2Caller } from './client';
import { consoleOutput } from './console';
import { errorCode } from './errors';
import { discover } from './discover';
import { countFound } from './kinds';
import { fetchRunnerIpFromAws } from './preflight';
import { provision } from './provision';
import { bake } from './bake';
import { findBaked } from './images';
import { expiredStacks, sweepBaked } from './sweep';
import { deleteFound } from './teardown';
import type { WaitOptions } from './wait';

interface AwsProviderDeps {
  client?: EC2Client;
  sleep?: Sleep;
  /** Milliseconds since the epoch. */
  now?: () => number;
  fetchRunnerIp?: () => Promise<string>;
  ticker?: Ticker;
  /** Jitter for back-off, in [0, 1). */
  random?: () => number;
}

export function createAwsProvider(target: AwsTarget, deps: AwsProviderDeps = {}): Provider {
  const client = deps.client ?? createEc2Client(target);
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const caller = (io: Pick<Io, 'info'>, signal?: AbortSignal): Ec2 =>
    ec2Caller(client, {
      sleep,
      signal,
      random: deps.random,
      onRetry: (operation, err, waitMs) =>
        io.info(`EC2 ${operation}: ${errorCode(err) || 'error'}, retrying in ${Math.round(waitMs / 100) / 10} s`),
    });
  const waitOptions = (io: Pick<Io, 'info'>): WaitOptions => ({ sleep, now, io, ticker: deps.ticker });

  const down = async (
    stackId: string,
    ctx: { io: Io; known: ResourceRecord[]; run?: RunScope },
  ): Promise<TeardownReport> => {
    const started = now();
    const ec2 = caller(ctx.io);
    const found = await discover(ec2, stackId, ctx.known, ctx.run, ctx.io);
    ctx.io.info(
      `Stack ${stackId}: ${countFound(found)} EC2 resource(s) to delete` +
        (ctx.run ? ' (only what this run created)' : ''),
    );
    const result = await deleteFound(ec2, found, ctx.io, waitOptions(ctx.io));
    return { stackId, ...result, seconds: Math.round((now() - started) / 100) / 10 };
  };

  return {
    async up(plan, ctx) {
      const stop = new AbortController();
      const signal = ctx.signal ? anySignal([ctx.signal, stop.signal]) : stop.signal;
      return provision(plan, ctx, {
        ec2: caller(ctx.io, signal),
        fetchRunnerIp: deps.fetchRunnerIp ?? (() => fetchRunnerIpFromAws()),
        wait: waitOptions(ctx.io),
        stopCreating: () => stop.abort(),
      });
    },
    consoleOutput: (_stackId, node, io) => consoleOutput(caller(io), node.instanceId),
    down,
    async sweep(at, ctx) {
      const started = now();
      const stacks = await expiredStacks(caller(ctx.io), at);
      ctx.io.info(stacks.length ? `Expired stacks: ${stacks.join(', ')}` : 'No expired stacks.');
      const reports = await Promise.all(stacks.map((stackId) => down(stackId, { io: ctx.io, known: [] })));
      return sweepBaked(caller(ctx.io), reports, ctx, () => Math.round((now() - started) / 100) / 10);
    },
    findBaked: (plan, requests, ctx) => findBaked(caller(ctx.io), plan, requests, ctx.io),
    bake: (plan, env, requests, ctx) =>
      bake(plan, env, requests, ctx, {
        ec2: caller(ctx.io, ctx.signal),
        cleanup: caller(ctx.io),
        wait: waitOptions(ctx.io),
      }),
  };
}

/** Turns teardown leftovers into the step's failure, naming every resource by kind and id. */
export function assertNothingLeft(reports: TeardownReport[]): void {
  const leftovers = reports.flatMap((r) => r.leftovers.map((x) => `${x.kind} ${x.id} (stack ${r.stackId})`));
  if (leftovers.length > 0) throw new TeardownError(leftovers);
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', () => controller.abort(), { once: true });
  }
  return controller.signal;
}
