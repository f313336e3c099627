// The Timings collector: records, measures (also when the work throws), sums repeats, survives JSON.

import { Timings } from '../../src/report/timings';

it('records, measures with its clock and sums a name recorded twice', async () => {
  let t = 1_000_000;
  const timings = new Timings(() => t);
  timings.record('provision', 'vpc', 2.5);
  await timings.time('stage', 'controller:keystone', async () => {
    t += 43_000;
  });
  await expect(
    timings.time('check', 'router-ping', async () => {
      t += 6_000;
      throw new Error('no route');
    }),
  ).rejects.toThrow('no route');
  timings.record('provision', 'vpc', 1.5);
  expect(timings.list().find((e) => e.name === 'controller:keystone')).toEqual({
    kind: 'stage',
    name: 'controller:keystone',
    seconds: 43,
    startedAt: 1_000_000,
  });
  expect(timings.toOutput()).toEqual({
    provision: { vpc: 4 },
    stage: { 'controller:keystone': 43 },
    netfix: {},
    check: { 'router-ping': 6 },
    bake: {},
    teardown: {},
    totalSeconds: 53,
    // From the first start (the first vpc, recorded at 1 000 000 after 2.5 s) to the last end.
    wallSeconds: 51.5,
    // Per kind: the two vpc records span 997 500 to 1 049 000 + 1.5 s.
    wallSecondsByKind: { provision: 51.5, stage: 43, check: 6 },
  });
  const back = Timings.fromJSON(timings.toJSON());
  expect(back.list()).toEqual(timings.list());
  expect(Timings.fromJSON('').list()).toEqual([]);
});

it('counts a step once: its parts are listed but not added to the sum of steps', () => {
  const t = new Timings(() => 0);
  t.record('provision', 'local up', 60, 10_000);
  t.record('provision', 'host tools checked', 5, 10_000, 'local up');
  t.record('provision', 'machines booted', 55, 15_000, 'local up');
  t.record('stage', 'controller:host-prep', 10, 70_000);
  t.record('stage', 'compute1:host-prep', 8, 70_000);
  const out = t.toOutput();
  expect(out.provision).toEqual({ 'local up': 60, 'host tools checked': 5, 'machines booted': 55 });
  expect(out.totalSeconds).toBe(78);
  expect(out.wallSeconds).toBe(70);
  // Stages side by side: their wall clock is the longer one, not the sum (18).
  expect(out.wallSecondsByKind).toEqual({ provision: 60, stage: 10 });
  expect(Timings.fromJSON(t.toJSON()).list()[1].partOf).toBe('local up');
});
