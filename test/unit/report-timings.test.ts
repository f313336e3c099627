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
    teardown: {},
    totalSeconds: 53,
  });
  const back = Timings.fromJSON(timings.toJSON());
  expect(back.list()).toEqual(timings.list());
  expect(Timings.fromJSON('').list()).toEqual([]);
});
