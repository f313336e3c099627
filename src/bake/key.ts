// The bake key: a hash of everything that shapes what a node's disk holds after the install, so an
// image is booted only by a stack it fits. It changes when any stage script changes (they ship as
// files next to the bundle) and when an input that shapes the install does: release, OS, package
// source, network driver and fix, and the stack's layout (nodes, addresses, subnets, external and
// tenant networks), which the controller's databases remember. Instance types are left out: NIC
// names and MACs are found again when a baked node boots.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Plan } from '../plan/types';

/** Bump when what a baked image must hold changes in a way no stage file shows. */
const BAKE_FORMAT = 1;
/**
 * Stage files that run only on a booted image and change nothing of what it holds: a better rekey
 * boots the images already baked (lib-bake.sh, shared with bake-clean, is part of the key).
 */
const BOOT_ONLY = new Set(['rekey.sh']);

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

/** What of the Plan shapes an install (nothing per run: no stack id, tags, times or elastic IPs). */
function installShape(plan: Plan): unknown {
  return {
    provider: plan.provider,
    release: plan.release.id,
    os: plan.os.id,
    packageSource: plan.packageSource,
    networkDriver: plan.networkDriver,
    networkFix: plan.networkFix,
    topology: plan.topology,
    vpcCidr: plan.vpcCidr,
    subnets: plan.subnets.map((s) => [s.name, s.cidr, s.gateway]),
    nodes: plan.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      virt: n.virt ?? '',
      managementIp: n.managementIp,
      nics: n.nics.map((c) => [c.name, c.purpose, c.subnet, c.ip, c.secondaryIps ?? []]),
      disks: n.disks.map((d) => [d.purpose, d.sizeGiB, d.label ?? '']),
    })),
    networks: plan.networks,
  };
}

/** 16 hex digits over the stage files (names and contents) and the install's shape. */
export function bakeKey(plan: Plan, stagesDir: string): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ BAKE_FORMAT, shape: installShape(plan) }));
  for (const f of filesUnder(stagesDir).filter((x) => !BOOT_ONLY.has(path.basename(x)))) {
    h.update(`\0${path.relative(stagesDir, f)}\0`);
    h.update(fs.readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}
