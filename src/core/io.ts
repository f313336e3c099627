// The one seam between the pipeline and its surroundings. In a workflow it is @actions/core (outputs
// and state through the runner's files, secrets masked in the log); in a terminal (src/cli.ts) it
// prints to stdout/stderr and keeps state in a file, so the same pipeline runs in both.

import * as core from '@actions/core';
import * as fs from 'fs';
import * as path from 'path';
import { maskSecrets, registerSecret } from './mask';
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
    setSecret: (value) => {
      registerSecret(value);
      core.setSecret(value);
    },
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

/** The files a terminal run keeps beside its state file (the outputs file holds real values). */
export function terminalFiles(stateFile: string): { state: string; outputs: string; summary: string } {
  const base = stateFile.replace(/\.state\.json$/, '');
  return { state: stateFile, outputs: `${base}.outputs.json`, summary: `${base}.summary.md` };
}

/**
 * Terminal flavour: inputs from a map (the CLI's flags), state in a JSON file, secrets redacted.
 * Outputs go to <stateFile without .state.json>.outputs.json (short ones are also printed), the job
 * summary to .summary.md beside it. Without a state file (plan mode) nothing is written anywhere:
 * state and outputs stay in memory, the summary is dropped, and `out` takes the log lines.
 */
export function terminalIo(
  inputs: Partial<Record<InputName, string>>,
  stateFile?: string,
  out: NodeJS.WritableStream = process.stdout,
): Io {
  const files = stateFile ? terminalFiles(stateFile) : undefined;
  const secrets: string[] = [];
  const redact = (m: string) => maskSecrets(m, secrets);
  const memory: Record<string, string> = {};
  const readState = (): Record<string, string> =>
    !files
      ? memory
      : fs.existsSync(files.state)
        ? (JSON.parse(fs.readFileSync(files.state, 'utf8')) as Record<string, string>)
        : {};
  return {
    getInput: (name) => inputs[name] ?? '',
    setOutput: (name, value) => {
      if (files) {
        const all = fs.existsSync(files.outputs) ? (JSON.parse(fs.readFileSync(files.outputs, 'utf8')) as object) : {};
        fs.mkdirSync(path.dirname(files.outputs), { recursive: true });
        // The file holds real values (like the runner's output file); only the terminal is redacted.
        fs.writeFileSync(files.outputs, JSON.stringify({ ...all, [name]: value }, null, 2), { mode: 0o600 });
      }
      const where = files ? `, in ${files.outputs}` : '';
      const shown = value.length > 160 ? `(${value.length} characters${where})` : value;
      out.write(redact(`output ${name}: ${shown}\n`));
    },
    setSecret: (value) => {
      registerSecret(value);
      if (value) secrets.push(value);
    },
    saveState: (name, value) => {
      if (!files) {
        memory[name] = value;
        return;
      }
      fs.mkdirSync(path.dirname(files.state), { recursive: true });
      fs.writeFileSync(files.state, JSON.stringify({ ...readState(), [name]: value }, null, 2), { mode: 0o600 });
    },
    getState: (name) => readState()[name] ?? '',
    info: (m) => out.write(redact(m) + '\n'),
    warning: (m) => process.stderr.write(redact(`warning: ${m}`) + '\n'),
    error: (m) => process.stderr.write(redact(`error: ${m}`) + '\n'),
    group: async (title, fn) => {
      out.write(redact(`── ${title}`) + '\n');
      return fn();
    },
    // Where the action writes the job summary, the terminal keeps it in a file beside the outputs
    // (redacted like the terminal: the file is for reading and sharing).
    summary: async (markdown) => {
      if (!files) return;
      fs.mkdirSync(path.dirname(files.summary), { recursive: true });
      const before = fs.existsSync(files.summary) ? fs.readFileSync(files.summary, 'utf8') : '';
      const tmp = `${files.summary}.tmp`;
      fs.writeFileSync(tmp, mergeSummary(before, redact(markdown) + '\n'), { mode: 0o600 });
      fs.renameSync(tmp, files.summary);
      out.write(`summary: ${files.summary}\n`);
    },
    setFailed: (m) => {
      process.stderr.write(redact(`error: ${m}`) + '\n');
      process.exitCode = 1;
    },
  };
}
