#!/usr/bin/env node
// The same pipeline from a terminal:
//   openstack-on-aws plan  --release 2026.1 --os ubuntu-26.04 --topology full [--json]
//   openstack-on-aws up    --provider local --release zed --os debian-12 [--teardown never]
//   openstack-on-aws down  --stack-id <id> [--provider local]
//   openstack-on-aws sweep [--provider local]
// Flags are the action's input names. In a terminal there is no post step, so `up` runs the
// teardown itself afterwards, as the teardown flag says. Every input is validated before any path
// is built from it or anything is created: a refused input prints its error and nothing else.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closest } from './core/closest';
import { errorMessage, InputError, TeardownError } from './core/errors';
import { renderInputHelp, wrap } from './core/input-docs';
import { terminalFiles, terminalIo } from './core/io';
import { Inputs, InputName, Outputs, States } from './core/names';
import { runContextFromEnv, runMain, runPost } from './pipeline/pipeline';
import type { ProviderFactory } from './pipeline/providers';
import { readSettings, Settings } from './settings/inputs';

const COMMANDS = {
  plan: 'Print what up would create and install. Creates nothing and writes no file; --json prints the Plan as JSON.',
  up: 'Create the stack, install OpenStack, apply the network fix, run the smoke checks, print the outputs; then tear down as --teardown says (also after a failure).',
  down: 'Delete the stack named by --stack-id, and the key and credential files kept for it on this machine.',
  sweep: 'Delete every stack whose lifetime has ended.',
} as const;
type Command = keyof typeof COMMANDS;
const COMMAND_NAMES = Object.keys(COMMANDS) as Command[];
const INPUT_NAMES = Object.values(Inputs).filter((n) => n !== Inputs.Mode);
/** Flags of the CLI itself, beside the inputs. */
const CLI_FLAGS = ['state-dir', 'json', 'help'];
const HELP_WORDS = new Set(['help', '--help', '-h']);

interface ParsedArgs {
  command: Command;
  inputs: Partial<Record<InputName, string>>;
  /** Where state, outputs and the work directory live; the default is resolved only when needed. */
  stateDir?: string;
  json: boolean;
  help: boolean;
}

const SYNOPSIS = `usage: openstack-on-aws <${COMMAND_NAMES.join('|')}> [--<input> <value>]... [--state-dir DIR] [--json]`;

const USAGE = [
  SYNOPSIS,
  '',
  'commands:',
  ...COMMAND_NAMES.flatMap((c) => [`  ${c}`, ...wrap(COMMANDS[c], '      ')]),
  '',
  'example: openstack-on-aws plan --release 2026.1 --os ubuntu-26.04 --topology full',
  '`openstack-on-aws <command> --help` lists every input with its description and default.',
].join('\n');

/** The help of one command: what it does, then every input (the action's, from action.yml). */
function commandHelp(command?: Command): string {
  const head = command
    ? [
        `usage: openstack-on-aws ${command} [--<input> <value>]... [--state-dir DIR]${command === 'plan' ? ' [--json]' : ''}`,
        '',
        ...wrap(COMMANDS[command], ''),
      ]
    : [USAGE];
  const flag = (name: string, text: string) => [`  ${name}`, ...wrap(text, '      ')];
  return [
    ...head,
    '',
    'inputs (the action inputs of the same names; mode is the command):',
    renderInputHelp([Inputs.Mode]),
    '',
    'CLI flags:',
    ...flag(
      '--state-dir <dir>',
      "Where the CLI keeps its state, outputs, summary and the stack's key and credentials (default: ~/.openstack-on-aws).",
    ),
    ...flag('--json', 'plan only: print the Plan as JSON on standard output (the log goes to standard error).'),
    ...flag('--help, -h', 'This help.'),
  ].join('\n');
}

function unknown(what: 'command' | 'flag', word: string, candidates: readonly string[]): Error {
  const shown = what === 'flag' ? `--${word}` : `'${word}'`;
  const near = closest(word, candidates);
  const hint = near ? `; did you mean ${what === 'flag' ? `--${near}` : near}?` : '';
  return new Error(`unknown ${what} ${shown}${hint}\n${SYNOPSIS}\n(--help lists every command and input)`);
}

