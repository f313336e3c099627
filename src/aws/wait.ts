// Polling instead of the SDK's waiters: the sleep and the clock are injected (tests and the
// benchmark run on fake time), every wait is bounded, and long waits print progress lines.

import { DescribeImagesCommand, DescribeInstancesCommand, Image, Instance } from '@aws-sdk/client-ec2';
import { AwsError } from '../core/errors';
import type { Io } from '../core/io';
import { Ticker, withHeartbeat } from '../core/progress';
import type { Sleep } from '../core/retry';
import type { Ec2 } from './client';
import { isNotFound } from './errors';

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
/** An image of a few 20-40 GiB volumes takes minutes; the first snapshot of a volume copies all of it. */
const IMAGE_POLL_MS = 15_000;
const IMAGE_TIMEOUT_MS = 45 * 60_000;
/** States an image never leaves for `available`. */
const IMAGE_DEAD = ['failed', 'error', 'invalid', 'deregistered', 'disabled'];

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
  /** The call whose result is waited for, named in the timeout error. */
  operation = 'DescribeInstances',
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
            operation,
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

/**
 * Resolves with the images once every one is available, saying when each one is; throws at once when
 * one failed or is gone (it will never be available).
 */
export async function waitForImages(ec2: Ec2, ids: string[], opts: WaitOptions): Promise<Image[]> {
  const started = opts.now();
  const ready = new Map<string, Image>();
  const what = `${ids.length} image(s) to become available`;
  const every = { ...opts, pollMs: opts.pollMs ?? IMAGE_POLL_MS };
  const check = async () => {
    const pending = ids.filter((id) => !ready.has(id));
    // Right after CreateImage the id may not be known yet (eventual consistency): asked again.
    const out = await ec2.call('DescribeImages', (c) => c.send(new DescribeImagesCommand({ ImageIds: pending })), {
      retryAlso: isNotFound,
    });
    for (const id of pending) {
      const image = (out.Images ?? []).find((i) => i.ImageId === id);
      const state = image?.State ?? 'gone';
      if (!image || IMAGE_DEAD.includes(state))
        throw new AwsError(
          'CreateImage',
          'ImageFailed',
          `image ${id} is ${state}: ${image?.StateReason?.Message ?? 'no reason given'}`,
        );
      if (state === 'available') {
        ready.set(id, image);
        opts.io.info(`EC2: image ${id} (${image.Name}) available after ${Math.round((opts.now() - started) / 1000)} s`);
      }
    }
    const left = ids.filter((id) => !ready.has(id));
    return { done: left.length === 0, status: left.map((id) => `${id} pending`).join(', ') };
  };
  await poll(what, every, opts.timeoutMs ?? IMAGE_TIMEOUT_MS, check, 'DescribeImages');
  return ids.map((id) => ready.get(id)!);
}
