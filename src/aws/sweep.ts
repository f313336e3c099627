// mode: sweep — finds every stack whose expires-at tag has passed and returns their ids for down(),
// which finds the rest of each stack by its stack-id tag. Every resource carries the Plan's tags
// (expires-at among them) from its create on (tags.ts), so each kind that can be left without a
// VPC holding it is asked for by that tag:
//   VPCs: subnets, security groups, route tables and interfaces exist only inside one;
//   instances: a stack half torn down (its VPC untagged, or still there because of them);
//   elastic IPs, internet gateways, key pairs: provision creates them side by side with the VPC,
//     so a runner killed before CreateVpc answered leaves them with no VPC (and elastic IPs bill by
//     the hour); a teardown that failed to delete them after its VPC went leaves them too.
// Then baked images: per bake key and role, those beyond `bake-keep` go with their snapshots
// (image-prune.ts), only this repository's, each reported under the stack that baked it.

import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeVpcsCommand,
  Filter,
  Tag,
} from '@aws-sdk/client-ec2';
import { errorMessage } from '../core/errors';
import type { Io } from '../core/io';
import { Tags } from '../core/names';
import type { TeardownReport } from '../provider';
import type { Ec2 } from './client';
import { LIVE_INSTANCE_STATES } from './discover';
import { pruneBaked } from './image-prune';
import { tagValue } from './tags';

/** One Describe call per kind, of what carries the expiry tag: the tags of each resource found. */
const QUERIES: Array<(ec2: Ec2, byExpiry: Filter) => Promise<Array<Tag[] | undefined>>> = [
  (ec2, f) =>
    ec2
      .call('DescribeVpcs', (c) => c.send(new DescribeVpcsCommand({ Filters: [f] })))
      .then((out) => (out.Vpcs ?? []).map((v) => v.Tags)),
  (ec2, f) =>
    ec2
      .call('DescribeInstances', (c) =>
        c.send(
          new DescribeInstancesCommand({ Filters: [f, { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES }] }),
        ),
      )
      .then((out) => (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.Tags)),
  (ec2, f) =>
    ec2
      .call('DescribeAddresses', (c) => c.send(new DescribeAddressesCommand({ Filters: [f] })))
      .then((out) => (out.Addresses ?? []).map((a) => a.Tags)),
  (ec2, f) =>
    ec2
      .call('DescribeInternetGateways', (c) => c.send(new DescribeInternetGatewaysCommand({ Filters: [f] })))
      .then((out) => (out.InternetGateways ?? []).map((g) => g.Tags)),
  (ec2, f) =>
    ec2
      .call('DescribeKeyPairs', (c) => c.send(new DescribeKeyPairsCommand({ Filters: [f] })))
      .then((out) => (out.KeyPairs ?? []).map((k) => k.Tags)),
];

export async function expiredStacks(ec2: Ec2, now: Date): Promise<string[]> {
  const byExpiry: Filter = { Name: 'tag-key', Values: [Tags.ExpiresAt] };
  const tagged = (await Promise.all(QUERIES.map((query) => query(ec2, byExpiry)))).flat();
  const expired = new Set<string>();
  for (const tags of tagged) {
    const stack = tagValue(tags, Tags.StackId);
    const expiresAt = Date.parse(tagValue(tags, Tags.ExpiresAt) ?? '');
    if (stack && !Number.isNaN(expiresAt) && expiresAt <= now.getTime()) expired.add(stack);
  }
  return [...expired].sort();
}

/** Baked images kept per key and role when the sweep is not told otherwise (bake-keep's default). */
const DEFAULT_BAKE_KEEP = 2;

/**
 * Prunes the repository's baked images beyond `keep` per key and role; what went is merged into the
 * report of the stack that baked it (a new report where that stack was not swept itself).
 */
export async function sweepBaked(
  ec2: Ec2,
  reports: TeardownReport[],
  ctx: { io: Pick<Io, 'info' | 'warning'>; bakeKeep?: number; repository?: string },
  seconds: () => number,
): Promise<TeardownReport[]> {
  if (!ctx.repository) {
    ctx.io.info('Baked images: not pruned (no repository known to scope them by)');
    return reports;
  }
  // The stacks are deleted already: a failed look-up must not lose their reports.
  const pruned = await pruneBaked(ec2, { repository: ctx.repository }, ctx.bakeKeep ?? DEFAULT_BAKE_KEEP, ctx.io).catch(
    (err: unknown) => {
      ctx.io.warning(`Baked images: not pruned: ${errorMessage(err)}`);
      return [];
    },
  );
  const out = [...reports];
  for (const p of pruned) {
    const stackId = p.bakedBy || 'unknown-stack';
    let report = out.find((r) => r.stackId === stackId);
    if (!report) out.push((report = { stackId, deleted: [], leftovers: [], seconds: seconds() }));
    report.deleted.push(...p.deleted);
    report.leftovers.push(...p.leftovers);
  }
  return out;
}