export function parseArgs(argv: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (!(COMMAND_NAMES as string[]).includes(command ?? '')) throw unknown('command', command ?? '', COMMAND_NAMES);
  const parsed: ParsedArgs = {
    command: command as Command,
    inputs: { [Inputs.Mode]: command },
    json: false,
    help: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '-h' || flag === '--help') {
      parsed.help = true;
      continue;
    }
    if (!flag.startsWith('--') || flag === '--')
      throw new Error(`expected --<input> <value>, got '${flag}'\n${SYNOPSIS}\n(--help lists every input)`);
    const eq = flag.indexOf('=');
    const name = eq > 0 ? flag.slice(2, eq) : flag.slice(2);
    if (name === 'json') {
      parsed.json = true;
      continue;
    }
    if (name !== 'state-dir' && !(INPUT_NAMES as string[]).includes(name))
      throw unknown('flag', name, [...INPUT_NAMES, ...CLI_FLAGS]);
    const value = eq > 0 ? flag.slice(eq + 1) : rest[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${SYNOPSIS}`);
    if (name === 'state-dir') parsed.stateDir = value;
    else parsed.inputs[name as InputName] = value;
  }
  if (parsed.json && parsed.command !== 'plan') throw new Error(`--json is for plan only\n${SYNOPSIS}`);
  return parsed;
}

const defaultStateDir = () => path.join(os.homedir(), '.openstack-on-aws');

/** The CLI's state file: named by the validated stack id (sweep has none of its own). */
function stateFileFor(args: ParsedArgs, settings: Settings): string {
  const name = args.command === 'sweep' ? 'sweep' : settings.stackId;
  return path.join(args.stateDir ?? defaultStateDir(), `${name}.state.json`);
}

/** Outputs that are credentials, or point at the key and credential files the teardown deleted. */
const CREDENTIAL_OUTPUTS: string[] = [Outputs.AdminPassword, Outputs.SshKeyPath, Outputs.CloudsYaml, Outputs.Openrc];

/**
 * After a teardown ran, the outputs file loses the admin password and the paths of the deleted
 * files; the rest (timings, plan, smoke result…) stays for reading (e2e:local reads the timings).
 */
function scrubCredentialOutputs(stateFile: string): void {
  const file = terminalFiles(stateFile).outputs;
  if (!fs.existsSync(file)) return;
  const outputs = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  for (const name of CREDENTIAL_OUTPUTS) delete outputs[name];
  fs.writeFileSync(file, JSON.stringify(outputs, null, 2), { mode: 0o600 });
}

async function runPlan(args: ParsedArgs, inputs: ParsedArgs['inputs']): Promise<number> {
  // Nothing is written: state and outputs stay in memory. With --json, standard output carries only
  // the Plan (so it pipes into jq) and the log goes to standard error.
  const base = terminalIo(inputs, undefined, args.json ? process.stderr : process.stdout);
  let planJson = '';
  const io = {
    ...base,
    setOutput: (name: string, value: string) => {
      if (name === Outputs.Plan) planJson = value;
      else base.setOutput(name, value);
    },
  };
  await runMain(io, runContextFromEnv(process.env));
  if (args.json) process.stdout.write(`${JSON.stringify(JSON.parse(planJson), null, 2)}\n`);
  return 0;
}

/** Seams for tests: the provider (the fake EC2 or a stub instead of AWS). */
interface CliDeps {
  providerFor?: ProviderFactory;
}

export async function runCli(argv: string[], deps: CliDeps = {}): Promise<number> {
  if (argv.length === 0 || HELP_WORDS.has(argv[0])) {
    const topic = argv[1] as Command | undefined;
    process.stdout.write(`${commandHelp(topic && topic in COMMANDS ? topic : undefined)}\n`);
    return 0;
  }
  let args: ParsedArgs;
  let settings: Settings;
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${commandHelp(args.command)}\n`);
      return 0;
    }
    // Validated here, before any path is built from a value: a refused input ends the run with its
    // message, and never reaches a state file or a teardown.
    settings = readSettings((name) => args.inputs[name] ?? '', runContextFromEnv(process.env));
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  // A default stack id is random outside a workflow: pinned, so the pipeline reads the same one.
  const inputs = { ...args.inputs, [Inputs.StackId]: settings.stackId };
  try {
    if (args.command === 'plan') return await runPlan(args, inputs);
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  const stateDir = args.stateDir ?? defaultStateDir();
  const stateFile = stateFileFor(args, settings);
  // A new `up` starts a new summary; its teardown below (or a later `down`) replaces sections of it.
  if (args.command === 'up') fs.rmSync(terminalFiles(stateFile).summary, { force: true });
  const io = terminalIo(inputs, stateFile);
  // The state file outlives a run: an earlier up's outcome must not decide this one's teardown.
  if (args.command === 'up') io.saveState(States.UpOutcome, '');
  const opts = { workRoot: stateDir, providerFor: deps.providerFor };
  let failed = false;
  let refused = false;
  let tornDown = false;
  try {
    await runMain(io, runContextFromEnv(process.env), opts);
    tornDown = args.command === 'down';
  } catch (err) {
    io.error(errorMessage(err));
    failed = true;
    // An input refused before `up` began (nothing saved, nothing created): no teardown to run. Once
    // `up` began, the post step below decides: after a preflight refusal (an instance type or AMI
    // the region lacks) it tears nothing down but still deletes the stack's key file.
    refused = err instanceof InputError && !io.getState(States.UpOutcome);
    tornDown = args.command === 'down' && err instanceof TeardownError;
  }
  // In a terminal there is no post step: `up` tears down here, as the teardown flag says, also
  // after a failure (a half-built stack must not be left behind).
  if (args.command === 'up' && !refused) {
    try {
      tornDown = await runPost(io, opts);
    } catch (err) {
      io.error(errorMessage(err));
      failed = true;
      tornDown = err instanceof TeardownError;
    }
  }
  if (tornDown) scrubCredentialOutputs(stateFile);
  return failed ? 1 : 0;
}

/* istanbul ignore next */
if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
