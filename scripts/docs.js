#!/usr/bin/env node
// Regenerates the README's Inputs, Outputs and support tables from action.yml and src/settings/matrix.ts,
// and src/core/input-docs.generated.json (every input's description and default, for the CLI's --help, so the
// CLI bundle needs no action.yml at run time), so none is written by hand. `--check` exits 1 when
// either is stale (CI runs it).
const fs = require('fs');
const path = require('path');
const Module = require('module');
const ts = require('typescript');
const yaml = require('js-yaml');

const root = path.join(__dirname, '..');

/** Loads a dependency-free TypeScript module (src/settings/matrix.ts) without a build step. */
function loadTs(file) {
  const source = fs.readFileSync(file, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const m = new Module(file);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(outputText, file);
  return m.exports;
}

const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function inputsTable(action) {
  const rows = Object.entries(action.inputs).map(
    ([name, i]) => `| \`${name}\` | ${cell(i.description)} | ${i.default === undefined || i.default === '' ? '' : `\`${cell(i.default)}\``} |`,
  );
  return ['| input | description | default |', '| --- | --- | --- |', ...rows].join('\n');
}

function outputsTable(action) {
  const rows = Object.entries(action.outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.description)} |`);
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

function supportTable(matrix) {
  const header = ['release', ...matrix.OPERATING_SYSTEMS.map((o) => o.id)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  const cutoff = matrix.RELEASES.find((r) => r.id === matrix.LINUXBRIDGE_REMOVED_IN).order;
  for (const r of [...matrix.RELEASES].reverse()) {
    const cells = matrix.OPERATING_SYSTEMS.map((o) => {
      const src = o.releases[r.id];
      if (!src) return '';
      const local = o.id === matrix.LOCAL_SUPPORT.os && matrix.LOCAL_SUPPORT.releases.includes(r.id) ? ', local' : '';
      return `✓ ${src}${local}`;
    });
    if (cells.every((c) => c === '')) continue;
    lines.push(`| ${r.id === r.codename ? r.id : `${r.id} ${r.codename}`}${r.order >= cutoff ? ' ¹' : ''} | ${cells.join(' | ')} |`);
  }
  const legacy = matrix.OPERATING_SYSTEMS.filter((o) => o.legacy).map((o) => `\`${o.id}\` is legacy: ${o.legacy}.`);
  return [
    ...lines,
    '',
    `Where the packages come from: distro = the OS's own archive, uca = Ubuntu Cloud Archive, osbpo = Debian OpenStack backports, rdo = RDO, rdo-vault = RDO from the archived CentOS repositories. "local" = also runs with \`provider: local\`.`,
    `¹ Neutron removed the Linux bridge driver in ${matrix.LINUXBRIDGE_REMOVED_IN}: \`network-driver: openvswitch\` only (the default there). Both drivers elsewhere.`,
    ...legacy.map((l) => `${l}`),
  ].join('\n');
}

function replaceBlock(text, name, content) {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- /generated:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md lacks the ${start} … ${end} markers`);
  return `${text.slice(0, i + start.length)}\n<!-- made by npm run docs from ${name === 'support' ? 'src/settings/matrix.ts' : 'action.yml'}; do not edit by hand -->\n${content}\n${text.slice(j)}`;
}

const readAction = () => yaml.load(fs.readFileSync(path.join(root, 'action.yml'), 'utf8'));
const INPUT_DOCS_FILE = path.join(root, 'src', 'core', 'input-docs.generated.json');

/** The input docs module: the same descriptions and defaults as the README's Inputs table. */
function renderInputDocs(action = readAction()) {
  const inputs = Object.entries(action.inputs).map(([name, i]) => ({ name, description: i.description, default: String(i.default ?? '') }));
  const doc = { generated: 'by npm run docs from action.yml; do not edit by hand', inputs };
  return JSON.stringify(doc, null, 2) + '\n';
}

function render(readme) {
  const action = readAction();
  const matrix = loadTs(path.join(root, 'src', 'settings', 'matrix.ts'));
  let out = replaceBlock(readme, 'inputs', inputsTable(action));
  out = replaceBlock(out, 'outputs', outputsTable(action));
  out = replaceBlock(out, 'support', supportTable(matrix));
  return out;
}

module.exports = { render, renderInputDocs, supportTable, inputsTable, outputsTable, loadTs, INPUT_DOCS_FILE };

if (require.main === module) {
  const file = path.join(root, 'README.md');
  const targets = [
    [file, render(fs.readFileSync(file, 'utf8'))],
    [INPUT_DOCS_FILE, renderInputDocs()],
  ];
  const stale = targets.filter(([f, next]) => !fs.existsSync(f) || fs.readFileSync(f, 'utf8') !== next);
  if (process.argv.includes('--check')) {
    if (stale.length) {
      console.error(`${stale.map(([f]) => path.relative(root, f)).join(' and ')} stale: run \`npm run docs\` and commit the result.`);
      process.exit(1);
    }
  } else {
    for (const [f, next] of stale) fs.writeFileSync(f, next);
  }
}
