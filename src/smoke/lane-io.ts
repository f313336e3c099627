// The log of checks that run side by side, kept readable: each check writes to a lane of its own,
// and the lanes reach the real log one whole group at a time, in the order the checks started. The
// lane at the front writes through as it goes (its progress is live); the others hold their lines
// until every lane started before them has ended, then write them at once and go on live.

import type { Io } from '../core/io';

type Line = { kind: 'info' | 'warning' | 'error'; text: string };

class Lane {
  private held: Line[] | undefined = [];
  private finished!: () => void;
  readonly ended = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(private readonly out: Io) {}

  write(line: Line): void {
    if (this.held) this.held.push(line);
    else this.out[line.kind](line.text);
  }

  /** Writes what was held and everything from now on straight through. */
  goLive(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const l of held) this.out[l.kind](l.text);
  }

  end(): void {
    this.finished();
  }

  /** The Io a check writes to: everything else goes to the real one unchanged. */
  io(): Io {
    const out = this.out;
    return {
      getInput: (name) => out.getInput(name),
      setOutput: (name, value) => out.setOutput(name, value),
      setSecret: (value) => out.setSecret(value),
      saveState: (name, value) => out.saveState(name, value),
      getState: (name) => out.getState(name),
      summary: (markdown) => out.summary(markdown),
      setFailed: (message) => out.setFailed(message),
      info: (text) => this.write({ kind: 'info', text }),
      warning: (text) => this.write({ kind: 'warning', text }),
      error: (text) => this.write({ kind: 'error', text }),
      // A group inside a check's own group: a heading line (groups do not nest in a job's log).
      group: async (title, fn) => {
        this.write({ kind: 'info', text: title });
        return fn();
      },
    };
  }
}

/** Lanes that reach `out` one group at a time, in the order they were opened. */
export class OrderedLog {
  private printed: Promise<void> = Promise.resolve();

  constructor(private readonly out: Io) {}

  /** Opens a lane whose lines appear inside a group titled `title`, after every earlier lane's. */
  open(title: string): { io: Io; end: () => void } {
    const lane = new Lane(this.out);
    this.printed = this.printed.then(() =>
      this.out.group(title, async () => {
        lane.goLive();
        await lane.ended;
      }),
    );
    return { io: lane.io(), end: () => lane.end() };
  }

  /** Resolves once every lane opened so far has ended and been written. */
  drained(): Promise<void> {
    return this.printed;
  }
}
