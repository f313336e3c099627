// A text gantt of the run: every timed step on one line, in start order, with a bar placed on a
// shared time axis; then the numbers that explain it. Steps run side by side (the stage runner
// runs nodes in parallel), so the sum of the steps is more than the run took: the wall clock is
// shown beside it, with the critical path (the chain of steps, one after the other, that spans
// the wall clock) marked *, and which steps off that path ran beside which.

import { TimingEntry, wallSeconds } from './timings';

const BAR_WIDTH = 40;

/** Ends this close to a start count as "one after the other" (durations are rounded to 0.1 s). */
const TOUCH_MS = 500;

type Timed = TimingEntry & { startedAt: number };

const endOf = (e: Timed) => e.startedAt + e.seconds * 1000;
const label = (e: TimingEntry) => `${e.kind} ${e.name}`;

/**
 * The critical path: from the step that ended last, back through the step that ended last before
 * it started, and so on. Each step on it waited for nothing else that ran: what made the run long.
 */
export function criticalPath(steps: readonly Timed[]): Timed[] {
  if (steps.length === 0) return [];
  const byEnd = (a: Timed, b: Timed) => endOf(b) - endOf(a) || b.seconds - a.seconds;
  const path = [[...steps].sort(byEnd)[0]];
  for (;;) {
    const cur = path[path.length - 1];
    const before = steps.filter((e) => !path.includes(e) && endOf(e) <= cur.startedAt + TOUCH_MS && e !== cur);
    // A step that starts when cur starts and is over by then has no length: it cannot be before cur.
    const candidates = before.filter((e) => e.startedAt < cur.startedAt);
    let prev = [...candidates].sort(byEnd)[0];
    if (!prev) break;
    // Durations are rounded to 0.1 s, so a short step that started once prev was over can seem to
    // end before it. It came after prev: it is the step just before cur, and prev the one before it.
    for (;;) {
      const p = prev;
      const after = candidates.filter((e) => e.startedAt > p.startedAt && e.startedAt >= endOf(p) - TOUCH_MS);
      const next = after.sort((a, b) => b.startedAt - a.startedAt)[0];
      if (!next) break;
      prev = next;
    }
    path.push(prev);
  }
  return path.reverse();
}

/** For each step off the critical path: the steps it ran beside (overlapping by more than TOUCH_MS). */
function sideBySide(steps: readonly Timed[], path: readonly Timed[]): Array<{ step: Timed; beside: Timed[] }> {
  const overlap = (a: Timed, b: Timed) => Math.min(endOf(a), endOf(b)) - Math.max(a.startedAt, b.startedAt) > TOUCH_MS;
  return steps
    .filter((s) => !path.includes(s))
    .map((step) => ({ step, beside: steps.filter((o) => o !== step && overlap(step, o)) }))
    .filter((x) => x.beside.length > 0);
}

export function renderTimeline(entries: TimingEntry[], width = BAR_WIDTH): string {
  const timed = entries.filter((e) => e.startedAt !== undefined) as Timed[];
  if (timed.length === 0) return '(nothing timed)';
  // In start order; a step before its parts (they start with it), the longer of two first.
  const sorted = [...timed].sort(
    (a, b) =>
      a.startedAt - b.startedAt ||
      Number(a.partOf !== undefined) - Number(b.partOf !== undefined) ||
      b.seconds - a.seconds,
  );
  const steps = sorted.filter((e) => e.partOf === undefined);
  const path = criticalPath(steps);
  const t0 = sorted[0].startedAt;
  const wall = wallSeconds(sorted);
  const span = Math.max(wall * 1000, 1);
  const name = (e: TimingEntry) => (e.partOf !== undefined ? `  ${e.name}` : label(e));
  const labelWidth = Math.min(48, Math.max(...sorted.map((e) => name(e).length)));
  const lines = sorted.map((e) => {
    const from = Math.min(width - 1, Math.floor(((e.startedAt - t0) / span) * width));
    const len = Math.max(1, Math.round(((e.seconds * 1000) / span) * width));
    const bar = ' '.repeat(from) + (e.partOf !== undefined ? '▒' : '█').repeat(Math.min(len, width - from));
    const n = name(e).length > labelWidth ? `${name(e).slice(0, labelWidth - 1)}…` : name(e).padEnd(labelWidth);
    const mark = path.includes(e) ? '*' : ' ';
    return `${mark} ${n} |${bar.padEnd(width)}| ${formatSeconds(e.seconds)}`;
  });
  const end = formatSeconds(wall);
  lines.push(`  ${''.padEnd(labelWidth)}  0 s${' '.repeat(Math.max(1, width - 4 - end.length))}${end}`);
  lines.push('', ...renderTotals(steps, path, wall, sorted.length > steps.length));
  return lines.join('\n');
}

function renderTotals(steps: Timed[], path: Timed[], wall: number, hasParts: boolean): string[] {
  const sum = steps.reduce((a, e) => a + e.seconds, 0);
  const onPath = path.reduce((a, e) => a + e.seconds, 0);
  const between = Math.max(0, wall - onPath);
  const out = [
    `wall clock ${formatSeconds(wall)}: the critical path (*) of ${path.length} step(s), ${formatSeconds(onPath)}` +
      (between >= 0.05 ? `, and ${formatSeconds(between)} between steps (nothing timed)` : ''),
    `sum of steps ${formatSeconds(sum)}` +
      (sum - wall >= 0.05
        ? ` (${formatSeconds(sum - wall)} more than the wall clock: steps ran side by side)`
        : ' (no steps ran side by side)') +
      (hasParts ? '; indented ▒ lines are parts of the step above, not counted again' : ''),
  ];
  const beside = sideBySide(steps, path);
  if (beside.length > 0) {
    out.push('side by side (off the critical path):');
    for (const { step, beside: others } of beside) {
      out.push(`  ${label(step)} (${formatSeconds(step.seconds)}) beside ${others.map(label).join(', ')}`);
    }
  }
  return out;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
