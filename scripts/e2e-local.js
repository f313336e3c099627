#!/usr/bin/env node
// The whole mission on this machine: `npm run e2e:local`.
// Builds the bundles and a small bootable test image (no downloads but Debian packages), runs
//   node dist/cli/index.js up --provider local --os debian-12 --release zed --topology minimal
//        --stack-id e2e-<random> --image-url file://<image> [extra flags given after --]
// (all install stages, the network fix, every smoke check, then the CLI's own teardown), asserts that
// nothing of the stack is left on the host (namespaces, processes, mounts, folders), and prints the
// stage timeline and the total seconds. The run's timings are kept in build/e2e-local/ for
// `npm run bench:install`. Needs root (see the README's local provider section).
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'build', 'e2e-local');
const stateRoot = '/var/lib/openstack-on-aws';

// --help answers at once: before any build, from the input docs `npm run docs` generates from action.yml.
if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
  const { inputs } = require('../src/core/input-docs.generated.json');
  const fixed = ['provider', 'os', 'release', 'topology', 'image-url'];
  process.stdout.write(
    [
      'usage: npm run e2e:local [-- --<input> <value>]...',
      '',
      'Builds the bundles and a small test image, runs the CLI\'s `up` with provider local (Debian 12, Zed,',
      'topology minimal, a fresh stack id, the test image) through every install stage, the network fix,',
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

function fail(message) {
  process.stderr.write(`e2e-local: ${message}\n`);
  process.exit(1);
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
    lines.push(`  ${'sum of measured steps'.padEnd(46)} ${Number(timings.totalSeconds).toFixed(1).padStart(8)}`);
  }
  lines.push(`  ${'total (wall clock)'.padEnd(46)} ${wallSeconds.toFixed(1).padStart(8)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  if (process.getuid() !== 0) fail('needs root: the local provider creates namespaces and machines (sudo npm run e2e:local)');
  fs.mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  execFileSync('node', [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit', cwd: root });
  const image = execFileSync('bash', [path.join(root, 'scripts', 'build-test-image.sh'), path.join(root, 'build', 'test-image')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
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
    // e.g. `npm run e2e:local -- --compute-instance-type m7i.xlarge` (any CLI input flag)
    ...process.argv.slice(2),
  ];
  process.stdout.write(`e2e-local: node ${args.join(' ')}\n`);
  const upStarted = Date.now();
  const log = fs.createWriteStream(logFile);
  let timings;
  let pending = '';
  const code = await new Promise((resolve) => {
    const child = spawn('node', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (stream) => (chunk) => {
      stream.write(chunk);
      log.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) if (l.startsWith('output timings=')) timings = JSON.parse(l.slice('output timings='.length));
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('close', (c) => resolve(c ?? 1));
  });
  log.end();
  const upSeconds = (Date.now() - upStarted) / 1000;
  // The CLI prints long outputs to <state-dir>/<stack>.outputs.json instead of the terminal.
  const outputsFile = path.join(stateDir, `${stackId}.outputs.json`);
  if (!timings && fs.existsSync(outputsFile)) {
    const raw = JSON.parse(fs.readFileSync(outputsFile, 'utf8')).timings;
    if (raw) timings = typeof raw === 'string' ? JSON.parse(raw) : raw;
  }
  let left = traces(stackId);
  if (left.length) {
    process.stderr.write(`e2e-local: left behind after the run:\n  ${left.join('\n  ')}\nrunning down to clean up\n`);
    execFileSync('node', [args[0], 'down', '--provider', 'local', '--stack-id', stackId, '--state-dir', stateDir], { stdio: 'inherit', cwd: root });
  }
  if (timings) fs.writeFileSync(path.join(outDir, 'last-timings.json'), JSON.stringify({ stackId, upSeconds, timings }, null, 2) + '\n');
  printTimeline(timings, (Date.now() - started) / 1000);
  process.stdout.write(`e2e-local: the CLI run took ${upSeconds.toFixed(1)} s and exited ${code}; log: ${logFile}\n`);
  if (left.length) fail(`the run left ${left.length} thing(s) behind (see above)`);
  left = traces(stackId);
  if (left.length) fail(`still left after down: ${left.join(', ')}`);
  process.stdout.write('e2e-local: nothing of the stack is left on the host\n');
  if (code !== 0) fail(`the CLI exited ${code}`);
}

main().catch((err) => fail(err instanceof Error ? err.stack ?? err.message : String(err)));
