// Finds the scripts this project ships to the nodes, in the bundles (dist/) and in the source tree
// (ts-jest) alike: the one place that knows where they are.
//
// - The stage scripts (lib.sh, <stage>.sh, network-fix.sh) sit in one folder: dist/stages beside the
//   bundles (scripts/build.js copies them), src/stages in the source tree; both are ../stages from
//   here (dist/<entry>/ in a bundle, src/core/ in the tree).
// - tempest-smoke.sh and collect-logs.sh sit beside the code that uses them; ncc copies them next to
//   each bundle because its asset relocator recognises fs.readFileSync(__dirname + '<literal>') in
//   this project's CommonJS output (checked with ncc 0.38, also from this folder with a '/../…'
//   literal; the path.join(__dirname, …) form is NOT recognised there, so keep the concatenation).

import * as fs from 'fs';
import * as path from 'path';

/** The scripts that live beside their feature code, read through literals ncc can relocate. */
const BESIDE_THEIR_CODE = {
  'tempest-smoke.sh': () => fs.readFileSync(__dirname + '/../smoke/tempest-smoke.sh', 'utf8'),
  'collect-logs.sh': () => fs.readFileSync(__dirname + '/../report/collect-logs.sh', 'utf8'),
} as const;

/** The folder holding lib.sh and every stage script (dist/stages next to the bundle, or src/stages). */
export function shippedStagesDir(): string {
  const candidates = [path.join(__dirname, '..', 'stages'), path.join(__dirname, 'stages')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'lib.sh')));
  if (!found) throw new Error(`stage scripts not found next to the bundle (looked in ${candidates.join(', ')})`);
  return found;
}

/** The text of a shipped script: one beside its code, or one of the stages folder (e.g. network-fix.sh). */
export function shippedScript(name: keyof typeof BESIDE_THEIR_CODE | `${string}.sh`): string {
  if (name in BESIDE_THEIR_CODE) return BESIDE_THEIR_CODE[name as keyof typeof BESIDE_THEIR_CODE]();
  return fs.readFileSync(path.join(shippedStagesDir(), name), 'utf8');
}
