// Which node stands for each role: the first of the role in the Plan. Every node of a role boots
// that role's image (bake-clean removes what makes a node itself: machine id, SSH host keys,
// Nova's compute id; the hostname and addresses come from the new stack).

import type { Plan } from '../plan/types';
import type { BakeRequest, BakedImage, BootImages } from './types';

export function bakeRequests(plan: Plan, key: string): BakeRequest[] {
  const seen = new Set<string>();
  return plan.nodes.flatMap((n) => {
    if (seen.has(n.role)) return [];
    seen.add(n.role);
    return [{ role: n.role, node: n.name, key }];
  });
}

/** Per node: its role's image. */
export function bootImagesFor(plan: Plan, byRole: Record<string, BakedImage>): BootImages {
  return Object.fromEntries(plan.nodes.map((n) => [n.name, byRole[n.role]]));
}
