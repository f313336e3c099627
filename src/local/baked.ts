// Baked images of the local provider: root-file-system snapshots. A node's disk is an overlay (the
// cached OS tree below, the node's own writes above), so what the install made is exactly the upper
// layer. Baking copies that layer, after bake-clean and with the machine stopped, into the cache
// folder: <cacheDir>/baked/<name>/{layer/, meta.json}. A node booted from it gets the layer as the
// middle of its overlay (its own empty upper on top, the same OS tree below): nothing is copied at
// boot. A snapshot fits only the OS tree it was made on, so meta.json names that tree's recipe.

import * as fs from 'fs';
import * as path from 'path';
import type { BakedImage, BakeRequest } from '../bake/types';
import type { Io } from '../core/io';
import type { Environment, ResourceRecord } from '../provider';
import type { Plan } from '../plan/types';
import type { LocalHost } from './host';
import { stopNode } from './down';
import { nodeDir } from './paths';

interface LocalBakedMeta extends BakedImage {
  /** recipeId() of the OS tree the layer lies on. */
  rootfsRecipe: string;
  /** Seconds the copy took, and its size: for the README's numbers. */
  seconds: number;
  bytes: number;
}

const META = 'meta.json';
/** A snapshot is complete only once meta.json exists: it is written last. */
const LAYER = 'layer';

function bakedRoot(cacheDir: string): string {
  return path.join(cacheDir, 'baked');
}

export function bakedLayer(cacheDir: string, image: Pick<BakedImage, 'id'>): string {
  return path.join(bakedRoot(cacheDir), image.id, LAYER);
}

/** Every complete snapshot, newest first. */
export function listBaked(cacheDir: string): LocalBakedMeta[] {
  const root = bakedRoot(cacheDir);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .flatMap((name) => {
      try {
        return [JSON.parse(fs.readFileSync(path.join(root, name, META), 'utf8')) as LocalBakedMeta];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The newest snapshot per requested role that fits (same key, same OS tree); all roles or none. */
export function findLocalBaked(
  cacheDir: string,
  requests: BakeRequest[],
  rootfsRecipe: string,
): Record<string, BakedImage> | undefined {
  const all = listBaked(cacheDir);
  const found: Record<string, BakedImage> = {};
  for (const r of requests) {
    const m = all.find((b) => b.key === r.key && b.role === r.role && b.rootfsRecipe === rootfsRecipe);
    if (!m) return undefined;
    found[r.role] = m;
  }
  return found;
}

/** Deletes snapshots beyond the newest `keep` per key and role; returns what it deleted. */
export function pruneBaked(cacheDir: string, keep: number, io: Pick<Io, 'info'>): ResourceRecord[] {
  const seen = new Map<string, number>();
  const deleted: ResourceRecord[] = [];
  for (const m of listBaked(cacheDir)) {
    const group = `${m.key}/${m.role}`;
    const n = (seen.get(group) ?? 0) + 1;
    seen.set(group, n);
    if (n <= keep) continue;
    fs.rmSync(path.join(bakedRoot(cacheDir), m.id), { recursive: true, force: true });
    io.info(`Deleted the baked snapshot ${m.id} (${m.role}, key ${m.key}, baked ${m.createdAt}): ${keep} newer kept`);
    deleted.push({ kind: 'baked-snapshot', id: m.id });
  }
  return deleted;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}

async function duBytes(host: LocalHost, dir: string): Promise<number> {
  const out = await host.run('du', ['-sb', dir], { allowFailure: true });
  return Number(out.stdout.split(/\s/)[0]) || 0;
}

/**
 * Stops each requested node's machine (bake-clean already stopped its services and synced), copies
 * its upper layer into a new snapshot, then prunes to `keep` per key and role. A failure removes
 * the snapshot being made; the stack itself is torn down by the caller as always.
 */
export async function bakeLocal(
  host: LocalHost,
  plan: Plan,
  env: Environment,
  requests: BakeRequest[],
  ctx: { io: Io; keep: number; rootfsRecipe: string },
): Promise<BakedImage[]> {
  const { paths, run } = host;
  const made: BakedImage[] = [];
  for (const r of requests) {
    if (!env.nodes.some((n) => n.name === r.node)) throw new Error(`cannot bake ${r.node}: it is not in the stack`);
    const started = Date.now();
    const upper = `${nodeDir(paths, plan.stackId, r.node)}.upper`;
    if (!fs.existsSync(upper))
      throw new Error(`cannot bake ${r.node}: its root is a copy, not an overlay (${upper} is missing)`);
    await stopNode(host, plan.stackId, r.node, []);
    const createdAt = new Date();
    const id = `${r.key}-${r.role}-${stamp(createdAt)}`;
    const target = path.join(bakedRoot(paths.cacheDir), id);
    const building = `${target}.building-${process.pid}`;
    fs.mkdirSync(building, { recursive: true });
    try {
      // -a keeps owners, modes, links, and the overlay's whiteouts (character devices 0/0) and
      // opaque-directory xattrs, which make the layer hide what the install deleted.
      await run('cp', ['-a', '--reflink=auto', upper, path.join(building, LAYER)], { timeoutMs: 20 * 60_000 });
      const meta: LocalBakedMeta = {
        id,
        key: r.key,
        role: r.role,
        release: plan.release.id,
        os: plan.os.id,
        createdAt: createdAt.toISOString(),
        bakedBy: plan.stackId,
        rootfsRecipe: ctx.rootfsRecipe,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        bytes: await duBytes(host, building),
      };
      fs.writeFileSync(path.join(building, META), JSON.stringify(meta, null, 2) + '\n');
      fs.renameSync(building, target);
      ctx.io.info(
        `Baked ${r.node} into the snapshot ${id} (${(meta.bytes / 2 ** 20).toFixed(0)} MiB in ${meta.seconds} s)`,
      );
      made.push(meta);
    } catch (err) {
      fs.rmSync(building, { recursive: true, force: true });
      throw err;
    }
  }
  pruneBaked(paths.cacheDir, ctx.keep, ctx.io);
  return made;
}
