#!/usr/bin/env node
// The whole mission on this machine: `npm run e2e:local`.
// Builds the bundles and a small bootable test image (no downloads but Debian packages), runs
//   node dist/cli/index.js up --provider local --os debian-12 --release zed --topology minimal
//        --stack-id e2e-<random> --image-url file://<image> [extra flags given after --]
// (flags after -- win: `npm run e2e:local -- --os ubuntu-26.04 --release 2026.1`)
// (all install stages, the network fix, every smoke check, then the CLI's own teardown), asserts that
// nothing of the stack is left on the host (namespaces, processes, mounts, folders), and prints the
// stage timeline and the total seconds. The run's timings are kept in build/e2e-local/ for
// `npm run bench:install`. Needs root (see the README's local provider section). Its last line says
// how many bytes it printed (a green run's target: under 100 KB; the stages' full output stays in
// the nodes' log files).
'use strict';
const { Buffer } = require('buffer');
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { cliTimings, timingsLine } = require('./cli-outputs');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'build', 'e2e-local');
const stateRoot = '/var/lib/openstack-on-aws';

// --help answers at once: before any build, from the input docs `npm run docs` generates from action.yml.
if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
  const { inputs } = require('../src/core/input-docs.generated.json');
  const fixed = ['provider', 'os', 'release', 'topology', 'image-url', 'image-cache'];
  process.stdout.write(
    [
      'usage: npm run e2e:local [-- --<input> <value>]...',
      '',
      'Builds the bundles and a small test image, runs the CLI\'s `up` with provider local (Debian 12, Zed,',
      'topology minimal, a fresh stack id, the test image, image-cache off) through every install stage, the network fix,',
      'every smoke check and the teardown, then asserts nothing of the stack is left on the host and prints',
      'the stage timeline. Needs root. Flags after -- go to the CLI after the fixed ones, e.g.:',
      '  npm run e2e:local -- --tempest smoke                 also install and run Tempest\'s smoke set',
      '  npm run e2e:local -- --topology full                 add block1 (Cinder) and object1, object2 (Swift)',
      '  npm run e2e:local -- --compute-instance-type m7i.xlarge',
      '',
      'inputs it accepts (the action\'s; `node dist/cli/index.js up --help` describes each):',
      ...inputs
        .filter((i) => i.name !== 'mode' && i.name !== 'stack-id')
        .map((i) => `  --${i.name}${fixed.includes(i.name) ? ' (set by e2e:local; given again, the later wins)' : ''}`),
      '(--stack-id and --state-dir are e2e:local\'s own: it looks for what the stack left by its id.)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

// Every byte this script and its children print goes through here, so the total can be reported.
const printed = { total: 0, cli: 0 };
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    printed.total += Buffer.byteLength(chunk);
    return write(chunk, ...rest);
  };
}

function reportPrinted() {
  const kb = (n) => (n / 1024).toFixed(1);
  const total = printed.total;
  process.stdout.write(`e2e-local: printed ${total} bytes (${kb(total)} KB; the CLI run ${printed.cli} bytes) before this line\n`);
}

function fail(message) {
  process.stderr.write(`e2e-local: ${message}\n`);
  reportPrinted();
  process.exit(1);
}

/** Runs a command with its output passed through (and counted); resolves with its stdout. */
function runCounted(cmd, args, { keepStdout = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (keepStdout ? (out += c.toString()) : process.stdout.write(c)));
    child.stderr.on('data', (c) => process.stderr.write(c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

/** Everything on the host that carries the stack id (the provider's names all do). */
function traces(stackId) {
  const found = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const ns of netns.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.includes(stackId))) {
    found.push(`netns ${ns}`);
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    found.push(...pids.map((p) => `process ${p} (in netns ${ns})`));
  }
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const zombie = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
      if (!zombie && Number(pid) !== process.pid && cmd.includes(stackId) && !cmd.includes('e2e-local.js'))
        found.push(`process ${pid} ${cmd.slice(0, 100)}`);
    } catch {
      // ended meanwhile
    }
  }
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(stackId));
  found.push(...mounts.map((m) => `mount ${m.split(' ')[4]}`));
  // Loop devices (the full topology's disks) are named by number only: their backing file names the stack.
  const loops = execFileSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' });
  found.push(...loops.split('\n').filter((l) => l.includes(stackId)).map((l) => `loop device ${l.trim()}`));
  if (fs.existsSync(path.join(stateRoot, stackId))) found.push(`dir ${path.join(stateRoot, stackId)}`);
  return found;
}

