// npm run bench:provision — sequential EC2 round trips on the critical path of up() and down(),
// per topology. Every call to the fake EC2 takes a fixed latency on virtual time and nothing else
// takes time (instances boot and terminate at once), so elapsed time / latency = round trips.
// A second run with realistic boot and termination times shows how long a teardown takes. A third
// pair throttles 1 in 4 mutating calls (RequestLimitExceeded) and prints the time beside the
// unthrottled one: throttling must slow only the calls it hits. That pair runs the production
// client configuration (ec2ClientConfig: the SDK's retry mode and attempts) through the SDK's real
// middleware stack, so a client that slowed every call after a throttled one would show here.

import { ec2ClientConfig } from '../src/aws/client';
import { Inputs } from '../src/core/names';
import { settingsFrom } from '../test/helpers/inputs';
import { FakeEc2, FakeEc2Options } from '../test/helpers/fake-ec2';
import { rig } from '../test/unit/aws/harness';

const LATENCY_MS = 1_000;
const SEEDS = 10;
const MUTATING =
  /^(Create|Delete|Run|Terminate|Allocate|Release|Associate|Disassociate|Attach|Detach|Import|Modify|Authorize)/;

/** A small seeded PRNG: each throttling pattern can be reproduced. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `throttleSeed`: each mutating call (resends included) is answered RequestLimitExceeded with p = 1/4. */
async function measure(topology: string, opts: FakeEc2Options, throttleSeed?: number) {
  const fake = new FakeEc2(opts);
  if (throttleSeed !== undefined) {
    const random = mulberry32(throttleSeed);
    fake.throttle = (op) => MUTATING.test(op) && random() < 0.25;
  }
  const r = rig({ [Inputs.Topology]: topology }, {}, fake);
  const t0 = fake.clock.now();
  await r.up();
  const upMs = fake.clock.now() - t0;
  const upCalls = fake.calls.length;
  const t1 = fake.clock.now();
  const report = await r.postDown();
  const downMs = fake.clock.now() - t1;
  if (report.leftovers.length || fake.liveResources().length)
    throw new Error(`${topology}: teardown left ${fake.liveResources().join(', ')}`);
  return {
    upMs,
    downMs,
    upCalls,
    downCalls: fake.calls.length - upCalls,
    nodes: r.plan.nodes.length,
    throttled: fake.errorsOf('RequestLimitExceeded').length,
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const topology of ['minimal', 'full']) {
    const trips = await measure(topology, { latencyMs: LATENCY_MS, bootMs: 0, terminateMs: 0 });
    const real = await measure(topology, { latencyMs: 250, bootMs: 30_000, terminateMs: 60_000 });
    rows.push(
      `${topology.padEnd(8)} nodes ${trips.nodes}  up: ${trips.upMs / LATENCY_MS} round trips (${trips.upCalls} calls)` +
        `  down: ${trips.downMs / LATENCY_MS} round trips (${trips.downCalls} calls)` +
        `  | at 250 ms/call, 30 s boot, 60 s termination: up ${s(real.upMs)}, down ${s(real.downMs)}`,
    );
  }
  const throttleRows: string[] = [];
  const sdkConfig = ec2ClientConfig(settingsFrom({ [Inputs.Region]: 'us-east-1' }));
  const seeds = Array.from({ length: SEEDS }, (_, i) => i + 1);
  const timings = [
    // The API's own time only (boot and termination take none): throttling has nothing to hide behind.
    { what: 'API only', opts: { latencyMs: 250, bootMs: 0, terminateMs: 0, sdkConfig } },
    { what: '30 s boot, 60 s termination', opts: { latencyMs: 250, bootMs: 30_000, terminateMs: 60_000, sdkConfig } },
  ];
  for (const { what, opts } of timings)
    for (const topology of ['minimal', 'full']) {
      const calm = await measure(topology, opts);
      const busy: Array<typeof calm> = [];
      for (const seed of seeds) busy.push(await measure(topology, opts, seed));
      const mean = (pick: (m: typeof calm) => number) => busy.reduce((n, m) => n + pick(m), 0) / busy.length;
      const worst = (pick: (m: typeof calm) => number) => Math.max(...busy.map(pick));
      const cell = (pick: (m: typeof calm) => number) =>
        `${s(mean(pick))} throttled (worst ${s(worst(pick))}) vs ${s(pick(calm))}: ${(mean(pick) / pick(calm)).toFixed(2)}x` +
        ` (worst ${(worst(pick) / pick(calm)).toFixed(2)}x)`;
      throttleRows.push(
        `${what.padEnd(28)} ${topology.padEnd(8)} up ${cell((m) => m.upMs)}   down ${cell((m) => m.downMs)}` +
          `   [${Math.round(mean((m) => m.throttled))} of ${Math.round(mean((m) => m.upCalls + m.downCalls))} calls throttled]`,
      );
    }
  // The SDK's own waits are real time (its retry strategy sleeps with setTimeout), ours are virtual:
  // wall-clock time shows what the SDK adds. Adaptive mode, for contrast, slows every later call.
  const wall: string[] = [];
  for (const [name, config] of [
    ['production', sdkConfig],
    ["the SDK's adaptive mode", { ...sdkConfig, retryMode: 'adaptive' }],
  ] as const) {
    const started = performance.now();
    await measure('full', { latencyMs: 250, bootMs: 0, terminateMs: 0, sdkConfig: config }, 1);
    wall.push(
      `${name} (${config.retryMode}): ${s(performance.now() - started)} of wall-clock time in the SDK and the code`,
    );
  }
  process.stdout.write(
    `EC2 round trips on the critical path (fixed ${LATENCY_MS} ms per call on virtual time)\n${rows.join('\n')}\n` +
      `\n1 in 4 mutating calls throttled (RequestLimitExceeded, seeded, mean and worst of ${SEEDS} runs), 250 ms per call;` +
      ` SDK retry mode '${sdkConfig.retryMode}', ${String(sdkConfig.maxAttempts)} SDK attempt(s); target within 2x\n` +
      `${throttleRows.join('\n')}\n` +
      `\nSDK-side waits, full topology, 1 in 4 throttled (seed 1):\n${wall.join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
