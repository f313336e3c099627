// The install as a graph of stages: each node runs its own stages in order, and a stage may also
// wait for stages on other nodes. Whatever the graph does not order runs side by side (compute
// nodes install all their packages while the controller installs and syncs its own).

import type { PlannedNode, PlannedStage, StageId, StageName, StageSpec } from './types';
import type { Role } from '../settings/instance-types';

/** repositories installs every package of its node in one transaction: cold, a compute node's took 8 min. */
const REPOSITORIES_MINUTES = 40;

/** Per role, the stages in the order the install guide takes them, with their time bounds. */
const STAGES: Record<Role, Array<[StageName, number]>> = {
  controller: [
    ['host-prep', 10],
    ['repositories', REPOSITORIES_MINUTES],
    ['mariadb', 15],
    // Creates every database and starts their schema syncs, which run beside the stages after it.
    ['databases', 5],
    ['rabbitmq', 15],
    ['memcached', 10],
    ['etcd', 10],
    ['keystone', 20],
    ['glance', 20],
    ['placement', 20],
    ['nova-controller', 40],
    ['neutron-controller', 30],
    ['horizon', 20],
  ],
  compute: [
    ['host-prep', 10],
    ['repositories', REPOSITORIES_MINUTES],
    ['nova-compute', 20],
    ['neutron-compute', 20],
  ],
  block: [
    ['host-prep', 10],
    ['repositories', REPOSITORIES_MINUTES],
    ['cinder-volume', 30],
  ],
  object: [
    ['host-prep', 10],
    ['repositories', REPOSITORIES_MINUTES],
    ['swift-storage', 30],
  ],
};

export const SWIFT_RINGS = ['/etc/swift/account.ring.gz', '/etc/swift/container.ring.gz', '/etc/swift/object.ring.gz'];

export function buildStageGraph(nodes: PlannedNode[]): PlannedStage[] {
  const has = (role: Role) => nodes.some((n) => n.role === role);
  const computes = nodes.filter((n) => n.role === 'compute');
  const specs: PlannedStage[] = [];
  for (const node of nodes) {
    const list = [...STAGES[node.role]];
    if (node.role === 'controller') {
      if (has('block')) list.push(['cinder-controller', 20]);
      if (has('object')) list.push(['swift-proxy', 20]);
      // After every API stage: it makes each of them trust the proxy's X-Forwarded-Proto.
      list.push(['tls-proxy', 10]);
      list.push(['discover-hosts', 15]);
    }
    let previous: StageId | undefined;
    for (const [stage, timeoutMinutes] of list) {
      const id: StageId = `${node.name}:${stage}`;
      specs.push({ id, node: node.name, stage, after: previous ? [previous] : [], timeoutMinutes });
      previous = id;
    }
  }
  const spec = (id: StageId) => specs.find((s) => s.id === id);
  const wait = (id: StageId, ...on: StageId[]) => spec(id)?.after.push(...on);
  for (const node of nodes) {
    // The controller is the other nodes' way out (it NATs for the management subnet), so their
    // repositories stage waits for the controller's host preparation.
    if (node.role !== 'controller') wait(`${node.name}:repositories`, 'controller:host-prep');
  }
  for (const c of computes) {
    wait(`${c.name}:nova-compute`, 'controller:nova-controller');
    wait(`${c.name}:neutron-compute`, 'controller:neutron-controller');
  }
  // Host discovery maps the compute nodes into cell1: it needs every nova-compute registered.
  wait('controller:discover-hosts', ...computes.map((c): StageId => `${c.name}:nova-compute`));
  for (const n of nodes.filter((x) => x.role === 'block'))
    wait(`${n.name}:cinder-volume`, 'controller:cinder-controller');
  for (const n of nodes.filter((x) => x.role === 'object')) {
    const s = spec(`${n.name}:swift-storage`)!;
    s.after.push('controller:swift-proxy');
    s.copies = [{ fromNode: 'controller', paths: SWIFT_RINGS }];
  }
  return specs;
}

/** Stages in an order that respects every edge (Kahn); throws on a cycle, which would be a bug. */
export function topologicalOrder(specs: StageSpec[]): StageSpec[] {
  const done = new Set<string>();
  const out: StageSpec[] = [];
  const pending = [...specs];
  while (pending.length > 0) {
    const i = pending.findIndex((s) => s.after.every((a) => done.has(a)));
    if (i < 0) throw new Error(`stage graph has a cycle among: ${pending.map((s) => s.id).join(', ')}`);
    const [s] = pending.splice(i, 1);
    done.add(s.id);
    out.push(s);
  }
  return out;
}
