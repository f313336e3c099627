// Keeps the last lines of a command's output: what a RemoteCommandError shows, so a user can
// diagnose a failed stage from the job log alone without keeping whole outputs in memory.

export const TAIL_LINES = 40;

export class LineTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly max = TAIL_LINES) {}

  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** The last `max` lines, including an unfinished last line. */
  toString(): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-this.max).join('\n');
  }
}

/** Turns output chunks (cut anywhere) into whole lines, for live printing line by line. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.onLine(line);
  }

  end(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = '';
  }
}
