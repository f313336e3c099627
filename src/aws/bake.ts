// bake on EC2: each requested node's instance becomes its role's AMI (CreateImage, every EBS volume
// of it snapshotted), tagged at creation, image and snapshots alike, with the repository, bake key,
// role, release, OS, bake time and baking stack (images.ts). The bake waits until every image is
// available, then keeps the newest `keep` per key and role (image-prune.ts). A bake that fails half
// way, or is cancelled, leaves no half-made image: it deregisters what it made and deletes the
// snapshots before it rethrows.

import { CreateImageCommand, DescribeImagesCommand, Image } from '@aws-sdk/client-ec2';
import type { BakedImage, BakeRequest } from '../bake/types';
import { errorMessage } from '../core/errors';
import type { Io } from '../core/io';
import { PRODUCT, Tags } from '../core/names';
import type { Plan } from '../plan/types';
import type { BakeContext, Environment } from '../provider';
import type { Ec2 } from './client';
import { isNotFound } from './errors';
import { deleteImages, deleteSnapshots, ImageDeletion, pruneBaked } from './image-prune';
import { BakedScope, bakedTags, describeBaked, describeBakedSnapshots, madeBy, snapshotsOf, toBaked } from './images';
import { answeredBy, ec2Description } from './network';
import { settleAll } from './placement';
import { waitForImages, WaitOptions } from './wait';

interface BakeDeps {
  /** Creates and waits: refuses to start a call once the run is cancelled. */
  ec2: Ec2;
  /** Deletes: a failed or cancelled bake still takes apart what it made, and prunes. */
  cleanup: Ec2;
  wait: WaitOptions;
}

/** EC2's rule for AMI names: 3-128 of letters, digits, ( ) [ ] space . / - ' @ _. */
const AMI_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

/** `openstack-on-aws-<role>-<key>-<stack>-<UTC time>`: unique per account and region, as EC2 wants. */
function amiName(plan: Plan, request: BakeRequest, createdAt: string): string {
  const stamp = createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const name = `${PRODUCT}-${request.role}-${request.key}-${plan.stackId}-${stamp}`;
  if (!AMI_NAME.test(name))
    throw new Error(
      `the image name '${name}' breaks EC2's rule for AMI names (3 to 128 letters, digits and ()[] ./-'@_)`,
    );
  return name;
}

function repositoryOf(plan: Plan): string {
  const repository = plan.tags[Tags.Repository];
  if (!repository)
    throw new Error(
      `stack ${plan.stackId} has no ${Tags.Repository} tag (GITHUB_REPOSITORY): baking needs it, it scopes every image a bake makes and deletes`,
    );
  return repository;
}

async function createImage(
  ec2: Ec2,
  plan: Plan,
  request: BakeRequest,
  instanceId: string,
  tags: Record<string, string>,
): Promise<string> {
  const name = amiName(plan, request, tags[Tags.CreatedAt]);
  const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  const out = await ec2.call(
    'CreateImage',
    (c) =>
      c.send(
        new CreateImageCommand({
          InstanceId: instanceId,
          Name: name,
          Description: ec2Description(
            `${PRODUCT} ${plan.release.label} on ${plan.os.label}: ${request.role} node ${request.node} of stack ${plan.stackId}`,
          ),
          // EC2's default, said out loud: the instance is shut down cleanly before its volumes are
          // snapshotted, so every file system is consistent (the bake-clean stage stopped the services).
          NoReboot: false,
          // No BlockDeviceMappings: every EBS volume of the node goes in, the data disks the install
          // shaped (cinder's volume group, swift's file systems) as well as the root.
          TagSpecifications: [
            { ResourceType: 'image', Tags: tagList },
            { ResourceType: 'snapshot', Tags: tagList },
          ],
        }),
      ),
    {
      // CreateImage takes no ClientToken: after a lost answer the image is looked for by its name
      // (unique in the account and region), and a resend refused as a duplicate resolves to it.
      tookEffect: answeredBy('InvalidAMIName.Duplicate'),
      findCreated: async () => {
        const found = await ec2.call('DescribeImages', (c) =>
          c.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] })),
        );
        const id = found.Images?.[0]?.ImageId;
        return id ? { $metadata: {}, ImageId: id } : undefined;
      },
    },
  );
  if (!out.ImageId) throw new Error('EC2 returned no image id');
  return out.ImageId;
}

