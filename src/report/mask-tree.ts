// Replaces every known secret value with *** in every file under a directory, before the log
// bundle is packed. Works on bytes (latin1 maps them 1:1), so text in any encoding and the odd
// binary file are covered alike; symbolic links are removed rather than followed. A subunit stream
// (Tempest's results.subunit) is masked packet by packet, so it stays one subunit's tools read.

import { promises as fs } from 'fs';
import * as path from 'path';
import { maskCounting } from '../core/mask';
import { redactSubunit } from './subunit';

export interface MaskStats {
  files: number;
  filesChanged: number;
  replacements: number;
  /** Subunit streams that could not be read as such, so were masked as text (paths under dir). */
  textOnly: string[];
}

type Redact = (text: string) => { text: string; replacements: number };
/** A redaction some files get after the known values' masking, by their path relative to the tree. */
export type AlsoRedact = (relativePath: string) => Redact | undefined;

/** One file's bytes redacted: a subunit stream packet by packet (readable: still one), anything else as text. */
function redactFile(name: string, bytes: Buffer, redact: Redact) {
  if (name.endsWith('.subunit')) return redactSubunit(bytes, redact);
  const r = redact(bytes.toString('latin1'));
  return { buf: Buffer.from(r.text, 'latin1'), replacements: r.replacements, readable: true };
}

/** Masks the known secrets in every file (and what alsoRedact names for a file), reading and writing each once. */
export async function maskSecretsInTree(
  dir: string,
  secrets: readonly string[],
  alsoRedact: AlsoRedact = () => undefined,
): Promise<MaskStats> {
  const stats: MaskStats = { files: 0, filesChanged: 0, replacements: 0, textOnly: [] };
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
        const bytes = await fs.readFile(p);
        const also = alsoRedact(path.relative(dir, p));
        const known = (text: string) => maskCounting(text, secrets);
        const redact: Redact = also
          ? (text) => {
              const a = known(text);
              const b = also(a.text);
              return { text: b.text, replacements: a.replacements + b.replacements };
            }
          : known;
        const after = redactFile(entry.name, bytes, redact);
        if (!after.readable) stats.textOnly.push(path.relative(dir, p));
        if (after.replacements > 0) {
          stats.replacements += after.replacements;
          stats.filesChanged++;
          await fs.writeFile(p, after.buf);
        }
      }
    }
  };
  await walk(dir);
  return stats;
}
