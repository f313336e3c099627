// Puts the stage scripts and the node's settings file on a node, once per node. The scripts travel
// as one small archive on standard input (one command instead of one per file); the settings file,
// which holds the stack's passwords, goes through writeFile with mode 0600. Nothing in argv but names.

import * as fs from 'fs';
import * as path from 'path';
import { SETTINGS_PATH, STAGES_DIR } from './node-settings';
import { shellQuote } from '../core/shell-quote';
import type { RemoteSession } from './types';

const LIB_SCRIPT = 'lib.sh';
/** The parts lib.sh loads from beside itself (lib-common.sh, lib-os.sh, lib-services.sh). */
const LIB_PART = /^lib-[a-z]+\.sh$/;

/** Where things go on a node. Fixed in production; tests point them into a temp dir. */
export interface RemotePaths {
  stagesDir: string;
  settingsPath: string;
}

export const DEFAULT_REMOTE_PATHS: RemotePaths = { stagesDir: STAGES_DIR, settingsPath: SETTINGS_PATH };

interface BundleFile {
  name: string;
  content: string;
}

/** The stage library and <stage>.sh for each stage, read from the bundle's stages directory. */
export function readStageScripts(stagesDir: string, stages: string[]): BundleFile[] {
  const parts = fs.existsSync(stagesDir)
    ? fs
        .readdirSync(stagesDir)
        .filter((f) => LIB_PART.test(f))
        .sort()
    : [];
  const names = [LIB_SCRIPT, ...parts, ...new Set(stages.map((s) => `${s}.sh`))];
  const missing = names.filter((n) => !fs.existsSync(path.join(stagesDir, n)));
  if (missing.length > 0) throw new Error(`stage scripts missing in ${stagesDir}: ${missing.join(', ')}`);
  return names.map((name) => ({ name, content: fs.readFileSync(path.join(stagesDir, name), 'utf8') }));
}

/**
 * The remote half of the archive: a header line "<name> <bytes>" then exactly that many bytes, per
 * file. bash's `read` takes the header byte by byte and `head -c` takes exactly the content, so the
 * stream needs no escaping. Each file lands under a temporary name and is renamed into place.
 */
export function unpackCommand(dir: string): string {
  const d = shellQuote(dir);
  return [
    `install -d -m 0755 ${d}`,
    `while read -r name size; do`,
    `  case "$name" in ''|*/*|.*) echo "bad file name in bundle: $name" >&2; exit 2;; esac`,
    `  head -c "$size" > ${d}/".$name.tmp"`,
    `  [ "$(stat -c %s ${d}/".$name.tmp")" = "$size" ] || { echo "short file in bundle: $name" >&2; exit 2; }`,
    `  chmod 0755 ${d}/".$name.tmp" && mv -f ${d}/".$name.tmp" ${d}/"$name"`,
    `done`,
  ].join('\n');
}

export function packBundle(files: BundleFile[]): string {
  return files.map((f) => `${f.name} ${Buffer.byteLength(f.content, 'utf8')}\n${f.content}`).join('');
}

export async function uploadStageFiles(
  session: RemoteSession,
  scripts: BundleFile[],
  /** Not re-uploaded when undefined (a manual re-run keeps the node's current settings). */
  settings: string | undefined,
  paths: RemotePaths = DEFAULT_REMOTE_PATHS,
): Promise<void> {
  for (const f of scripts) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f.name)) throw new Error(`unsafe stage script name '${f.name}'`);
  }
  await session.exec(unpackCommand(paths.stagesDir), {
    stage: 'upload stage scripts',
    stdin: packBundle(scripts),
    timeoutMs: 5 * 60_000,
  });
  if (settings !== undefined) await session.writeFile(paths.settingsPath, settings, 0o600);
}
