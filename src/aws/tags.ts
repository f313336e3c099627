// Every resource carries the stack's tags (plus a Name and, for per-node resources, the node), set
// atomically at creation through TagSpecifications: a resource is never untagged, so teardown finds
// it by tag even when the run died before recording its id.

import type { ResourceType, Tag, TagSpecification } from '@aws-sdk/client-ec2';
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
