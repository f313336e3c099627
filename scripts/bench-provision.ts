// npm run bench:provision — sequential EC2 round trips on the critical path of up() and down(),
// per topology. Every call to the fake EC2 takes a fixed latency on virtual time and nothing else
// takes time (instances boot and terminate at once), so elapsed time / latency = round trips.
// A second run with realistic boot and termination times shows how long a teardown takes.

import { Inputs } from '../src/core/names';
import { FakeEc2 } from '../test/helpers/fake-ec2';
import { rig } from '../test/unit/aws/harness';

const LATENCY_MS = 1_000;

async function measure(topology: string, opts: { latencyMs: number; bootMs: number; terminateMs: number }) {
  const fake = new FakeEc2(opts);
  const r = rig({ [Inputs.Topology]: topology }, {}, fake);
  const t0 = fake.clock.now();
  await r.up();
  const upMs = fake.clock.now() - t0;
  const upCalls = fake.calls.length;
  const t1 = fake.clock.now();
  const report = await r.down();
  const downMs = fake.clock.now() - t1;
  if (report.leftovers.length || fake.liveResources().length)
    throw new Error(`${topology}: teardown left ${fake.liveResources().join(', ')}`);
  return { upMs, downMs, upCalls, downCalls: fake.calls.length - upCalls, nodes: r.plan.nodes.length };
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const topology of ['minimal', 'full']) {
    const trips = await measure(topology, { latencyMs: LATENCY_MS, bootMs: 0, terminateMs: 0 });
    const real = await measure(topology, { latencyMs: 250, bootMs: 30_000, terminateMs: 60_000 });
    rows.push(
      `${topology.padEnd(8)} nodes ${trips.nodes}  up: ${trips.upMs / LATENCY_MS} round trips (${trips.upCalls} calls)` +
        `  down: ${trips.downMs / LATENCY_MS} round trips (${trips.downCalls} calls)` +
        `  | at 250 ms/call, 30 s boot, 60 s termination: up ${(real.upMs / 1000).toFixed(1)} s, down ${(real.downMs / 1000).toFixed(1)} s`,
    );
  }
  process.stdout.write(
    `EC2 round trips on the critical path (fixed ${LATENCY_MS} ms per call on virtual time)\n${rows.join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
