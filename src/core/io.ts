// The one seam between the pipeline and its surroundings. In a workflow it is @actions/core (outputs
// and state through the runner's files, secrets masked in the log); in a terminal (src/cli.ts) it
// prints to stdout/stderr and keeps state in a file, so the same pipeline runs in both.

import * as core from '@actions/core';
import * as fs from 'fs';
import * as path from 'path';
import { InputName } from './names';
import { mergeSummary } from './summary-sections';

export interface Io {
  getInput(name: InputName): string;
  setOutput(name: string, value: string): void;
  /** Masks the value in every later log line. Call it before the value can be printed anywhere. */
  setSecret(value: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Runs fn inside a collapsible log group. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Appends markdown to the job summary (no-op where there is none). */
  summary(markdown: string): Promise<void>;
  setFailed(message: string): void;
}

export function actionsIo(): Io {
  return {
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setSecret: (value) => core.setSecret(value),
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    info: (m) => core.info(m),
    warning: (m) => core.warning(m),
    error: (m) => core.error(m),
    group: (title, fn) => core.group(title, fn),
    summary: async (markdown) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    setFailed: (m) => core.setFailed(m),
  };
}

/** The terminal's files beside its state file: <stack>.outputs.json and <stack>.summary.md. */
export function terminalFiles(stateFile: string): { outputsFile: string; summaryFile: string } {
  const base = stateFile.replace(/\.state\.json$/, '');
  return { outputsFile: `${base}.outputs.json`, summaryFile: `${base}.summary.md` };
}

/**
 * Terminal flavour: inputs from a map (the CLI's flags), state in a JSON file, secrets redacted.
 * Outputs go to <stateFile without .state.json>.outputs.json (short ones are also printed), the job
 * summary to .summary.md beside it: one file for main and the teardown after it, so a section
 * written again replaces the one before (src/core/summary-sections.ts).
 */
export function terminalIo(inputs: Partial<Record<InputName, string>>, stateFile: string): Io {
  const { outputsFile, summaryFile } = terminalFiles(stateFile);
  const secrets: string[] = [];
  const redact = (m: string) => secrets.reduce((acc, s) => acc.split(s).join('***'), m);
  const readState = (): Record<string, string> =>
    fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, string>) : {};
  return {
    getInput: (name) => inputs[name] ?? '',
    setOutput: (name, value) => {
      const all = fs.existsSync(outputsFile) ? (JSON.parse(fs.readFileSync(outputsFile, 'utf8')) as object) : {};
      fs.mkdirSync(path.dirname(outputsFile), { recursive: true });
      // The file holds real values (like the runner's output file); only the terminal is redacted.
      fs.writeFileSync(outputsFile, JSON.stringify({ ...all, [name]: value }, null, 2), { mode: 0o600 });
      const shown = value.length > 160 ? `(${value.length} characters, in ${outputsFile})` : value;
      process.stdout.write(redact(`output ${name}: ${shown}\n`));
    },
    setSecret: (value) => {
      if (value) secrets.push(value);
    },
    saveState: (name, value) => {
      fs.mkdirSync(path.dirname(stateFile), { recursive: true });
      fs.writeFileSync(stateFile, JSON.stringify({ ...readState(), [name]: value }, null, 2), { mode: 0o600 });
    },
    getState: (name) => readState()[name] ?? '',
    info: (m) => process.stdout.write(redact(m) + '\n'),
    warning: (m) => process.stderr.write(redact(`warning: ${m}`) + '\n'),
    error: (m) => process.stderr.write(redact(`error: ${m}`) + '\n'),
    group: async (title, fn) => {
      process.stdout.write(redact(`── ${title}`) + '\n');
      return fn();
    },
    // Where the action writes the job summary, the terminal keeps it in a file beside the outputs
    // (redacted like the terminal: the file is for reading and sharing).
    summary: async (markdown) => {
      fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
      const before = fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8') : '';
      const tmp = `${summaryFile}.tmp`;
      fs.writeFileSync(tmp, mergeSummary(before, redact(markdown) + '\n'), { mode: 0o600 });
      fs.renameSync(tmp, summaryFile);
      process.stdout.write(`summary: ${summaryFile}\n`);
    },
    setFailed: (m) => {
      process.stderr.write(redact(`error: ${m}`) + '\n');
      process.exitCode = 1;
    },
  };
}
