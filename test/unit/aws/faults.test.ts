// Faults during up(): the runner dying after any call (its answer lost), a cancel after any call,
// a step failing half-way, and throttling on random calls. Teardown must always end at zero.

import { Inputs } from '../../../src/core/names';
import { Rig, rig } from './harness';

/** How many EC2 calls a clean up() of this topology makes. */
async function callsOfCleanUp(topology: string): Promise<number> {
  const r = rig({ [Inputs.Topology]: topology });
  await r.up();
  return r.fake.calls.length;
}

async function expectTeardownToZero(r: Rig): Promise<void> {
  r.fake.cutAfter = undefined;
  r.fake.throttle = undefined;
  r.fake.afterCall = undefined;
  const report = await r.down(); // a new provider, like the post step: the ledger as saved, plus tags
  expect(report.leftovers).toEqual([]);
  expect(r.fake.liveResources()).toEqual([]);
}

describe.each(['minimal', 'full'])('%s topology', (topology) => {
  it('the runner dies after call k (its answer lost), for every k: teardown leaves zero resources', async () => {
    const total = await callsOfCleanUp(topology);
    expect(total).toBeGreaterThan(20);
    for (let k = 1; k <= total; k++) {
      const r = rig({ [Inputs.Topology]: topology });
      r.fake.cutAfter = k;
      await expect(r.up()).rejects.toThrow();
      await expectTeardownToZero(r);
    }
  });

  it('the run is cancelled after call k, for every k: up stops creating, teardown leaves zero', async () => {
    const total = await callsOfCleanUp(topology);
    for (let k = 1; k < total; k++) {
      const r = rig({ [Inputs.Topology]: topology });
      const cancel = new AbortController();
      r.fake.afterCall = (_op, n) => {
        if (n === k) cancel.abort();
      };
      await expect(r.up(cancel.signal)).rejects.toThrow();
      // No call started after the cancel (the fake answers at once, so none was in flight).
      expect(r.fake.calls).toHaveLength(k);
      await expectTeardownToZero(r);
    }
  });

  it('throttling on random calls (seeded) still ends in a running stack and a clean teardown', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rig({ [Inputs.Topology]: topology });
      const random = mulberry32(seed);
      r.fake.throttle = () => random() < 0.2;
      const env = await r.up();
      expect(env.nodes).toHaveLength(r.plan.nodes.length);
      expect(r.fake.errorsOf('RequestLimitExceeded').length).toBeGreaterThan(0);
      const report = await r.down();
      expect(report.leftovers).toEqual([]);
      expect(r.fake.liveResources()).toEqual([]);
    }
  });
});

it('the runner dies after call k of an up that moves to the next zone and falls back from spot, for every k', async () => {
  const scenario = () => {
    const r = rig({ [Inputs.Spot]: 'true' });
    r.fake.capacity.push({ zone: 'us-east-1a', type: 'm8i.xlarge', code: 'InsufficientInstanceCapacity' });
    r.fake.capacity.push({ market: 'spot', type: 'm7i.xlarge', code: 'InsufficientInstanceCapacity' });
    return r;
  };
  const clean = scenario();
  await clean.up();
  expect([...clean.fake.instances.values()].filter((i) => i.state !== 'terminated').map((i) => i.zone)).toEqual([
    'us-east-1b',
    'us-east-1b',
  ]);
  const total = clean.fake.calls.length;
  for (let k = 1; k <= total; k++) {
    const r = scenario();
    r.fake.cutAfter = k;
    await expect(r.up()).rejects.toThrow();
    await expectTeardownToZero(r);
  }
});

it('a step failing half-way: up throws the real error (not a "cancelled"), and teardown leaves zero', async () => {
  const r = rig({ [Inputs.Topology]: 'full' });
  const fail = r.fake.call.bind(r.fake);
  r.fake.call = (op, input) =>
    op === 'AuthorizeSecurityGroupIngress'
      ? Promise.reject(Object.assign(new Error('bad rule'), { name: 'InvalidPermission.Malformed' }))
      : fail(op, input);
  await expect(r.up()).rejects.toThrow(/AuthorizeSecurityGroupIngress failed \(InvalidPermission.Malformed\)/);
  // The other branches stopped creating: no instance was launched after the failure.
  expect(r.fake.instances.size).toBe(0);
  r.fake.call = fail;
  await expectTeardownToZero(r);
});

/** A small seeded PRNG so a failing throttling pattern can be reproduced. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
