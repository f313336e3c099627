// Reading the workflow templates, the README's yaml examples and action.yml for the tests that keep
// them consistent. YAML is parsed by js-yaml, which the lockfile already holds (through eslint);
// it has no type package here, so the one function used is typed by hand.
import * as fs from 'fs';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsYaml = require('js-yaml') as {
  load(text: string, options?: { filename?: string }): unknown;
  dump(value: unknown, options?: { lineWidth?: number }): string;
};

export const ROOT = path.resolve(__dirname, '..', '..');
export const WORKFLOWS_DIR = path.join(ROOT, 'workflows');

export type YamlMap = Record<string, unknown>;

/** YAML text of a value (long strings kept on one line). */
export function dumpYaml(value: unknown): string {
  return jsYaml.dump(value, { lineWidth: -1 });
}

export function loadYaml(text: string, filename?: string): unknown {
  return jsYaml.load(text, { filename });
}

export function isMap(v: unknown): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** workflows/*.yml, sorted: the templates users copy. */
export function workflowFiles(): string[] {
  return fs
    .readdirSync(WORKFLOWS_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(WORKFLOWS_DIR, f));
}

/** .github/workflows/*.yml, sorted: this repository's own CI and release workflows. */
export function repoWorkflowFiles(): string[] {
  const dir = path.join(ROOT, '.github', 'workflows');
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The bodies of ```yaml / ```yml fenced blocks in a markdown text, with their first line number. */
export function yamlBlocks(markdown: string): Array<{ line: number; text: string }> {
  const blocks: Array<{ line: number; text: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*ya?ml\s*$/i.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trim().startsWith(fence); j++) body.push(lines[j].slice(indent.length));
    blocks.push({ line: i + 2, text: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** `uses:` values that mean this action: the published one, or the repository itself (./). */
export function isThisAction(uses: unknown): boolean {
  return typeof uses === 'string' && (/^openstack-on-aws\/openstack-on-aws(@|$)/.test(uses) || /^\.\/?$/.test(uses));
}

export interface ActionStep {
  uses: string;
  with: YamlMap;
  /** Where in the document, for messages: jobs.cloud.steps[1] */
  where: string;
}

/** Every step (at any depth) that uses this action, with its `with:` map ({} when none). */
export function actionSteps(doc: unknown, where = '$'): ActionStep[] {
  if (Array.isArray(doc)) return doc.flatMap((d, i) => actionSteps(d, `${where}[${i}]`));
  if (!isMap(doc)) return [];
  const here: ActionStep[] = isThisAction(doc.uses)
    ? [{ uses: doc.uses as string, with: isMap(doc.with) ? doc.with : {}, where }]
    : [];
  return [...here, ...Object.entries(doc).flatMap(([k, v]) => actionSteps(v, `${where}.${k}`))];
}

/** action.yml's parsed document. */
export function actionYml(): YamlMap {
  const doc = loadYaml(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'), 'action.yml');
  if (!isMap(doc) || !isMap(doc.inputs)) throw new Error('action.yml has no inputs map');
  return doc;
}

export function actionInputNames(): Set<string> {
  return new Set(Object.keys(actionYml().inputs as YamlMap));
}

/** `with:` keys that are not inputs of action.yml, as "where: key" strings. */
export function unknownWithKeys(steps: ActionStep[], inputs: Set<string>): string[] {
  return steps.flatMap((s) =>
    Object.keys(s.with)
      .filter((k) => !inputs.has(k))
      .map((k) => `${s.where}: ${k}`),
  );
}
