#!/usr/bin/env node
// The same pipeline from a terminal:
//   openstack-on-aws plan  --release 2024.1 --os ubuntu-24.04 --topology full
//   openstack-on-aws up    --provider local --release zed --os debian-12 [--teardown never]
//   openstack-on-aws down  --stack-id <id> [--provider local]
//   openstack-on-aws sweep [--provider local]
// Flags are the action's input names. In a terminal there is no post step, so `up` runs the
// teardown itself afterwards, as the teardown flag says.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errorMessage } from './core/errors';
import { terminalFiles, terminalIo } from './core/io';
import { Inputs, InputName } from './core/names';
import { PipelineOptions, runContextFromEnv, runMain, runPost } from './pipeline/pipeline';

const COMMANDS = ['plan', 'up', 'down', 'sweep'] as const;
type Command = (typeof COMMANDS)[number];
const INPUT_NAMES = new Set<string>(Object.values(Inputs));

interface ParsedArgs {
  command: Command;
  inputs: Partial<Record<InputName, string>>;
  stateDir: string;
}

const USAGE = `usage: openstack-on-aws <${COMMANDS.join('|')}> [--<input> <value>]... [--state-dir DIR]
inputs: ${[...INPUT_NAMES].join(', ')}
example: openstack-on-aws plan --release 2024.1 --os ubuntu-24.04 --topology full`;

export function parseArgs(argv: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) throw new Error(`unknown command '${command ?? ''}'\n${USAGE}`);
  const inputs: Partial<Record<InputName, string>> = { [Inputs.Mode]: command };
  let stateDir = path.join(os.homedir(), '.openstack-on-aws');
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const eq = flag.indexOf('=');
    const name = (eq > 0 ? flag.slice(2, eq) : flag.slice(2)).trim();
    const value = eq > 0 ? flag.slice(eq + 1) : rest[++i];
    if (!flag.startsWith('--') || value === undefined)
      throw new Error(`expected --<input> <value>, got '${flag}'\n${USAGE}`);
    if (name === 'state-dir') stateDir = value;
    else if (INPUT_NAMES.has(name) && name !== Inputs.Mode) inputs[name as InputName] = value;
    else throw new Error(`unknown flag --${name}\n${USAGE}`);
  }
  return { command: command as Command, inputs, stateDir };
}

const HELP_WORDS = new Set(['help', '--help', '-h']);

export async function runCli(
  argv: string[],
  makeIo = terminalIo,
  /** Tests hand in a fake provider; the state directory is the work root either way. */
  pipeline: Omit<PipelineOptions, 'workRoot'> = {},
): Promise<number> {
  if (HELP_WORDS.has(argv[0] ?? '')) {
    process.stdout.write(`${USAGE}\nEvery input is described in README.md (Inputs) and action.yml.\n`);
    return 0;
  }
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  const stack = args.inputs[Inputs.StackId] ?? 'default';
  const stateFile = path.join(args.stateDir, `${stack}.state.json`);
  // A new `up` starts a new summary; its teardown below (or a later `down`) replaces sections of it.
  if (args.command === 'up') fs.rmSync(terminalFiles(stateFile).summaryFile, { force: true });
  const io = makeIo(args.inputs, stateFile);
  const opts = { ...pipeline, workRoot: args.stateDir };
  let failed = false;
  try {
    await runMain(io, runContextFromEnv(process.env), opts);
  } catch (err) {
    io.error(errorMessage(err));
    failed = true;
  }
  // In a terminal there is no post step: `up` tears down here, as the teardown flag says, also
  // after a failure (a half-built stack must not be left behind).
  if (args.command === 'up') {
    try {
      await runPost(io, opts);
    } catch (err) {
      io.error(errorMessage(err));
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

/* istanbul ignore next */
if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
