// Replaces every known secret value with *** in every file under a directory, before the log
// bundle is packed. Works on bytes (latin1 maps them 1:1), so text in any encoding and the odd
// binary file are covered alike; symbolic links are removed rather than followed.

import { promises as fs } from 'fs';
import * as path from 'path';
import { maskCounting } from '../core/mask';

export interface MaskStats {
  files: number;
  filesChanged: number;
  replacements: number;
}

export async function maskSecretsInTree(dir: string, secrets: readonly string[]): Promise<MaskStats> {
  const stats: MaskStats = { files: 0, filesChanged: 0, replacements: 0 };
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isSymbolicLink()) {
        await fs.unlink(p);
      } else if (entry.isDirectory()) {
        await fs.chmod(p, 0o700);
        await walk(p);
      } else if (entry.isFile()) {
        stats.files++;
        await fs.chmod(p, 0o600);
        const before = (await fs.readFile(p)).toString('latin1');
        const after = maskCounting(before, secrets);
        if (after.replacements > 0) {
          stats.replacements += after.replacements;
          stats.filesChanged++;
          await fs.writeFile(p, Buffer.from(after.text, 'latin1'));
        }
      }
    }
  };
  await walk(dir);
  return stats;
}
