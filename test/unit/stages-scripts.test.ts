// Every stage of the Plan has its script, every script is shellcheck-clean (real shellcheck, -x so
// lib.sh is checked through each script) and has the common frame: strict mode, lib.sh, its own
// stage name, and a closing stage_end.

import { execFileSync, spawnSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { readSettings } from '../../src/settings/inputs';
import { buildBakeCleanGraph, buildRekeyGraph } from '../../src/plan/baked-stages';
import { buildPlan } from '../../src/plan/plan';

const DIR = join(__dirname, '../../src/stages');
const scripts = readdirSync(DIR).filter((f) => f.endsWith('.sh'));
// network-fix.sh belongs to the network fix, not to the install stages.
const stageScripts = scripts.filter((f) => !/^lib(-[a-z]+)?\.sh$/.test(f) && f !== 'network-fix.sh');

function allStageNames(): string[] {
  const s = readSettings(
    (n) => ({ topology: 'full', os: 'debian-12', release: 'zed', 'stack-id': 'unit' })[n as string] ?? '',
    {
      env: {},
    },
  );
  const plan = buildPlan(s, { now: new Date() });
  // A baked stack runs the rekey graph instead, and bake runs bake-clean on one node per role.
  const baked = [
    ...buildRekeyGraph(plan.nodes),
    ...buildBakeCleanGraph(
      plan.nodes.map((n) => n.name),
      'controller',
    ),
  ];
  return [...new Set([...plan.stages, ...baked].map((x) => x.stage))].sort();
}

describe('stage scripts', () => {
  test('shellcheck is installed', () => {
    expect(execFileSync('shellcheck', ['--version'], { encoding: 'utf8' })).toMatch(/version: \d+\.\d+/);
  });

  test('every script is shellcheck-clean (-x: lib.sh checked through each script)', () => {
    // One run for all files (lib.sh is parsed with each script; ~30 s of CPU on 2 vCPUs).
    const r = spawnSync('shellcheck', ['-x', '-f', 'gcc', ...scripts], { cwd: DIR, encoding: 'utf8' });
    const findings = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    expect(findings).toEqual([]);
    expect(r.status).toBe(0);
  }, 180_000);

  test('one script per stage of the full topology, and no script without a stage', () => {
    expect(stageScripts.map((f) => f.replace(/\.sh$/, '')).sort()).toEqual(allStageNames());
  });

  test.each(stageScripts)('%s has the common frame', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const stage = file.replace(/\.sh$/, '');
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toContain('\nset -euo pipefail\n');
    expect(text).toContain('\n. "$(dirname "$0")/lib.sh"\n');
    expect(text).toContain(`\nstage_begin ${stage}\n`);
    expect(text.trimEnd().endsWith('stage_end')).toBe(true);
  });

  test('OS differences stay in lib.sh: no stage script switches on the OS itself', () => {
    for (const file of stageScripts) {
      const text = readFileSync(join(DIR, file), 'utf8');
      expect({ file, hits: text.match(/\$OS_(FAMILY|ID)|apt-get|dnf |yum |\/etc\/os-release/g) ?? [] }).toEqual({
        file,
        hits: [],
      });
    }
  });
});
