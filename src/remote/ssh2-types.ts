// The few parts of ssh2's Client that the session uses. @types/ssh2 is not installed, so node-ssh's
// `connection` arrives untyped; these narrow shapes keep the rest of src/remote strictly typed.

import type { Duplex } from 'stream';

export interface Ssh2Channel extends Duplex {
  stderr: NodeJS.ReadableStream;
  close(): void;
}

export interface Ssh2Client {
  exec(command: string, callback: (err: Error | undefined, channel: Ssh2Channel) => void): boolean;
  forwardOut(
    srcIP: string,
    srcPort: number,
    dstIP: string,
    dstPort: number,
    callback: (err: Error | undefined, channel: Ssh2Channel) => void,
  ): boolean;
  on(event: 'close' | 'end', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  end(): void;
}
