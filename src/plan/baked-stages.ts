// The stage graph of a stack booted from baked images: no install, only what makes the images this
// stack's own. Each node runs host-prep (its NICs found by MAC, the network files written for them)
// and rekey (src/stages/rekey.sh), all side by side: a node's own services start at once, and what
// talks to the controller waits inside rekey until the controller's RabbitMQ takes this stack's
// password and its RPC servers consume (asked over AMQP), so the compute node's libvirt and the
// rest of its rekey no longer wait for the controller's whole rekey. Then, on the controller, the
// tls-proxy stage (HAProxy with this stack's certificate, and its check of every public port) and
// discover-hosts (which waits until every nova-compute is up again). The storage nodes' data disks are new ones: their stage (cinder-volume,
// swift-storage with the controller's rings) runs again after rekey and finds or makes the volume
// group and the file systems. All but rekey are idempotent stages of the cold install.

import { SWIFT_RINGS } from './stages';
import type { PlannedNode, PlannedStage, StageId } from './types';

const REKEY_MINUTES = 15;

export function buildRekeyGraph(nodes: PlannedNode[]): PlannedStage[] {
  const controller = nodes.find((n) => n.role === 'controller');
  if (!controller) throw new Error('the plan has no controller');
  const rekey = (node: string): StageId => `${node}:rekey`;
  const others = nodes.filter((n) => n !== controller);
  type Name = 'host-prep' | 'rekey' | 'tls-proxy' | 'discover-hosts' | 'cinder-volume' | 'swift-storage';
  const stage = (node: string, name: Name, after: StageId[]): PlannedStage => ({
    id: `${node}:${name}` as StageId,
    node,
    stage: name,
    after,
    timeoutMinutes: name === 'rekey' ? REKEY_MINUTES : 10,
    ...(name === 'swift-storage' ? { copies: [{ fromNode: controller.name, paths: SWIFT_RINGS }] } : {}),
  });
  const storage = (n: PlannedNode): PlannedStage[] =>
    n.role === 'block'
      ? [stage(n.name, 'cinder-volume', [rekey(n.name)])]
      : n.role === 'object'
        ? [stage(n.name, 'swift-storage', [rekey(n.name)])]
        : [];
  const prep = (node: string): StageId => `${node}:host-prep`;
  const stages: PlannedStage[] = [
    stage(controller.name, 'host-prep', []),
    stage(controller.name, 'rekey', [prep(controller.name)]),
    ...others.flatMap((n) => [stage(n.name, 'host-prep', []), stage(n.name, 'rekey', [prep(n.name)]), ...storage(n)]),
    stage(controller.name, 'tls-proxy', [rekey(controller.name)]),
    stage(controller.name, 'discover-hosts', [
      `${controller.name}:tls-proxy`,
      ...others.filter((n) => n.role === 'compute').map((n) => rekey(n.name)),
    ]),
  ];
  return stages;
}

/**
 * bake-clean on each node that becomes an image (one per role). The controller's first: it deletes
 * the smoke checks' servers, which needs the compute nodes' nova-compute still running.
 */
export function buildBakeCleanGraph(nodes: string[], controller: string): PlannedStage[] {
  const id = (node: string): StageId => `${node}:bake-clean`;
  return nodes.map((node) => ({
    id: id(node),
    node,
    stage: 'bake-clean',
    after: node === controller || !nodes.includes(controller) ? [] : [id(controller)],
    timeoutMinutes: 15,
  }));
}
