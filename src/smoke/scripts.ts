// The bash script the smoke checks ship to the controller. It sits next to this file, and ncc copies
// it next to the bundle because its asset relocator recognises fs.readFileSync(__dirname + '/<literal>')
// in this project's CommonJS output (checked with ncc 0.38: the path.join(__dirname, …) form is NOT
// recognised there, so keep the concatenation).

import * as fs from 'fs';

export function tempestScript(): string {
  return fs.readFileSync(__dirname + '/tempest-smoke.sh', 'utf8');
}
