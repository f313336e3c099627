#!/usr/bin/env node
// Regenerates the README's Inputs, Outputs, support and per-instance-type pool tables from action.yml,
// src/settings/matrix.ts, src/settings/instance-types.ts and
// scripts/e2e-proven.json (the end-to-end runs measured on this project's machine), and
// src/core/input-docs.generated.json (every input's description and default, for the CLI's --help, so
// the CLI bundle needs no action.yml at run time), so none is written by hand. `--check` exits 1 when
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
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const m = new Module(file);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(outputText, file);
  return m.exports;
}

const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

function inputsTable(action) {
  const rows = Object.entries(action.inputs).map(
    ([name, i]) =>
      `| \`${name}\` | ${cell(i.description)} | ${i.default === undefined || i.default === '' ? '' : `\`${cell(i.default)}\``} |`,
  );
  return ['| input | description | default |', '| --- | --- | --- |', ...rows].join('\n');
}

function outputsTable(action) {
  const rows = Object.entries(action.outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.description)} |`);
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

/** The end-to-end runs measured here: [{ os, release, networkDriver, topology, datapath, e2eSeconds, cliSeconds, date, commit, networkFix, note, stages }]. */
function provenRuns() {
  const file = path.join(root, 'scripts', 'e2e-proven.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
}

const driverShort = (d) => (d === 'openvswitch' ? 'OVS' : 'LB');

function supportTable(matrix, proven = provenRuns()) {
  const header = ['release', ...matrix.OPERATING_SYSTEMS.map((o) => o.id)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  const cutoff = matrix.RELEASES.find((r) => r.id === matrix.LINUXBRIDGE_REMOVED_IN).order;
  for (const r of [...matrix.RELEASES].reverse()) {
    const cells = matrix.OPERATING_SYSTEMS.map((o) => {
      const src = o.releases[r.id];
      if (!src) return '';
      const local = matrix.localReleases(o).includes(r.id) ? ', local' : '';
      const runs = proven.filter((p) => p.os === o.id && p.release === r.id);
      const e2e = runs.length
        ? ` **e2e ${runs.map((p) => `${driverShort(p.networkDriver)}${p.networkFix === 'routed' ? ' routed' : ''}${p.topology === 'full' ? ' full' : ''} ${Math.round(p.e2eSeconds ?? p.cliSeconds)} s`).join(', ')}**`
        : '';
      return `✓ ${src}${local}${e2e}`;
    });
    if (cells.every((c) => c === '')) continue;
    lines.push(
      `| ${r.id === r.codename ? r.id : `${r.id} ${r.codename}`}${r.order >= cutoff ? ' ¹' : ''} | ${cells.join(' | ')} |`,
    );
  }
  const legacy = matrix.OPERATING_SYSTEMS.filter((o) => o.legacy).map((o) => `\`${o.id}\` is legacy: ${o.legacy}.`);
  const runLines = proven.map((p) => {
    const top = Object.entries(p.stages ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, sec]) => `${name} ${Math.round(sec)}`)
      .join(', ');
    return `- \`${p.os}\` + ${p.release}, ${p.networkDriver} (${p.datapath}), topology ${p.topology}: ${p.e2eSeconds === undefined ? '' : `whole script ${Math.round(p.e2eSeconds)} s, `}the CLI's up…teardown ${Math.round(p.cliSeconds)} s (${p.date}${p.commit ? `, commit ${p.commit}` : ''})${p.networkFix ? `, network-fix ${p.networkFix}` : ''}${p.note ? `, ${p.note}` : ''}; slowest stages (s): ${top}`;
  });
  return [
    ...lines,
    '',
    `Where the packages come from: distro = the OS's own archive, uca = Ubuntu Cloud Archive, osbpo = Debian OpenStack backports, rdo = RDO, rdo-vault = RDO from the archived CentOS repositories. "local" = also runs with \`provider: local\` (its nodes reach only their OS's own archive). **e2e** = proven end to end on this project's machine (\`npm run e2e:local\`: every stage, the network fix, all smoke checks, teardown, nothing left behind) with that Neutron driver (LB = Linux bridge, OVS = Open vSwitch) and the whole run's seconds.`,
    `¹ Neutron removed the Linux bridge driver in ${matrix.LINUXBRIDGE_REMOVED_IN}: \`network-driver: openvswitch\` only (the default there). Both drivers elsewhere.`,
    ...legacy.map((l) => `${l}`),
    ...(runLines.length
      ? ['', 'End-to-end runs measured here (2 vCPUs shared with other jobs; seconds):', '', ...runLines]
      : []),
  ].join('\n');
}

/** The routed pool's bound per instance type (private IPv4 addresses per interface, minus the primary). */
function eniLimitsTable(types) {
  const sizes = ['micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', 'metal'];
  const families = [
    ['t3, t3a (t2 alike)', 't3'],
    ['m5…m8, c5…c8, r5…r8 (m7i, m8i, …)', 'm7i'],
  ];
  const bound = (t) => {
    const n = types.knownIpv4PerEni(t);
    return n === undefined ? '—' : `${n - 1}`;
  };
  const rows = sizes
    .filter((size) => families.some(([, f]) => types.knownIpv4PerEni(`${f}.${size}`) !== undefined))
    .map((size) => `| ${size} | ${families.map(([, f]) => bound(`${f}.${size}`)).join(' | ')} |`);
  return [
    `Largest \`external-pool-size\` per controller size (its private IPv4 addresses per network interface, minus the primary; the default controller, ${types.DEFAULT_INSTANCE_TYPES.controller}, allows ${types.knownIpv4PerEni(types.DEFAULT_INSTANCE_TYPES.controller) - 1}; other types are checked with EC2's DescribeInstanceTypes):`,
    '',
    `| size | ${families.map(([label]) => label).join(' | ')} |`,
    `| --- | ${families.map(() => '---').join(' | ')} |`,
    ...rows,
  ].join('\n');
}

const GENERATED_FROM = { support: 'src/settings/matrix.ts', 'eni-limits': 'src/settings/instance-types.ts' };

function replaceBlock(text, name, content) {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- /generated:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md lacks the ${start} … ${end} markers`);
  return `${text.slice(0, i + start.length)}\n<!-- made by npm run docs from ${GENERATED_FROM[name] ?? 'action.yml'}; do not edit by hand -->\n${content}\n${text.slice(j)}`;
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
  out = replaceBlock(out, 'eni-limits', eniLimitsTable(loadTs(path.join(root, 'src', 'settings', 'instance-types.ts'))));
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
