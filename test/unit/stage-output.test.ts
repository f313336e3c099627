// What the runner keeps of a stage's output: only lib.sh's progress lines of that stage (cut
// anywhere into chunks), a bounded number of them, the tail of everything, and the last step's time.

import { MAX_PROGRESS_LINES, progressPattern, StageOutput } from '../../src/remote/stage-output';

describe('StageOutput', () => {
  test('keeps the stage own progress lines only, whole, however the chunks are cut', () => {
    let t = 5_000;
    const live: string[] = [];
    const out = new StageOutput(
      'nova-compute',
      () => t,
      (l) => live.push(l),
    );
    const text =
      '09:00:01 [nova-compute] installing nova-compute\n' +
      'Get:1 http://deb.debian.org/debian bookworm/main amd64 nova-compute all 2:26.1-1 [12 kB]\n' +
      '09:00:02 [keystone] a line of another stage\n' +
      '[nova-compute] no time: not a progress line\n' +
      '09:00:59 [nova-compute] installed nova-compute';
    for (let i = 0; i < text.length; i += 7) {
      out.push(text.slice(i, i + 7));
      t += 1000;
    }
    expect(out.progress()).toEqual(['09:00:01 [nova-compute] installing nova-compute']);
    out.end();
    const expected = [
      '09:00:01 [nova-compute] installing nova-compute',
      '09:00:59 [nova-compute] installed nova-compute',
    ];
    expect(out.progress()).toEqual(expected);
    expect(live).toEqual(expected);
    expect(out.lineCount).toBe(5);
    expect(out.lastStep()).toEqual({ text: 'installed nova-compute', at: t });
    expect(out.tail().split('\n')).toHaveLength(5);
  });

  test('a stage name is matched literally (no regular expression from it)', () => {
    expect(progressPattern('a.b').test('10:00:00 [a.b] x')).toBe(true);
    expect(progressPattern('a.b').test('10:00:00 [axb] x')).toBe(false);
  });

  test('keeps the first and the last progress lines of a stage that logs more than the cap', () => {
    const out = new StageOutput('s', () => 0);
    const n = MAX_PROGRESS_LINES * 3;
    for (let i = 1; i <= n; i++) out.push(`10:00:00 [s] step ${i}\nnoise ${i}\n`);
    const kept = out.progress();
    expect(kept).toHaveLength(MAX_PROGRESS_LINES + 1);
    expect(kept[0]).toBe('10:00:00 [s] step 1');
    expect(kept[MAX_PROGRESS_LINES / 2 - 1]).toBe(`10:00:00 [s] step ${MAX_PROGRESS_LINES / 2}`);
    expect(kept[MAX_PROGRESS_LINES / 2]).toBe(
      `… ${n - MAX_PROGRESS_LINES} progress line(s) left out here (all are in the node's log file)`,
    );
    expect(kept[kept.length - 1]).toBe(`10:00:00 [s] step ${n}`);
    expect(out.tail().split('\n').slice(-2)).toEqual([`10:00:00 [s] step ${n}`, `noise ${n}`]);
  });
});
