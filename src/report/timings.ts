// One collector for every measured duration of a run (provisioning steps, install stages, the
// network fix, smoke checks, teardown), so the timings output, the summary's timeline and the
// benchmarks all read the same numbers. It survives the trip from main to post as JSON.

type TimingKind = 'provision' | 'stage' | 'netfix' | 'check' | 'teardown';
const TIMING_KINDS: readonly TimingKind[] = ['provision', 'stage', 'netfix', 'check', 'teardown'];

export interface TimingEntry {
  kind: TimingKind;
  name: string;
  seconds: number;
  /** Epoch milliseconds when it started, when known: the timeline sorts and places bars by it. */
  startedAt?: number;
}

/** The `timings` output: per kind, name → seconds, plus the sum of everything measured. */
type TimingsOutput = Record<TimingKind, Record<string, number>> & { totalSeconds: number };

const round = (s: number) => Math.round(s * 1000) / 1000;

export class Timings {
  private readonly entries: TimingEntry[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a finished piece of work. `startedAt` defaults to now − seconds. */
  record(kind: TimingKind, name: string, seconds: number, startedAt?: number): void {
    const s = Math.max(0, seconds);
    this.entries.push({ kind, name, seconds: round(s), startedAt: startedAt ?? this.now() - s * 1000 });
  }

  /** Measures fn and records it, also when it throws (a failed stage's time matters most). */
  async time<T>(kind: TimingKind, name: string, fn: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      return await fn();
    } finally {
      this.record(kind, name, (this.now() - started) / 1000, started);
    }
  }

  list(): TimingEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  toOutput(): TimingsOutput {
    const out = Object.fromEntries(
      TIMING_KINDS.map((k) => [k, {} as Record<string, number>]),
    ) as unknown as TimingsOutput;
    let total = 0;
    for (const e of this.entries) {
      // A name recorded twice (a retried step) adds up: the output says where the time went.
      out[e.kind][e.name] = round((out[e.kind][e.name] ?? 0) + e.seconds);
      total += e.seconds;
    }
    out.totalSeconds = round(total);
    return out;
  }

  toJSON(): string {
    return JSON.stringify(this.entries);
  }

  static fromJSON(json: string, now: () => number = Date.now): Timings {
    const t = new Timings(now);
    if (!json) return t;
    for (const e of JSON.parse(json) as TimingEntry[]) t.entries.push({ ...e });
    return t;
  }
}
