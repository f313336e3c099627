// The repository's own helper scripts (scripts/*.sh: the test image build and the one-command local
// cloud) pass real shellcheck, and the local cloud script refuses wrong usage before it builds or
// starts anything.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const dir = path.join(__dirname, '../../scripts');
const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh'));

it('finds the shell scripts', () => {
  expect(scripts).toEqual(expect.arrayContaining(['build-test-image.sh', 'local-cloud.sh']));
});

it.each(scripts)('scripts/%s is shellcheck-clean', (file) => {
  const r = spawnSync('shellcheck', ['-x', '--severity=style', path.join(dir, file)], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

it.each([[[]], [['frobnicate']], [['up', 'a', 'b']]])('local-cloud.sh %j: usage error, nothing started', (args) => {
  const r = spawnSync('bash', [path.join(dir, 'local-cloud.sh'), ...args], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^local-cloud: usage: .*local-cloud\.sh up\|down \[STACK_ID\]/);
  expect(r.stdout).toBe('');
});
