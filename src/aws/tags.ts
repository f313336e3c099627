// Every resource carries the stack's tags (plus a Name and, for per-node resources, the node), set
// atomically at creation through TagSpecifications: a resource is never untagged, so teardown finds
// it by tag even when the run died before recording its id (or the answer to its create was lost).

import type { Filter, ResourceType, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { createHash } from 'crypto';
import { PRODUCT, Tags } from '../core/names';

function stackTags(planTags: Record<string, string>, name: string, node?: string): Tag[] {
  const all: Record<string, string> = {
    ...planTags,
    Name: `${PRODUCT}-${name}`,
    ...(node ? { [Tags.Node]: node } : {}),
  };
  return Object.entries(all).map(([Key, Value]) => ({ Key, Value }));
}

export function tagSpec(
  type: ResourceType,
  planTags: Record<string, string>,
  name: string,
  node?: string,
): TagSpecification[] {
  return [{ ResourceType: type, Tags: stackTags(planTags, name, node) }];
}

/** The filter that finds a stack's resources in every Describe call. */
export function stackFilter(stackId: string) {
  return { Name: `tag:${Tags.StackId}`, Values: [stackId] };
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/**
 * Filters that match exactly what this run created under this name: every tag the create put on it
 * (stack id, run id and attempt, created-at, Name, node). Used to find a create whose answer was lost.
 */
export function ownFilters(planTags: Record<string, string>, name: string, node?: string): Filter[] {
  return stackTags(planTags, name, node).map((t) => ({ Name: `tag:${t.Key}`, Values: [t.Value ?? ''] }));
}

/**
 * An idempotency token for a create that takes one: the same for every resend of this run's create
 * of this resource (EC2 then answers with the first one), different for any other run or resource.
 */
export function clientToken(planTags: Record<string, string>, ...parts: string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([planTags, ...parts]))
    .digest('hex')
    .slice(0, 64);
}
