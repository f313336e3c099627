// Runs a bundled entry (dist/<entry>/index.js) the way the GitHub runner does: inputs as INPUT_*
// variables, outputs/state/summary through the files named by GITHUB_OUTPUT, GITHUB_STATE and
// GITHUB_STEP_SUMMARY, saved state handed to the post step as STATE_* variables.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
}

/** Parses the runner's file-command format: `name<<DELIM\nvalue\nDELIM` blocks (and plain name=value). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]);
      out[name] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const j = lines[i].indexOf('=');
      out[lines[i].slice(0, j)] = lines[i].slice(j + 1);
    }
  }
  return out;
}

export function runBundled(
  entry: 'main' | 'post',
  inputs: Record<string, string>,
  state: Record<string, string> = {},
  extraEnv: Record<string, string> = {},
): RunResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ooa-runner-${entry}-`));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'octo/openstack-on-aws-test',
    ...extraEnv,
  };
  for (const [k, f] of Object.entries(files)) {
    env[k] = path.join(dir, f);
    fs.writeFileSync(env[k], '');
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
  const script = path.join(__dirname, '..', '..', 'dist', entry, 'index.js');
  const r = spawnSync(process.execPath, [script], { env, encoding: 'utf8', timeout: 60_000 });
  const result: RunResult = {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    outputs: parseFileCommands(fs.readFileSync(env.GITHUB_OUTPUT, 'utf8')),
    state: parseFileCommands(fs.readFileSync(env.GITHUB_STATE, 'utf8')),
    summary: fs.readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8'),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}
