// The stage graphs of baked images: what a booted stack runs instead of the install, and the order
// of the bake's clean-up.
import { buildBakeCleanGraph, buildRekeyGraph } from '../../src/plan/baked-stages';
import { topologicalOrder } from '../../src/plan/stages';
import { buildPlan } from '../../src/plan/plan';
import { settingsFrom } from '../helpers/inputs';

const plan = buildPlan(settingsFrom({ provider: 'aws', topology: 'full', 'compute-count': '2', 'stack-id': 'g' }), {
  now: new Date('2026-12-01T00:00:00Z'),
});

describe('the rekey graph', () => {
  const graph = buildRekeyGraph(plan.nodes);
  const after = (id: string) => graph.find((s) => s.id === id)!.after;

  it('prepares and rekeys every node side by side (rekey itself waits for the controller), then HAProxy and host discovery on the controller', () => {
    expect(graph.filter((s) => s.stage === 'rekey').map((s) => s.node)).toEqual(plan.nodes.map((n) => n.name));
    expect(graph.filter((s) => s.stage === 'host-prep').map((s) => s.node)).toEqual(plan.nodes.map((n) => n.name));
    expect(after('controller:host-prep')).toEqual([]);
    expect(after('controller:rekey')).toEqual(['controller:host-prep']);
    for (const n of plan.nodes.filter((x) => x.role !== 'controller')) {
      expect(after(`${n.name}:host-prep`)).toEqual([]);
      // Not after the controller's rekey: rekey.sh starts what talks to the controller once the
      // controller's RabbitMQ and RPC servers answer (controller_consumes).
      expect(after(`${n.name}:rekey`)).toEqual([`${n.name}:host-prep`]);
    }
    expect(after('controller:tls-proxy')).toEqual(['controller:rekey']);
    expect(after('controller:discover-hosts')).toEqual(['controller:tls-proxy', 'compute1:rekey', 'compute2:rekey']);
    expect(graph.map((s) => s.stage)).not.toContain('keystone');
    // The storage nodes' new data disks: their stages again, after rekey (Swift with the rings).
    expect(after('block1:cinder-volume')).toEqual(['block1:rekey']);
    expect(after('object2:swift-storage')).toEqual(['object2:rekey']);
    expect(graph.find((s) => s.id === 'object1:swift-storage')!.copies).toEqual([
      { fromNode: 'controller', paths: expect.arrayContaining(['/etc/swift/object.ring.gz']) },
    ]);
    expect(topologicalOrder(graph).at(-1)!.id).toBe('controller:discover-hosts');
  });
});

describe('the bake-clean graph', () => {
  it("cleans the controller first (its server deletions need the compute nodes' nova-compute)", () => {
    const g = buildBakeCleanGraph(['controller', 'compute1', 'block1'], 'controller');
    expect(g.map((s) => [s.id, s.after])).toEqual([
      ['controller:bake-clean', []],
      ['compute1:bake-clean', ['controller:bake-clean']],
      ['block1:bake-clean', ['controller:bake-clean']],
    ]);
  });
});
