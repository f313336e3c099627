// Set-up for the baked-image tests: a stack brought up on the fake EC2 and baked, one request per
// role (its first node), and the boot images a later up is handed for what findBaked found.

import type { BakedImage, BakeRequest, BootImages } from '../../../src/bake/types';
import { Inputs, InputName } from '../../../src/core/names';
import type { Plan } from '../../../src/plan/types';
import type { Environment } from '../../../src/provider';
import { ROLES } from '../../../src/settings/instance-types';
import { ACCOUNT, FakeEc2 } from '../../helpers/fake-ec2';
import { Rig, rig } from './harness';

export const KEY = '0123456789abcdef';

/** One request per role the Plan has: its first node's disk becomes the role's image. */
export function requestsOf(plan: Plan, key = KEY): BakeRequest[] {
  return ROLES.flatMap((role) => {
    const node = plan.nodes.find((n) => n.role === role);
    return node ? [{ role, node: node.name, key }] : [];
  });
}

/** Every node boots its role's image. */
export function bootImagesOf(plan: Plan, byRole: Record<string, BakedImage>): BootImages {
  return Object.fromEntries(plan.nodes.map((n) => [n.name, byRole[n.role]]));
}

export interface Baked {
  r: Rig;
  env: Environment;
  images: BakedImage[];
}

/** A stack up and baked (keep: how many per key and role the bake leaves). */
export async function bakedStack(
  fake: FakeEc2,
  stackId: string,
  opts: { key?: string; keep?: number; inputs?: Partial<Record<InputName, string>> } = {},
): Promise<Baked> {
  const r = rig({ [Inputs.StackId]: stackId, [Inputs.Topology]: 'full', ...opts.inputs }, {}, fake);
  const env = await r.up();
  const images = await r.provider.bake!(r.plan, env, requestsOf(r.plan, opts.key), { io: r.io, keep: opts.keep ?? 2 });
  return { r, env, images };
}

/** The account's own images (every state), not the region's public OS images. */
export function ownImages(fake: FakeEc2) {
  return fake.images.filter((i) => i.owner === ACCOUNT);
}
