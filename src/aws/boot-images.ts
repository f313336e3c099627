// What each node boots, decided in the preflight: its role's baked image where `up` was handed one
// (image-cache auto found one per role), else the OS image (preflight.ts). A baked image may have
// gone since it was found (pruned by a bake or sweep of another run, deregistered by hand): each is
// asked for by id and must still be available and of its bake key, or the run is refused here,
// before anything is created, naming the image.

import { DescribeImagesCommand, Image } from '@aws-sdk/client-ec2';
import type { BakedImage, BootImages } from '../bake/types';
import { AwsError } from '../core/errors';
import { Tags } from '../core/names';
import type { Plan } from '../plan/types';
import type { Ec2 } from './client';
import { errorCode, isNotFound } from './errors';
import { BootImage, findImage } from './preflight';
import { tagValue } from './tags';

/** One baked image by id; undefined when EC2 no longer knows it. */
async function describeOne(ec2: Ec2, id: string): Promise<Image | undefined> {
  try {
    const out = await ec2.call('DescribeImages', (c) => c.send(new DescribeImagesCommand({ ImageIds: [id] })));
    return out.Images?.find((i) => i.ImageId === id);
  } catch (err) {
    if (isNotFound(err) || errorCode(err) === 'InvalidAMIID.Malformed') return undefined;
    throw err;
  }
}

async function checkBaked(ec2: Ec2, baked: BakedImage): Promise<BootImage> {
  const image = await describeOne(ec2, baked.id);
  const state = image ? (image.State ?? 'unknown') : 'gone';
  const key = tagValue(image?.Tags, Tags.BakeKey);
  if (!image || state !== 'available' || key !== baked.key)
    throw new AwsError(
      'DescribeImages',
      'BakedImageUnavailable',
      `the baked ${baked.role} image ${baked.id} (bake key ${baked.key}) ` +
        (image && state === 'available' ? `carries bake key ${key ?? 'none'}` : `is ${state}`) +
        '; nothing was created. Run again to look for another baked image, or with image-cache: off to install from scratch',
    );
  return { imageId: baked.id, rootDeviceName: image.RootDeviceName ?? '/dev/sda1', name: image.Name ?? baked.id };
}

/** Node name → the image it boots; the OS image is looked up only when some node boots it. */
export async function bootImagesFor(
  ec2: Ec2,
  plan: Plan,
  baked: BootImages | undefined,
): Promise<Record<string, BootImage>> {
  const bakedOf = (node: string) => baked?.[node];
  const needsOs = plan.nodes.some((n) => !bakedOf(n.name));
  const ids = [...new Map(plan.nodes.flatMap((n) => bakedOf(n.name) ?? []).map((b) => [b.id, b])).values()];
  const [os, checked] = await Promise.all([
    needsOs ? findImage(ec2, plan.image) : undefined,
    Promise.all(ids.map(async (b) => [b.id, await checkBaked(ec2, b)] as const)),
  ]);
  const byId = new Map(checked);
  return Object.fromEntries(
    plan.nodes.map((n) => {
      const b = bakedOf(n.name);
      return [n.name, b ? byId.get(b.id)! : os!];
    }),
  );
}

/** "ubuntu-… (ami-…)", or the baked images by role: for the log line before the launches. */
export function describeBoot(plan: Plan, images: Record<string, BootImage>, baked: BootImages | undefined): string {
  const seen = new Map<string, string>();
  for (const n of plan.nodes) {
    const image = images[n.name];
    const label = baked?.[n.name] ? `baked ${n.role} image ${image.imageId}` : `${image.name} (${image.imageId})`;
    seen.set(image.imageId, label);
  }
  return [...seen.values()].join(', ');
}
