// Deleting baked images: DeregisterImage first, then DeleteSnapshot of each of its snapshots (EC2
// refuses to delete a snapshot that a registered image uses: the order matters). NotFound means gone
// already. What could not be deleted is reported by id with a warning, never thrown: a bake that
// made its images, or a sweep that deleted its stacks, does not fail over an old image.

import { DeleteSnapshotCommand, DeregisterImageCommand, Image } from '@aws-sdk/client-ec2';
import { errorMessage } from '../core/errors';
import type { Io } from '../core/io';
import { Tags } from '../core/names';
import type { ResourceRecord } from '../provider';
import type { Ec2 } from './client';
import { errorCode, isNotFound } from './errors';
import { BakedScope, describeBaked, newestFirst, snapshotsOf } from './images';
import { Kind, KindName } from './kinds';
import { tagValue } from './tags';

/** What deleting images did, per the stack that baked them (sweep reports per stack). */
export interface ImageDeletion {
  bakedBy: string;
  deleted: ResourceRecord[];
  leftovers: ResourceRecord[];
}

const DELETE_ATTEMPTS = 6;
/** States an image never leaves: it can never boot, its snapshots only cost. */
const DEAD_STATES = ['failed', 'error', 'invalid'];

/** Right after DeregisterImage, EC2 may still see the image holding its snapshots for a moment. */
const stillHeld = (err: unknown) => errorCode(err) === 'InvalidSnapshot.InUse';

async function remove(
  ec2: Ec2,
  into: ImageDeletion,
  io: Pick<Io, 'warning'>,
  what: { kind: KindName; id: string; operation: string },
  send: Parameters<Ec2['call']>[1],
): Promise<boolean> {
  try {
    await ec2.call(what.operation, send, { attempts: DELETE_ATTEMPTS, retryAlso: stillHeld });
  } catch (err) {
    if (!isNotFound(err)) {
      into.leftovers.push({ kind: what.kind, id: what.id });
      io.warning(`could not delete ${what.kind} ${what.id}: ${errorMessage(err)}`);
      return false;
    }
  }
  into.deleted.push({ kind: what.kind, id: what.id });
  return true;
}

/** Snapshots (no image of ours may still use them) deleted one by one. */
export async function deleteSnapshots(
  ec2: Ec2,
  ids: string[],
  into: ImageDeletion,
  io: Pick<Io, 'warning'>,
): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      remove(ec2, into, io, { kind: Kind.Snapshot, id, operation: 'DeleteSnapshot' }, (c) =>
        c.send(new DeleteSnapshotCommand({ SnapshotId: id })),
      ),
    ),
  );
}

/** Each image deregistered, then its snapshots deleted; a still-registered image keeps its snapshots. */
export async function deleteImages(ec2: Ec2, images: Image[], io: Pick<Io, 'warning'>): Promise<ImageDeletion[]> {
  return Promise.all(
    images.map(async (image) => {
      const id = image.ImageId!;
      const into: ImageDeletion = { bakedBy: tagValue(image.Tags, Tags.BakedBy) ?? '', deleted: [], leftovers: [] };
      const deregistered = await remove(ec2, into, io, { kind: Kind.Image, id, operation: 'DeregisterImage' }, (c) =>
        c.send(new DeregisterImageCommand({ ImageId: id })),
      );
      if (deregistered) await deleteSnapshots(ec2, snapshotsOf(image), into, io);
      else into.leftovers.push(...snapshotsOf(image).map((s) => ({ kind: Kind.Snapshot, id: s })));
      return into;
    }),
  );
}

/**
 * What goes of one repository's baked images: per bake key and role, every available image but the
 * newest `keep` (by CreationDate); and every image that failed. Pending ones (a bake still running,
 * maybe another run's) are never touched, nor is any image in `protect` (what this bake just made).
 */
function beyondKeep(images: Image[], keep: number, protect: ReadonlySet<string> = new Set()): Image[] {
  const groups = new Map<string, Image[]>();
  for (const image of images.filter((i) => i.State === 'available')) {
    const group = `${tagValue(image.Tags, Tags.BakeKey)}/${tagValue(image.Tags, Tags.Role)}`;
    groups.set(group, [...(groups.get(group) ?? []), image]);
  }
  const doomed = [
    ...images.filter((i) => DEAD_STATES.includes(i.State ?? '')),
    ...[...groups.values()].flatMap((group) => group.sort(newestFirst).slice(Math.max(1, keep))),
  ];
  return doomed.filter((i) => !protect.has(i.ImageId!));
}

/** Deletes the baked images in scope beyond `keep` per key and role; says which go and which stay. */
export async function pruneBaked(
  ec2: Ec2,
  scope: BakedScope,
  keep: number,
  io: Pick<Io, 'info' | 'warning'>,
  protect?: ReadonlySet<string>,
): Promise<ImageDeletion[]> {
  const images = await describeBaked(ec2, scope);
  const doomed = beyondKeep(images, keep, protect);
  if (doomed.length === 0) return [];
  io.info(
    `EC2: keeping the newest ${keep} baked image(s) per bake key and role; deleting ${doomed.length} with their snapshots: ` +
      doomed.map((i) => `${i.ImageId} (${tagValue(i.Tags, Tags.Role)}, ${i.State}, ${i.CreationDate})`).join(', '),
  );
  return deleteImages(ec2, doomed, io);
}