/** This bake's own images (by its tags, and by the ids it was given: a fresh image may not be listed by tag yet). */
async function madeImages(ec2: Ec2, scope: BakedScope, ids: string[]): Promise<Image[]> {
  const tagged = await describeBaked(ec2, scope);
  const missing = ids.filter((id) => !tagged.some((i) => i.ImageId === id));
  if (missing.length === 0) return tagged;
  const byId = await Promise.all(
    missing.map((id) =>
      ec2
        .call('DescribeImages', (c) => c.send(new DescribeImagesCommand({ ImageIds: [id] })))
        .then((out) => out.Images ?? [])
        .catch((err: unknown) => (isNotFound(err) ? [] : Promise.reject(err))),
    ),
  );
  return [...tagged, ...byId.flat().filter((i) => i.State !== 'deregistered')];
}

/** Deregisters what a failed bake made and deletes its snapshots, also those no image lists yet. */
async function undoBake(ec2: Ec2, scope: BakedScope, ids: string[], io: Pick<Io, 'info' | 'warning'>) {
  try {
    const [images, snapshots] = await Promise.all([madeImages(ec2, scope, ids), describeBakedSnapshots(ec2, scope)]);
    io.info(`EC2: the bake failed; deleting the ${images.length} image(s) it made and their snapshots`);
    const results = await deleteImages(ec2, images, io);
    const listed = new Set(images.flatMap(snapshotsOf));
    const strays: ImageDeletion = { bakedBy: '', deleted: [], leftovers: [] };
    await deleteSnapshots(
      ec2,
      snapshots.filter((s) => !listed.has(s)),
      strays,
      io,
    );
    const left = [...results, strays].flatMap((r) => r.leftovers);
    if (left.length > 0)
      io.warning(`the failed bake left ${left.map((r) => `${r.kind} ${r.id}`).join(', ')}: delete them by hand`);
  } catch (err) {
    io.warning(
      `could not take apart the failed bake's images (${errorMessage(err)}): delete what carries the tags ` +
        `${(scope.filters ?? []).map((f) => `${f.Name?.replace(/^tag:/, '')}=${f.Values?.join(',')}`).join(' and ')} by hand`,
    );
  }
}

export async function bake(
  plan: Plan,
  env: Environment,
  requests: BakeRequest[],
  ctx: Pick<BakeContext, 'io' | 'keep'>,
  deps: BakeDeps,
): Promise<BakedImage[]> {
  const repository = repositoryOf(plan);
  if (requests.length === 0) return [];
  const sources = requests.map((request) => {
    const node = env.nodes.find((n) => n.name === request.node);
    if (!node)
      throw new Error(`cannot bake the ${request.role} image: stack ${env.stackId} has no node '${request.node}'`);
    return { request, instanceId: node.instanceId };
  });
  const createdAt = new Date(deps.wait.now()).toISOString();
  const made: string[] = [];
  let images: Image[];
  try {
    const ids = await settleAll(
      sources.map(async ({ request, instanceId }) => {
        const id = await createImage(
          deps.ec2,
          plan,
          request,
          instanceId,
          bakedTags(plan, request, repository, createdAt),
        );
        made.push(id);
        return id;
      }),
    );
    ctx.io.info(
      `EC2: baking ${ids.length} image(s): ${sources.map((s, i) => `${s.request.role} ${ids[i]} from ${s.request.node} (${s.instanceId})`).join(', ')}`,
    );
    images = await waitForImages(deps.ec2, ids, deps.wait);
  } catch (err) {
    await undoBake(deps.cleanup, { repository, filters: madeBy(plan.stackId, createdAt) }, made, ctx.io);
    throw err;
  }
  // The bake succeeded: an older image that cannot be deleted now is left for the next bake or sweep.
  const scope = {
    repository,
    keys: [...new Set(requests.map((r) => r.key))],
    roles: [...new Set(requests.map((r) => r.role))],
  };
  await pruneBaked(deps.cleanup, scope, ctx.keep, ctx.io, new Set(made)).catch((err: unknown) =>
    ctx.io.warning(`could not prune older baked images: ${errorMessage(err)}`),
  );
  return images.map(toBaked);
}
