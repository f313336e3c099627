// An Io that keeps everything in memory: inputs keyed by name, outputs, state, log lines, summary.
import type { Io } from '../../src/core/io';
import type { InputName } from '../../src/core/names';

export interface MemoryIo extends Io {
  inputs: Partial<Record<InputName, string>>;
  outputs: Record<string, string>;
  state: Record<string, string>;
  lines: string[];
  secrets: string[];
  summaries: string[];
  failed?: string;
}

export function memoryIo(
  inputs: Partial<Record<InputName, string>> = {},
  state: Record<string, string> = {},
): MemoryIo {
  const io: MemoryIo = {
    inputs,
    outputs: {},
    state: { ...state },
    lines: [],
    secrets: [],
    summaries: [],
    getInput: (name) => inputs[name] ?? '',
    setOutput: (name, value) => {
      io.outputs[name] = value;
    },
    setSecret: (value) => {
      io.secrets.push(value);
    },
    saveState: (name, value) => {
      io.state[name] = value;
    },
    getState: (name) => io.state[name] ?? '',
    info: (m) => {
      io.lines.push(m);
    },
    warning: (m) => {
      io.lines.push(`warning: ${m}`);
    },
    error: (m) => {
      io.lines.push(`error: ${m}`);
    },
    group: async (title, fn) => {
      io.lines.push(`group: ${title}`);
      return fn();
    },
    summary: async (md) => {
      io.summaries.push(md);
    },
    setFailed: (m) => {
      io.failed = m;
    },
  };
  return io;
}
