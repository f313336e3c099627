// The stage graph of a stack booted from baked images: no install, only what makes the images this
// stack's own. Each node runs rekey (src/stages/rekey.sh); the others wait for the controller's,
// whose database and RabbitMQ they need. Then, on the controller, the tls-proxy stage (HAProxy with
// this stack's certificate, and its check of every public port) and discover-hosts (which waits
// until every nova-compute is up again), both idempotent stages of the cold install.

import type { PlannedNode, PlannedStage, StageId } from './types';

const REKEY_MINUTES = 15;

export function buildRekeyGraph(nodes: PlannedNode[]): PlannedStage[] {
  const controller = nodes.find((n) => n.role === 'controller');
  if (!controller) throw new Error('the plan has no controller');
  const rekey = (node: string): StageId => `${node}:rekey`;
  const others = nodes.filter((n) => n !== controller);
  const stages: PlannedStage[] = [
    { id: rekey(controller.name), node: controller.name, stage: 'rekey', after: [], timeoutMinutes: REKEY_MINUTES },
    ...others.map((n): PlannedStage => ({
      id: rekey(n.name),
      node: n.name,
      stage: 'rekey',
      after: [rekey(controller.name)],
      timeoutMinutes: REKEY_MINUTES,
    })),
    {
      id: `${controller.name}:tls-proxy`,
      node: controller.name,
      stage: 'tls-proxy',
      after: [rekey(controller.name)],
      timeoutMinutes: 10,
    },
    {
      id: `${controller.name}:discover-hosts`,
      node: controller.name,
      stage: 'discover-hosts',
      after: [`${controller.name}:tls-proxy`, ...others.filter((n) => n.role === 'compute').map((n) => rekey(n.name))],
      timeoutMinutes: 15,
    },
  ];
  return stages;
}

/** bake-clean on each node that becomes an image (one per role), side by side. */
export function buildBakeCleanGraph(nodes: string[]): PlannedStage[] {
  return nodes.map((node) => ({ id: `${node}:bake-clean`, node, stage: 'bake-clean', after: [], timeoutMinutes: 15 }));
}
