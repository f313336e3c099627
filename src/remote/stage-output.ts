// What a stage's output becomes on the runner. The node keeps all of it (lib.sh's stage_begin tees
// it into /var/log/openstack-on-aws/<stage>.log, which the log bundle collects); the runner shows
// only the stage's own progress lines (lib.sh's `log`: "HH:MM:SS [<stage>] text"), keeps the last
// lines of everything for a failure, and knows when the stage last said something, for heartbeats.
// Package managers and services print everything else: 1.3 MB of apt output per install otherwise.

import { LineSplitter, LineTail, TAIL_LINES } from './log-tail';

/** Progress lines kept per stage for its group; a stage that logs more keeps its first and last. */
export const MAX_PROGRESS_LINES = 400;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The line format of lib.sh's `log` for this stage: the contract between the two. */
export function progressPattern(stage: string): RegExp {
  return new RegExp(`^\\d{2}:\\d{2}:\\d{2} \\[${escapeRegExp(stage)}\\] `);
}

export class StageOutput {
  private readonly pattern: RegExp;
  private readonly head: string[] = [];
  private readonly recent = new LineTail(MAX_PROGRESS_LINES / 2);
  private progressCount = 0;
  private readonly everything: LineTail;
  private readonly splitter: LineSplitter;
  private lines = 0;
  private last?: { text: string; at: number };

  constructor(
    stage: string,
    private readonly now: () => number,
    /** Called with each progress line as it arrives (a single stage re-run streams them live). */
    private readonly onProgress?: (line: string) => void,
    tailLines = TAIL_LINES,
  ) {
    this.pattern = progressPattern(stage);
    this.everything = new LineTail(tailLines);
    this.splitter = new LineSplitter((line) => this.take(line));
  }

  push(chunk: string): void {
    this.everything.push(chunk);
    this.splitter.push(chunk);
  }

  /** Takes an unfinished last line, when the stream ends without a new line. */
  end(): void {
    this.splitter.end();
  }

  /** Lines of output seen so far (progress and everything else). */
  get lineCount(): number {
    return this.lines;
  }

  /** The stage's progress lines (the first and last ones when it logged more than the cap). */
  progress(): string[] {
    const omitted = this.progressCount - this.head.length - this.recentCount();
    const recent = this.recentCount() > 0 ? this.recent.toString().split('\n') : [];
    return omitted > 0
      ? [...this.head, `… ${omitted} progress line(s) left out here (all are in the node's log file)`, ...recent]
      : [...this.head, ...recent];
  }

  /** The last lines of all output, whatever they are: what explains a failure. */
  tail(): string {
    return this.everything.toString();
  }

  /** The latest progress line without its time and stage, and when it came. */
  lastStep(): { text: string; at: number } | undefined {
    return this.last;
  }

  /** Progress lines after the first ones that are still kept (the last MAX_PROGRESS_LINES / 2). */
  private recentCount(): number {
    return Math.min(MAX_PROGRESS_LINES / 2, Math.max(0, this.progressCount - this.head.length));
  }

  private take(line: string): void {
    this.lines++;
    const m = this.pattern.exec(line);
    if (!m) return;
    this.progressCount++;
    if (this.head.length < MAX_PROGRESS_LINES / 2) this.head.push(line);
    else this.recent.push(line + '\n');
    this.last = { text: line.slice(m[0].length), at: this.now() };
    this.onProgress?.(line);
  }
}
