#!/usr/bin/env node
// Builds the committed bundles: dist/main, dist/post, dist/cli (ncc), and copies the stage scripts
// next to them (dist/stages) because the bundles upload them to the nodes at run time.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const ncc = path.join(root, 'node_modules', '.bin', 'ncc');

/** Replaces dist/<name> in one rename, so a run reading dist/ never finds it half-built or gone. */
function swapIn(name, build) {
  const out = path.join(root, 'dist', name);
  const next = `${out}.next`;
  fs.rmSync(next, { recursive: true, force: true });
  build(next);
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(next, out);
}

for (const entry of ['main', 'post', 'cli']) {
  // --transpile-only: the types are checked once by `npm run typecheck` (tsc over src and test);
  // ncc checking them again per bundle tripled the build time and gave the same output.
  swapIn(entry, (out) =>
    execFileSync(ncc, ['build', path.join(root, 'src', `${entry}.ts`), '-o', out, '--license', 'licenses.txt', '--quiet', '--target', 'es2022', '--transpile-only'], {
      stdio: 'inherit',
      cwd: root,
    }),
  );
}
fs.chmodSync(path.join(root, 'dist', 'cli', 'index.js'), 0o755);

const stagesSrc = path.join(root, 'src', 'stages');
swapIn('stages', (out) => {
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(stagesSrc).filter((f) => f.endsWith('.sh')).sort()) {
    fs.copyFileSync(path.join(stagesSrc, f), path.join(out, f));
    fs.chmodSync(path.join(out, f), 0o755);
  }
});
