// A local machine's console for the log bundle: nspawn's stdout (systemd's boot messages), its last
// 64 KB as EC2 keeps; only that much is read, however long the log has grown.

import * as fs from 'fs';
import { consoleLog, LocalPaths } from './paths';

/** How much of a machine's console the log bundle keeps (EC2 keeps the last 64 KB too). */
const CONSOLE_TAIL_BYTES = 64 * 1024;

export async function consoleTail(paths: LocalPaths, stackId: string, node: string): Promise<string> {
  const fh = await fs.promises.open(consoleLog(paths, stackId, node), 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - CONSOLE_TAIL_BYTES);
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(size - start), 0, size - start, start);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
