// The timeline on recorded timings of a run like `e2e:local`'s: the compute node's stages beside
// the controller's, the provider's own steps as parts of "local up", a gap before the teardown.
// It must show the wall clock beside the sum of the steps, mark the critical path and name what ran
// side by side.

import { criticalPath, renderTimeline } from '../../src/report/timeline';
import { TimingEntry, Timings } from '../../src/report/timings';

const T0 = Date.parse('2026-12-01T10:00:00Z');

/** [kind, name, from s, to s, partOf?] relative to T0. */
const RUN: Array<[TimingEntry['kind'], string, number, number, string?]> = [
  ['provision', 'local up', 0, 60],
  ['provision', 'host tools checked', 0, 5, 'local up'],
  ['provision', 'machines booted', 5, 60, 'local up'],
  ['provision', 'ssh ready', 60, 62],
  ['stage', 'controller:host-prep', 62, 72],
  ['stage', 'compute1:host-prep', 62, 70],
  ['stage', 'controller:repositories', 72, 80],
  ['stage', 'compute1:repositories', 72, 79],
  ['stage', 'compute1:compute-packages', 79, 200],
  ['stage', 'controller:mariadb', 80, 120],
  ['stage', 'controller:keystone', 120, 180],
  ['stage', 'controller:nova-controller', 180, 300],
  ['stage', 'compute1:nova-compute', 300, 330],
  // Starts 0.1 s before nova-compute's end as recorded (durations are rounded): still after it.
  ['stage', 'controller:discover-hosts', 329.9, 335],
  ['netfix', 'apply', 335, 345],
  ['check', 'keystone-token', 345, 347],
  ['teardown', 'local down', 400, 420],
];

function recorded(): Timings {
  const t = new Timings(() => T0);
  // Recorded in finishing order, as the pipeline does; the timeline sorts by start.
  const byEnd = [...RUN].sort((a, b) => a[3] - b[3]);
  for (const [kind, name, from, to, partOf] of byEnd) t.record(kind, name, to - from, T0 + from * 1000, partOf);
  return t;
}

describe('renderTimeline on a recorded run', () => {
  const text = renderTimeline(recorded().list(), 40);
  const lines = text.split('\n');

  it('lists every step in start order, marks the critical path, indents the parts of a step', () => {
    const rows = lines.slice(0, RUN.length).map((l) => l.split('|')[0].trimEnd());
    expect(rows).toEqual([
      '* provision local up',
      '    host tools checked',
      '    machines booted',
      '* provision ssh ready',
      '* stage controller:host-prep',
      '  stage compute1:host-prep',
      '* stage controller:repositories',
      '  stage compute1:repositories',
      '  stage compute1:compute-packages',
      '* stage controller:mariadb',
      '* stage controller:keystone',
      '* stage controller:nova-controller',
      '* stage compute1:nova-compute',
      '* stage controller:discover-hosts',
      '* netfix apply',
      '* check keystone-token',
      '* teardown local down',
    ]);
    // The teardown is the last bar: it ends at the right edge of the 420 s axis.
    expect(lines[RUN.length - 1].split('|')[1]).toMatch(/ █{2}$/);
    expect(lines[RUN.length]).toMatch(/0 s +7 min 0 s$/);
  });

  it('shows the wall clock beside the sum of the steps, parts not counted twice', () => {
    // Critical path: 60 + 2 + 10 + 8 + 40 + 60 + 120 + 30 + 5.1 + 10 + 2 + 20 = 367.1 s of 420 s.
    expect(text).toContain(
      'wall clock 7 min 0 s: the critical path (*) of 12 step(s), 6 min 7 s, and 52.9 s between steps (nothing timed)',
    );
    // Sum: the critical path + 8 + 7 + 121 (the compute node's side stages) = 503.1 s.
    expect(text).toContain(
      'sum of steps 8 min 23 s (1 min 23 s more than the wall clock: steps ran side by side); indented ▒ lines are parts of the step above, not counted again',
    );
  });

  it('says which steps ran beside which', () => {
    const i = lines.indexOf('side by side (off the critical path):');
    expect(lines.slice(i + 1)).toEqual([
      '  stage compute1:host-prep (8.0 s) beside stage controller:host-prep',
      '  stage compute1:repositories (7.0 s) beside stage controller:repositories',
      '  stage compute1:compute-packages (2 min 1 s) beside stage controller:repositories, stage controller:mariadb, stage controller:keystone, stage controller:nova-controller',
    ]);
  });

  it('says so when nothing ran side by side', () => {
    const t = new Timings(() => T0);
    t.record('provision', 'aws up', 30, T0);
    t.record('check', 'catalog', 5, T0 + 40_000);
    const one = renderTimeline(t.list(), 40);
    expect(one).toContain('wall clock 45.0 s: the critical path (*) of 2 step(s), 35.0 s, and 10.0 s between steps');
    expect(one).toContain('sum of steps 35.0 s (no steps ran side by side)');
    expect(one).not.toContain('side by side (off');
  });
});

describe('criticalPath', () => {
  it('is empty for no steps and one step for one', () => {
    expect(criticalPath([])).toEqual([]);
    const only = { kind: 'stage' as const, name: 'a', seconds: 3, startedAt: T0 };
    expect(criticalPath([only])).toEqual([only]);
  });

  it('keeps a short step that started after the one before it, though rounding ends it earlier', () => {
    // The baked-image lookup took 0.06 s, rounded up to 0.1 s; the provisioning after it failed at
    // once (0.0 s), so by the rounded numbers it ends first. Both are on the path, in their order.
    const lookup = { kind: 'provision' as const, name: 'lookup', seconds: 0.1, startedAt: T0 };
    const up = { kind: 'provision' as const, name: 'up', seconds: 0, startedAt: T0 + 60 };
    const down = { kind: 'teardown' as const, name: 'down', seconds: 4, startedAt: T0 + 70 };
    expect(criticalPath([lookup, up, down]).map((e) => e.name)).toEqual(['lookup', 'up', 'down']);
  });

  it('does not trade a long step for a short one that ran beside it', () => {
    const long = { kind: 'stage' as const, name: 'long', seconds: 100, startedAt: T0 };
    const beside = { kind: 'stage' as const, name: 'beside', seconds: 49.8, startedAt: T0 + 50_000 };
    const last = { kind: 'stage' as const, name: 'last', seconds: 5, startedAt: T0 + 100_000 };
    expect(criticalPath([long, beside, last]).map((e) => e.name)).toEqual(['long', 'last']);
  });
});
