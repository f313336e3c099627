// Baked images on EC2: AMIs and their EBS snapshots, tagged with this repository and a bake key.
// Every look-up here filters by the repository's tag AND the bake-key tag (and checks both again on
// what comes back), so nothing else in the account (an OS image, another repository's bake, a
// user's own AMI) is ever found, let alone deleted. They carry no stack-id tag: a stack's teardown,
// which finds everything by that tag, never sees them, and they outlive the stack that baked them.

import { DescribeImagesCommand, DescribeSnapshotsCommand, Filter, Image } from '@aws-sdk/client-ec2';
import type { BakedImage, BakeRequest } from '../bake/types';
import type { Io } from '../core/io';
import { PRODUCT, Tags } from '../core/names';
import type { Plan } from '../plan/types';
import type { Role } from '../settings/instance-types';
import type { Ec2 } from './client';
import { tagValue } from './tags';

/** Which baked images a look-up may see: always one repository's; optionally only some keys and roles. */
export interface BakedScope {
  repository: string;
  keys?: string[];
  roles?: Role[];
  /** More filters, e.g. by the baking stack and bake time (what one bake made). */
  filters?: Filter[];
}

/** The tags of a baked image and of each of its snapshots (the same set: both are found and deleted by them). */
export function bakedTags(
  plan: Plan,
  request: BakeRequest,
  repository: string,
  createdAt: string,
): Record<string, string> {
  return {
    Name: `${PRODUCT}-${request.role}-${request.key}`,
    [Tags.Repository]: repository,
    [Tags.BakeKey]: request.key,
    [Tags.Role]: request.role,
    [Tags.Release]: plan.release.id,
    [Tags.Os]: plan.os.id,
    [Tags.CreatedAt]: createdAt,
    [Tags.BakedBy]: plan.stackId,
  };
}

/** Filters by the tags of what one bake made: its stack and its bake time. */
export function madeBy(stackId: string, createdAt: string): Filter[] {
  return [
    { Name: `tag:${Tags.BakedBy}`, Values: [stackId] },
    { Name: `tag:${Tags.CreatedAt}`, Values: [createdAt] },
  ];
}

function scopeFilters(scope: BakedScope): Filter[] {
  return [
    { Name: `tag:${Tags.Repository}`, Values: [scope.repository] },
    scope.keys ? { Name: `tag:${Tags.BakeKey}`, Values: scope.keys } : { Name: 'tag-key', Values: [Tags.BakeKey] },
    ...(scope.roles ? [{ Name: `tag:${Tags.Role}`, Values: scope.roles }] : []),
    ...(scope.filters ?? []),
  ];
}

/** Tags as EC2 lists them → whether they mark a baked image (or snapshot) of this repository. */
function isBaked(tags: Image['Tags'], repository: string): boolean {
  return tagValue(tags, Tags.Repository) === repository && !!tagValue(tags, Tags.BakeKey);
}

/** This account's baked images in scope, every state but deregistered (EC2 lists those by id only). */
export async function describeBaked(ec2: Ec2, scope: BakedScope): Promise<Image[]> {
  const out = await ec2.call('DescribeImages', (c) =>
    c.send(new DescribeImagesCommand({ Owners: ['self'], Filters: scopeFilters(scope) })),
  );
  return (out.Images ?? []).filter((i) => i.ImageId && isBaked(i.Tags, scope.repository));
}

/** Snapshot ids in scope, found by their own tags (an image being made may not list its snapshots yet). */
export async function describeBakedSnapshots(ec2: Ec2, scope: BakedScope): Promise<string[]> {
  const out = await ec2.call('DescribeSnapshots', (c) =>
    c.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: scopeFilters(scope) })),
  );
  return (out.Snapshots ?? [])
    .filter((s) => s.SnapshotId && isBaked(s.Tags, scope.repository))
    .map((s) => s.SnapshotId!);
}

export function snapshotsOf(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
}

export function toBaked(image: Image): BakedImage {
  const tag = (key: string) => tagValue(image.Tags, key) ?? '';
  return {
    id: image.ImageId!,
    key: tag(Tags.BakeKey),
    role: tag(Tags.Role) as Role,
    release: tag(Tags.Release),
    os: tag(Tags.Os),
    createdAt: image.CreationDate ?? tag(Tags.CreatedAt),
    bakedBy: tag(Tags.BakedBy),
  };
}

/** Newest first by EC2's CreationDate (ISO strings compare in time order); the id breaks ties. */
export function newestFirst(a: Image, b: Image): number {
  return (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') || (b.ImageId ?? '').localeCompare(a.ImageId ?? '');
}

/**
 * The newest available image per requested role whose bake key matches, keyed by role; undefined
 * unless every requested role has one (a stack boots baked on every node or on none).
 */
export async function findBaked(
  ec2: Ec2,
  plan: Plan,
  requests: BakeRequest[],
  io: Pick<Io, 'info'>,
): Promise<Record<string, BakedImage> | undefined> {
  const repository = plan.tags[Tags.Repository];
  if (!repository) {
    io.info(`EC2: no baked image looked for: stack ${plan.stackId} has no ${Tags.Repository} tag to scope them by`);
    return undefined;
  }
  if (requests.length === 0) return undefined;
  const images = (
    await describeBaked(ec2, {
      repository,
      keys: [...new Set(requests.map((r) => r.key))],
      roles: [...new Set(requests.map((r) => r.role))],
      filters: [{ Name: 'state', Values: ['available'] }],
    })
  ).filter((i) => i.State === 'available');
  const found: Record<string, BakedImage> = {};
  for (const r of requests) {
    const newest = images
      .filter((i) => tagValue(i.Tags, Tags.BakeKey) === r.key && tagValue(i.Tags, Tags.Role) === r.role)
      .sort(newestFirst)[0];
    if (!newest) {
      io.info(`EC2: no baked ${r.role} image with bake key ${r.key} in this account and region`);
      return undefined;
    }
    found[r.role] = toBaked(newest);
  }
  io.info(
    `EC2: baked images found: ${Object.values(found)
      .map((b) => `${b.role} ${b.id} (bake key ${b.key}, baked ${b.createdAt} by stack ${b.bakedBy})`)
      .join(', ')}`,
  );
  return found;
}
