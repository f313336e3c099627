// The pipeline's two moments of baked images: before provisioning, image-cache auto looks for one
// image per role of this stack's bake key (found for every role, the nodes boot them and the install
// becomes the rekey graph); after every smoke check passed, bake true cleans one node per role and
// has the provider turn each into its role's image.

import { bakeRequests, bootImagesFor } from '../bake/requests';
import type { BakedImage, BootImages } from '../bake/types';
import type { Io } from '../core/io';
import { Outputs } from '../core/names';
import { buildBakeCleanGraph, buildRekeyGraph } from '../plan/baked-stages';
import { controllerOf } from '../plan/plan';
import type { Plan } from '../plan/types';
import type { Environment, Provider } from '../provider';
import type { RemoteSession } from '../remote/types';
import { runStages, StageTiming } from '../remote/stage-runner';
import type { Settings } from '../settings/inputs';

/** image-cache auto: the image each node boots, or undefined for a cold install. */
export async function findBootImages(
  io: Io,
  settings: Pick<Settings, 'imageCache'>,
  plan: Plan,
  provider: Provider,
  key: string,
): Promise<BootImages | undefined> {
  if (settings.imageCache === 'off') return undefined;
  if (!provider.findBaked) return undefined;
  const requests = bakeRequests(plan, key);
  const found = await provider.findBaked(plan, requests, { io });
  const roles = requests.map((r) => r.role).join(', ');
  if (!found) {
    io.info(`image-cache auto: no baked image of key ${key} for every role (${roles}); installing from scratch`);
    return undefined;
  }
  for (const r of requests) {
    const img = found[r.role];
    io.info(`image-cache auto: ${r.role} nodes boot ${img.id} (key ${key}, baked ${img.createdAt} by ${img.bakedBy})`);
  }
  return bootImagesFor(plan, found);
}

/** The Plan as it runs: a stack booted from baked images rekeys instead of installing. */
export function planToRun(plan: Plan, boot: BootImages | undefined): Plan {
  return boot ? { ...plan, stages: buildRekeyGraph(plan.nodes) } : plan;
}

/** booted-from: role → image id. */
export function bootedFromOutput(boot: BootImages | undefined): string {
  const byRole: Record<string, string> = {};
  for (const img of Object.values(boot ?? {})) byRole[img.role] = img.id;
  return JSON.stringify(byRole);
}

interface BakeOptions {
  io: Io;
  settings: Pick<Settings, 'bakeKeep'>;
  plan: Plan;
  env: Environment;
  provider: Provider;
  sessions: (node: string) => RemoteSession;
  stagesDir: string;
  /** This stack's bake key (src/bake/key.ts), made once per run. */
  key: string;
  settingsFor: (node: string) => string;
  secrets: readonly string[];
  onStageDone: (t: StageTiming) => void;
}

/** bake-clean on one node per role, then the provider's images; their list is the baked-images output. */
export async function bakeStack(o: BakeOptions): Promise<BakedImage[]> {
  const { io, plan, provider } = o;
  if (!provider.bake) throw new Error(`provider ${plan.provider} cannot bake images`);
  const { key } = o;
  const requests = bakeRequests(plan, key);
  io.info(
    `Baking ${requests.map((r) => `${r.node} (${r.role})`).join(', ')} with key ${key}; keeping ${o.settings.bakeKeep} per role`,
  );
  await runStages({
    plan: {
      stages: buildBakeCleanGraph(
        requests.map((r) => r.node),
        controllerOf(plan).name,
      ),
    },
    sessions: o.sessions,
    io,
    stagesDir: o.stagesDir,
    settingsFor: o.settingsFor,
    onStageDone: o.onStageDone,
    secrets: o.secrets,
  });
  const images = await provider.bake(plan, o.env, requests, { io, keep: o.settings.bakeKeep });
  io.setOutput(Outputs.BakedImages, JSON.stringify(images));
  return images;
}
