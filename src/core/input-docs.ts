// Every input's description and default, as action.yml declares them, for the CLI's --help. They come
// from input-docs.generated.json, which `npm run docs` generates from action.yml beside the README's tables
// (`npm run docs -- --check` fails when it is stale), so the bundle needs no action.yml at run time.

import docs from './input-docs.generated.json';
import { Inputs, InputName } from './names';

interface InputDoc {
  name: InputName;
  description: string;
  /** As action.yml writes it: '' for none, or an expression such as ${{ github.token }}. */
  default: string;
}

const KNOWN = new Set<string>(Object.values(Inputs));

export function inputDocs(): InputDoc[] {
  for (const d of docs.inputs)
    if (!KNOWN.has(d.name))
      throw new Error(`input-docs.generated.json names an unknown input '${d.name}': run npm run docs`);
  return docs.inputs as InputDoc[];
}

/** action.yml's default of an input ('' when none). */
export function declaredDefault(name: InputName): string {
  return inputDocs().find((d) => d.name === name)?.default ?? '';
}

/** Words of text on lines of at most width characters, each after indent. */
export function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

function defaultText(d: InputDoc): string {
  if (d.default === '') return '';
  // An expression has a value in a workflow only; the CLI has no such context.
  if (d.default.includes('${{')) return ` (default in a workflow: ${d.default}; in the CLI: none)`;
  return ` (default: ${d.default})`;
}

/** One block per input: "--name" then its description and default, wrapped. */
export function renderInputHelp(skip: readonly InputName[] = [], width = 100): string {
  return inputDocs()
    .filter((d) => !skip.includes(d.name))
    .flatMap((d) => [`  --${d.name} <value>`, ...wrap(`${d.description}${defaultText(d)}`, '      ', width)])
    .join('\n');
}
