// The Actions log shows groups one after another, so stages that run side by side cannot each hold
// a group open. Live, each stage gets one-line "started"/"finished" messages and heartbeats; its
// progress lines (stage-output.ts) are buffered and printed as one collapsible group when it ends,
// with its result and, on failure, the tail of its output. Every print goes through one
// queue, so a group is never split by a line from another stage.

import type { Io } from '../core/io';

export class SerialPrinter {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly io: Pick<Io, 'info' | 'group'>) {}

  line(message: string): Promise<void> {
    return this.enqueue(async () => this.io.info(message));
  }

  group(title: string, text: string): Promise<void> {
    return this.enqueue(() =>
      this.io.group(title, async () => {
        const body = text.replace(/\n$/, '');
        this.io.info(body === '' ? '(no output)' : body);
      }),
    );
  }

  /** Resolves when everything queued so far is printed. */
  flush(): Promise<void> {
    return this.chain;
  }

  private enqueue(print: () => Promise<void>): Promise<void> {
    // A failing print must not stop later prints (the stage result matters more than one line).
    this.chain = this.chain.then(print).catch(() => undefined);
    return this.chain;
  }
}
