// The stage library's text as one string: lib.sh and the parts it loads (lib-common.sh, lib-os.sh,
// lib-services.sh), for tests that hold a function's text or a default against the TypeScript side.
import * as fs from 'fs';
import * as path from 'path';

export const STAGES_SRC = path.join(__dirname, '..', '..', 'src', 'stages');

export function stageLibText(): string {
  const parts = fs
    .readdirSync(STAGES_SRC)
    .filter((f) => /^lib-[a-z]+\.sh$/.test(f))
    .sort();
  return ['lib.sh', ...parts].map((f) => fs.readFileSync(path.join(STAGES_SRC, f), 'utf8')).join('\n');
}
