// The CLI's Io keeps what the action would put in the job summary: written to <stack>.summary.md
// beside the state and outputs files, with every registered secret redacted, readable by root only.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { terminalIo } from '../../src/core/io';

it('appends the summary, redacted, to <stack>.summary.md and says where it is', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-terminal-io-'));
  const printed: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    const io = terminalIo({}, path.join(dir, 'st1.state.json'));
    io.setSecret('Hunter2Hunter2Hunter2xx');
    await io.summary('## Environment\nadmin password Hunter2Hunter2Hunter2xx\n');
    await io.summary('## Teardown\nnothing left\n');
    const file = path.join(dir, 'st1.summary.md');
    expect(fs.readFileSync(file, 'utf8')).toBe('## Environment\nadmin password ***\n\n## Teardown\nnothing left\n\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(printed).toContain(`summary: ${file}\n`);
  } finally {
    spy.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
