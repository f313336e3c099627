// A text gantt of the run: every timed step on one line, in start order, with a bar placed on a
// shared time axis, so parallel stages and the long poles are visible at a glance.

import type { TimingEntry } from './timings';

const BAR_WIDTH = 40;

export function renderTimeline(entries: TimingEntry[], width = BAR_WIDTH): string {
  const timed = entries.filter((e) => e.startedAt !== undefined) as Array<TimingEntry & { startedAt: number }>;
  if (timed.length === 0) return '(nothing timed)';
  const sorted = [...timed].sort((a, b) => a.startedAt - b.startedAt);
  const t0 = sorted[0].startedAt;
  const end = Math.max(...sorted.map((e) => e.startedAt + e.seconds * 1000));
  const span = Math.max(end - t0, 1);
  const label = (e: TimingEntry) => `${e.kind} ${e.name}`;
  const labelWidth = Math.min(48, Math.max(...sorted.map((e) => label(e).length)));
  const lines = sorted.map((e) => {
    const from = Math.floor(((e.startedAt - t0) / span) * width);
    const len = Math.max(1, Math.round(((e.seconds * 1000) / span) * width));
    const bar = ' '.repeat(from) + '█'.repeat(Math.min(len, width - from));
    const name = label(e).length > labelWidth ? `${label(e).slice(0, labelWidth - 1)}…` : label(e).padEnd(labelWidth);
    return `${name} |${bar.padEnd(width)}| ${formatSeconds(e.seconds)}`;
  });
  lines.push(
    `${''.padEnd(labelWidth)}  0 s${' '.repeat(Math.max(1, width - 4 - formatSeconds(span / 1000).length))}${formatSeconds(span / 1000)}`,
  );
  return lines.join('\n');
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
