// The node paths shared by the TypeScript side and the shell scripts are one constant each
// (src/core/node-paths.ts), and the scripts spell them the same: lib.sh and network-fix.sh are
// sourced by a real bash and their variables compared; the two smoke/report scripts that cannot be
// sourced alone are read for the literal. The shipped scripts are found through one function.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as paths from '../../src/core/node-paths';
import { shippedScript, shippedStagesDir } from '../../src/core/shipped';

const SRC = path.join(__dirname, '../../src');

/** Sources a script (or its text) in a bare bash and prints the named variables, one per line. */
function sourcedVars(text: string, names: string[], env: Record<string, string> = {}): Record<string, string> {
  const script = `${text}\nprintf '%s\\n' ${names.map((n) => `"$${n}"`).join(' ')}`;
  const r = spawnSync('bash', ['-c', script, 'bash'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  expect(r.stderr).toBe('');
  const values = r.stdout.split('\n');
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

test("lib.sh's defaults are the shared constants", () => {
  // Sourced by its path: lib.sh loads its parts from beside itself.
  const lib = `. '${path.join(SRC, 'stages/lib.sh')}'`;
  expect(sourcedVars(lib, ['OOA_ETC', 'OOA_SETTINGS', 'OOA_NICS', 'OOA_LOG_DIR', 'OOA_ADMIN_RC'])).toEqual({
    OOA_ETC: paths.NODE_ETC_DIR,
    OOA_SETTINGS: paths.SETTINGS_PATH,
    OOA_NICS: paths.NICS_PATH,
    OOA_LOG_DIR: paths.STAGE_LOG_DIR,
    OOA_ADMIN_RC: paths.ADMIN_OPENRC,
  });
});

test("network-fix.sh's paths on a node (no NETFIX_ROOT) are the shared constants", () => {
  const text = fs.readFileSync(path.join(SRC, 'stages/network-fix.sh'), 'utf8');
  // Its functions and settings without the command dispatch at the end.
  const functions = text.split(/\ncase "\$\{1:-apply\}" in\n/)[0];
  expect(sourcedVars(functions, ['ETC', 'ORIGINAL_MAC_FILE', 'INSTALLED'])).toEqual({
    ETC: paths.NODE_ETC_DIR,
    ORIGINAL_MAC_FILE: paths.ETH1_ORIGINAL_MAC_PATH,
    INSTALLED: paths.NETWORK_FIX_INSTALLED_PATH,
  });
  expect(text).toContain(`ExecStart=${paths.NETWORK_FIX_INSTALLED_PATH} boot`);
});

test("Tempest's folder is the same in tempest-smoke.sh and collect-logs.sh", () => {
  expect(shippedScript('tempest-smoke.sh')).toContain(`TEMPEST_DIR="\${TEMPEST_DIR:-${paths.TEMPEST_DIR}}"`);
  expect(shippedScript('collect-logs.sh')).toContain(`\${root%/}${paths.TEMPEST_DIR}/logs`);
});

test('no other file in src/ spells a shared path itself', () => {
  const spelled: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith(path.join('core', 'node-paths.ts'))) {
        const code = fs
          .readFileSync(p, 'utf8')
          .split('\n')
          .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
          .join('\n');
        for (const v of Object.values(paths))
          if (code.includes(`'${v}'`) || code.includes(`\`${v}`)) spelled.push(`${p}: ${v}`);
      }
    }
  };
  walk(SRC);
  expect(spelled).toEqual([]);
});

test('the shipped scripts are found in one place: the stages folder holds lib.sh and network-fix.sh', () => {
  expect(shippedStagesDir()).toBe(path.join(SRC, 'stages'));
  expect(shippedScript('network-fix.sh')).toBe(fs.readFileSync(path.join(SRC, 'stages/network-fix.sh'), 'utf8'));
  expect(shippedScript('lib.sh')).toMatch(/^# shellcheck shell=bash/);
  expect(() => shippedScript('no-such-stage.sh')).toThrow(/ENOENT/);
});
