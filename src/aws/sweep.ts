// mode: sweep — finds every stack whose expires-at tag has passed (on VPCs and on instances, so a
// stack half torn down is found too) and returns their ids for down().

import { DescribeInstancesCommand, DescribeVpcsCommand, Tag } from '@aws-sdk/client-ec2';
import { Tags } from '../core/names';
import type { Ec2 } from './client';
import { tagValue } from './tags';

export async function expiredStacks(ec2: Ec2, now: Date): Promise<string[]> {
  const byExpiry = { Name: 'tag-key', Values: [Tags.ExpiresAt] };
  const [vpcs, instances] = await Promise.all([
    ec2.call('DescribeVpcs', (c) => c.send(new DescribeVpcsCommand({ Filters: [byExpiry] }))),
    ec2.call('DescribeInstances', (c) =>
      c.send(
        new DescribeInstancesCommand({
          Filters: [
            byExpiry,
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
          ],
        }),
      ),
    ),
  ]);
  const tagged: Array<Tag[] | undefined> = [
    ...(vpcs.Vpcs ?? []).map((v) => v.Tags),
    ...(instances.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.Tags),
  ];
  const expired = new Set<string>();
  for (const tags of tagged) {
    const stack = tagValue(tags, Tags.StackId);
    const expiresAt = Date.parse(tagValue(tags, Tags.ExpiresAt) ?? '');
    if (stack && !Number.isNaN(expiresAt) && expiresAt <= now.getTime()) expired.add(stack);
  }
  return [...expired].sort();
}
