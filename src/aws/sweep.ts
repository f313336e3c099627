// mode: sweep — finds every stack whose expires-at tag has passed and returns their ids for down(),
// which finds the rest of each stack by its stack-id tag. Every resource carries the Plan's tags
// (expires-at among them) from its create on (tags.ts), so each kind that can be left without a
// VPC holding it is asked for by that tag:
//   VPCs: subnets, security groups, route tables and interfaces exist only inside one;
//   instances: a stack half torn down (its VPC untagged, or still there because of them);
//   elastic IPs, internet gateways, key pairs: provision creates them side by side with the VPC,
//     so a runner killed before CreateVpc answered leaves them with no VPC (and elastic IPs bill by
//     the hour); a teardown that failed to delete them after its VPC went leaves them too.

import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeVpcsCommand,
  Filter,
  Tag,
} from '@aws-sdk/client-ec2';
import { Tags } from '../core/names';
import type { Ec2 } from './client';
import { LIVE_INSTANCE_STATES } from './discover';
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
