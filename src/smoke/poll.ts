// Bounded polling with progress: every long wait of a check says what it waits for (a heartbeat at
// least every 30 s, plus a line whenever the observed status changes) and gives up at its bound.

import { withHeartbeat } from '../core/progress';
import type { CheckContext } from './context';

type PollStep<T> = { done: true; value: T } | { done: false; status: string; command?: string; output?: string };

interface PollSpec<T> {
  /** What is being waited for, e.g. "image abc to become active". */
  what: string;
  boundMs: number;
  intervalMs?: number;
  probe: () => Promise<PollStep<T>>;
  /** Shown when the bound passes. */
  hint: string;
}

export async function pollUntil<T>(ctx: CheckContext, spec: PollSpec<T>): Promise<T> {
  const interval = spec.intervalMs ?? ctx.bounds.pollIntervalMs;
  return withHeartbeat(
    ctx.io,
    spec.what,
    async () => {
      const deadline = ctx.clock.now() + spec.boundMs;
      let last: PollStep<T> & { done: false } = { done: false, status: 'not checked yet' };
      for (;;) {
        const step = await spec.probe();
        if (step.done) return step.value;
        if (step.status !== last.status) ctx.io.info(`  ${spec.what}: ${step.status}`);
        last = step;
        if (ctx.clock.now() + interval > deadline) break;
        await ctx.clock.sleep(interval);
      }
      throw ctx.cli.failure(
        `gave up after ${Math.round(spec.boundMs / 1000)} s waiting for ${spec.what}; last seen: ${last.status}`,
        last.command ?? '',
        last.output ?? '',
        spec.hint,
      );
    },
    ctx.clock,
  );
}

/** A single long command (a download, an upload): a heartbeat while it runs. */
export function withProgress<T>(ctx: CheckContext, what: string, work: () => Promise<T>): Promise<T> {
  return withHeartbeat(ctx.io, what, work, ctx.clock);
}
