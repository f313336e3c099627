// Polling instead of the SDK's waiters: the sleep and the clock are injected (tests and the
// benchmark run on fake time), every wait is bounded, and long waits print progress lines.

import { DescribeInstancesCommand, Instance } from '@aws-sdk/client-ec2';
import { AwsError } from '../core/errors';
import type { Io } from '../core/io';
import { Ticker, withHeartbeat } from '../core/progress';
import type { Sleep } from '../core/retry';
import type { Ec2 } from './client';

export interface WaitOptions {
  sleep: Sleep;
  now: () => number;
  io: Pick<Io, 'info'>;
  ticker?: Ticker;
  pollMs?: number;
  timeoutMs?: number;
}

const POLL_MS = 5_000;
/** Termination takes a minute or two; this bound keeps the full teardown inside the 5-minute cancel window. */
const TERMINATION_TIMEOUT_MS = 200_000;
const RUNNING_TIMEOUT_MS = 600_000;

async function describe(ec2: Ec2, ids: string[]): Promise<Instance[]> {
  const out = await ec2.call('DescribeInstances', (c) =>
    c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }] })),
  );
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

async function poll(
  what: string,
  opts: WaitOptions,
  timeoutMs: number,
  check: () => Promise<{ done: boolean; status: string }>,
): Promise<void> {
  const started = opts.now();
  await withHeartbeat(
    opts.io,
    what,
    async () => {
      for (;;) {
        const { done, status } = await check();
        if (done) return;
        if (opts.now() - started >= timeoutMs)
          throw new AwsError(
            'DescribeInstances',
            'WaitTimeout',
            `${what}: still ${status} after ${Math.round(timeoutMs / 1000)} s`,
          );
        await opts.sleep(opts.pollMs ?? POLL_MS);
      }
    },
    opts.ticker,
  );
}

export async function waitForTermination(ec2: Ec2, ids: string[], opts: WaitOptions): Promise<void> {
  await poll(`${ids.length} instance(s) to terminate`, opts, opts.timeoutMs ?? TERMINATION_TIMEOUT_MS, async () => {
    const live = (await describe(ec2, ids)).filter((i) => i.State?.Name !== 'terminated');
    return { done: live.length === 0, status: live.map((i) => `${i.InstanceId} ${i.State?.Name}`).join(', ') };
  });
}

/** Resolves when every instance runs; throws at once when one is gone (spot reclaimed, boot failure). */
export async function waitForRunning(ec2: Ec2, ids: string[], opts: WaitOptions): Promise<void> {
  await poll(`${ids.length} instance(s) to run`, opts, opts.timeoutMs ?? RUNNING_TIMEOUT_MS, async () => {
    const instances = await describe(ec2, ids);
    const dead = instances.find((i) =>
      ['shutting-down', 'terminated', 'stopping', 'stopped'].includes(i.State?.Name ?? ''),
    );
    if (dead)
      throw new AwsError(
        'RunInstances',
        'InstanceGone',
        `instance ${dead.InstanceId} is ${dead.State?.Name}: ${dead.StateReason?.Message ?? 'no reason given'}`,
      );
    const pending = ids.filter((id) => instances.find((i) => i.InstanceId === id)?.State?.Name !== 'running');
    return { done: pending.length === 0, status: pending.map((id) => `${id} pending`).join(', ') };
  });
}
