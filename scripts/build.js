#!/usr/bin/env node
// Builds the committed bundles: dist/main, dist/post, dist/cli (ncc), and copies the stage scripts
// next to them (dist/stages) because the bundles upload them to the nodes at run time.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const ncc = path.join(root, 'node_modules', '.bin', 'ncc');
for (const entry of ['main', 'post', 'cli']) {
  const out = path.join(root, 'dist', entry);
  fs.rmSync(out, { recursive: true, force: true });
  execFileSync(ncc, ['build', path.join(root, 'src', `${entry}.ts`), '-o', out, '--license', 'licenses.txt', '--quiet', '--target', 'es2022'], {
    stdio: 'inherit',
    cwd: root,
  });
}
fs.chmodSync(path.join(root, 'dist', 'cli', 'index.js'), 0o755);

const stagesSrc = path.join(root, 'src', 'stages');
const stagesOut = path.join(root, 'dist', 'stages');
fs.rmSync(stagesOut, { recursive: true, force: true });
fs.mkdirSync(stagesOut, { recursive: true });
for (const f of fs.readdirSync(stagesSrc).filter((f) => f.endsWith('.sh')).sort()) {
  fs.copyFileSync(path.join(stagesSrc, f), path.join(stagesOut, f));
  fs.chmodSync(path.join(stagesOut, f), 0o755);
}
