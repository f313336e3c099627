// One collector for every measured duration of a run (provisioning steps, install stages, the
// network fix, smoke checks, teardown), so the timings output, the summary's timeline and the
// benchmarks all read the same numbers. It survives the trip from main to post as JSON (the post
// step, and the CLI's own teardown, add the teardown to the same timeline).

type TimingKind = 'provision' | 'stage' | 'netfix' | 'check' | 'bake' | 'teardown';
const TIMING_KINDS: readonly TimingKind[] = ['provision', 'stage', 'netfix', 'check', 'bake', 'teardown'];

export interface TimingEntry {
  kind: TimingKind;
  name: string;
  seconds: number;
  /** Epoch milliseconds when it started, when known: the timeline sorts and places bars by it. */
  startedAt?: number;
  /** Name of the step (same kind) this is a part of, e.g. a provider's own steps of "local up". */
  partOf?: string;
}

/**
 * The `timings` output: per kind, name → seconds; the sum of the steps (parts of a step are not
 * counted twice; steps that ran side by side each count); the wall clock from the first start to
 * the last end; and that wall clock per kind (the smoke checks run side by side: their sum is not
 * how long they took).
 */
type TimingsOutput = Record<TimingKind, Record<string, number>> & {
  totalSeconds: number;
  wallSeconds: number;
  wallSecondsByKind: Partial<Record<TimingKind, number>>;
};

const round = (s: number) => Math.round(s * 1000) / 1000;

export class Timings {
  private readonly entries: TimingEntry[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a finished piece of work. `startedAt` defaults to now − seconds. */
  record(kind: TimingKind, name: string, seconds: number, startedAt?: number, partOf?: string): void {
    const s = Math.max(0, seconds);
    this.entries.push({
      kind,
      name,
      seconds: round(s),
      startedAt: startedAt ?? this.now() - s * 1000,
      ...(partOf !== undefined ? { partOf } : {}),
    });
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
      if (e.partOf === undefined) total += e.seconds;
    }
    out.totalSeconds = round(total);
    out.wallSeconds = round(wallSeconds(this.entries));
    out.wallSecondsByKind = {};
    for (const k of TIMING_KINDS) {
      const of = this.entries.filter((e) => e.kind === k);
      if (of.length) out.wallSecondsByKind[k] = round(wallSeconds(of));
    }
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

/** Seconds from the first start to the last end of the timed entries (0 when none is timed). */
export function wallSeconds(entries: readonly TimingEntry[]): number {
  const timed = entries.filter((e) => e.startedAt !== undefined);
  if (timed.length === 0) return 0;
  const start = Math.min(...timed.map((e) => e.startedAt!));
  const end = Math.max(...timed.map((e) => e.startedAt! + e.seconds * 1000));
  return (end - start) / 1000;
}
