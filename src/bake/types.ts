// Baked images: a stack that passed its smoke checks, turned into one image per node role (an AMI on
// EC2, a root-file-system snapshot with the local provider), so a later `up` boots it and rekeys it
// instead of installing. What both providers and the pipeline agree on.

import type { Role } from '../settings/instance-types';

/** One baked image of one node role. Never holds a secret: its fields become tags and file names. */
export interface BakedImage {
  /** The AMI id, or the local snapshot's name. */
  id: string;
  /** The bake key it was made for (src/bake/key.ts). */
  key: string;
  role: Role;
  release: string;
  os: string;
  /** ISO time of the bake: the newest per key and role is booted, the oldest are deleted first. */
  createdAt: string;
  /** The stack that baked it. */
  bakedBy: string;
}

/** What a provider is asked to bake: per role, the node whose disk becomes that role's image. */
export interface BakeRequest {
  role: Role;
  node: string;
  key: string;
}

/** Per node name: the baked image it boots from (every node of a role boots that role's image). */
export type BootImages = Record<string, BakedImage>;

/** Teardown-report kinds of baked images (EC2's AMIs and snapshots, the local snapshots): pruned, never a stack's. */
export const BAKED_KINDS: ReadonlySet<string> = new Set(['image', 'snapshot', 'baked-snapshot']);