function printTimeline(timings, wallSeconds) {
  const lines = ['', 'Stage timeline (seconds):'];
  if (!timings) lines.push('  (the CLI printed no timings output)');
  else {
    for (const kind of ['provision', 'stage', 'netfix', 'check', 'teardown']) {
      for (const [name, s] of Object.entries(timings[kind] ?? {})) lines.push(`  ${kind.padEnd(9)} ${name.padEnd(36)} ${s.toFixed(1).padStart(8)}`);
    }
    lines.push(`  ${'sum of measured steps (side by side: each)'.padEnd(46)} ${Number(timings.totalSeconds).toFixed(1).padStart(8)}`);
    if (timings.wallSeconds !== undefined)
      lines.push(`  ${'wall clock of the steps (first start to end)'.padEnd(46)} ${Number(timings.wallSeconds).toFixed(1).padStart(8)}`);
  }
  lines.push(`  ${'total (wall clock)'.padEnd(46)} ${wallSeconds.toFixed(1).padStart(8)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  if (process.getuid() !== 0) fail('needs root: the local provider creates namespaces and machines (sudo npm run e2e:local)');
  fs.mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  await runCounted('node', [path.join(root, 'scripts', 'build.js')]);
  const image = (
    await runCounted('bash', [path.join(root, 'scripts', 'build-test-image.sh'), path.join(root, 'build', 'test-image')], {
      keepStdout: true,
    })
  )
    .trim()
    .split('\n')
    .pop();
  const stackId = `e2e-${Math.random().toString(36).slice(2, 8)}`;
  const stateDir = fs.mkdtempSync(path.join(outDir, `${stackId}-`));
  const logFile = path.join(outDir, `${stackId}.log`);
  const args = [
    path.join(root, 'dist', 'cli', 'index.js'),
    'up',
    '--provider', 'local',
    '--os', 'debian-12',
    '--release', 'zed',
    '--topology', 'minimal',
    '--stack-id', stackId,
    '--image-url', `file://${image}`,
    '--state-dir', stateDir,
    // A cold install is what this run proves: baked snapshots left by bench:baked are not booted.
    '--image-cache', 'off',
    // e.g. `npm run e2e:local -- --compute-instance-type m7i.xlarge` (any CLI input flag)
    ...process.argv.slice(2),
  ];
  // What this run proves (the last value of each flag wins, as in the CLI).
  const flag = (name, dflt) => {
    let v = dflt;
    args.forEach((a, i) => {
      if (a === `--${name}`) v = args[i + 1];
      else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
    });
    return v;
  };
  const combination = {
    os: flag('os', 'debian-12'),
    release: flag('release', 'zed'),
    networkDriver: flag('network-driver', 'default'),
    topology: flag('topology', 'minimal'),
  };
  process.stdout.write(`e2e-local: ${JSON.stringify(combination)}\n`);
  process.stdout.write(`e2e-local: node ${args.join(' ')}\n`);
  const upStarted = Date.now();
  const log = fs.createWriteStream(logFile);
  let timings;
  let pending = '';
  const code = await new Promise((resolve) => {
    const child = spawn('node', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (stream) => (chunk) => {
      printed.cli += chunk.length;
      stream.write(chunk);
      log.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) timings = timingsLine(l) ?? timings;
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('close', (c) => resolve(c ?? 1));
  });
  log.end();
  const upSeconds = (Date.now() - upStarted) / 1000;
  timings = cliTimings(timings, stateDir, stackId);
  let left = traces(stackId);
  if (left.length) {
    process.stderr.write(`e2e-local: left behind after the run:\n  ${left.join('\n  ')}\nrunning down to clean up\n`);
    await runCounted('node', [args[0], 'down', '--provider', 'local', '--stack-id', stackId, '--state-dir', stateDir]);
  }
  if (timings) {
    const record = JSON.stringify({ stackId, combination, exitCode: code, upSeconds, timings }, null, 2) + '\n';
    fs.writeFileSync(path.join(outDir, 'last-timings.json'), record);
    // One file per combination as well, so runs of several OSes and releases sit side by side.
    fs.writeFileSync(path.join(outDir, `timings-${Object.values(combination).join('-')}.json`), record);
  }
  printTimeline(timings, (Date.now() - started) / 1000);
  // The summary's timeline: the whole run with the CLI's own teardown, critical path and side by side.
  const summaryFile = path.join(stateDir, `${stackId}.summary.md`);
  const summary = fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8') : '';
  const block = summary.match(/### Timeline[^\n]*\n\n```text\n([\s\S]*?)\n```/);
  if (block) process.stdout.write(`\nTimeline of the run (${summaryFile}):\n${block[1]}\n`);
  process.stdout.write(`e2e-local: the CLI run took ${upSeconds.toFixed(1)} s and exited ${code}; log: ${logFile}\n`);
  if (left.length) fail(`the run left ${left.length} thing(s) behind (see above)`);
  left = traces(stackId);
  if (left.length) fail(`still left after down: ${left.join(', ')}`);
  process.stdout.write('e2e-local: nothing of the stack is left on the host\n');
  if (code !== 0) fail(`the CLI exited ${code}`);
  reportPrinted();
}

main().catch((err) => fail(err instanceof Error ? err.stack ?? err.message : String(err)));
