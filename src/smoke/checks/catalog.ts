// The service catalog lists every service the topology installs.

import type { Plan } from '../../plan/types';
import type { CheckContext } from '../context';

interface CatalogEntry {
  Name?: string;
  Type?: string;
}

/** The service types the catalog must list for this Plan (the same rule as plan.ts's check text). */
function expectedServiceTypes(plan: Plan): string[] {
  const types = ['identity', 'image', 'placement', 'compute', 'network'];
  if (plan.nodes.some((n) => n.role === 'block')) types.push('volumev3');
  if (plan.nodes.some((n) => n.role === 'object')) types.push('object-store');
  return types;
}

export async function checkCatalog(ctx: CheckContext): Promise<void> {
  const command = 'openstack catalog list -f json';
  const entries = await ctx.cli.json<CatalogEntry[]>(
    command,
    'the catalog could not be listed',
    'Keystone answered the token request but not the catalog: check /var/log/keystone on the controller',
  );
  const listed = new Set(entries.map((e) => e.Type));
  const missing = expectedServiceTypes(ctx.plan).filter((t) => !listed.has(t));
  if (missing.length > 0)
    throw ctx.cli.failure(
      `the catalog lacks ${missing.join(', ')}`,
      command,
      JSON.stringify(entries.map((e) => ({ Name: e.Name, Type: e.Type }))),
      `the install stage of ${missing.join(', ')} did not register its service and endpoints (openstack service create / endpoint create); see that stage's log in the log bundle`,
    );
  ctx.note(`catalog lists ${[...listed].sort().join(', ')}`);
}
