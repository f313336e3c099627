#!/usr/bin/env node
// `npm run bench:baked`: how fast a local stack comes up from baked snapshots, and proof that it
// shares no secret with the stack that baked them. Two CLI runs of the local provider (Debian 12 +
// Zed, topology minimal, the project's test image; flags after -- go to both):
//   1. bake:  up --bake true --image-cache off   (a cold install; once every smoke check passed,
//             one snapshot per role). Its admin password is read from its own openrc before it is
//             torn down, and kept in this process only.
//   2. boot:  up --image-cache auto              (every node boots its role's snapshot, rekeys, and
//             runs the network fix and every smoke check as a cold stack does).
// Then, on the booted stack: Keystone refuses the baking stack's admin password and takes the new
// one (both over the public HTTPS endpoint, with the stack's CA), and no file of the controller
// holds the old password. Prints the seconds of each phase, "from baked snapshots to every smoke
// check passed" (the boot run's steps, first start to last end, without its teardown), and the
// snapshot sizes. `--skip-bake` boots the snapshots already there (the password check then has no
// old password to try and says so). Needs root.
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const https = require('https');
const { URL } = require('url');
const path = require('path');
const { cliOutputs, cliTimings, timingsLine } = require('./cli-outputs');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'build', 'bench-baked');
const cli = path.join(root, 'dist', 'cli', 'index.js');
const cacheDir = '/var/cache/openstack-on-aws';
const argv = process.argv.slice(2);
const skipBake = argv.includes('--skip-bake');
const extra = argv.filter((a) => a !== '--skip-bake');

function say(m) {
  process.stdout.write(`bench-baked: ${m}\n`);
}

function fail(m) {
  process.stderr.write(`bench-baked: ${m}\n`);
  process.exit(1);
}

/** One CLI command; resolves with its exit code and the timings output it printed. */
function runCli(args, logFile) {
  return new Promise((resolve) => {
    const log = fs.createWriteStream(logFile);
    const child = spawn('node', [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let timings;
    let pending = '';
    const onData = (chunk) => {
      log.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) {
        timings = timingsLine(l) ?? timings;
        if (/image-cache auto:|Baked |stage .* finished|✔|✖|FAILED|error/i.test(l)) process.stdout.write(`  ${l}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => log.end(() => resolve({ code: code ?? 1, timings })));
  });
}

function upArgs(stackId, stateDir, image, more) {
  return [
    'up',
    '--provider', 'local',
    '--os', 'debian-12',
    '--release', 'zed',
    '--topology', 'minimal',
    '--stack-id', stackId,
    '--image-url', `file://${image}`,
    '--state-dir', stateDir,
    '--teardown', 'never',
    ...more,
    ...extra,
  ];
}

function down(stackId, stateDir) {
  execFileSync('node', [cli, 'down', '--provider', 'local', '--stack-id', stackId, '--state-dir', stateDir], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function workFile(stateDir, stackId, name) {
  return path.join(stateDir, 'openstack-on-aws', stackId, name);
}

/** OS_PASSWORD and OS_AUTH_URL of a stack's admin openrc (the CLI writes it; it goes at down). */
function openrc(stateDir, stackId) {
  const text = fs.readFileSync(workFile(stateDir, stackId, 'admin-openrc.sh'), 'utf8');
  const get = (k) => (text.match(new RegExp(`^export ${k}=['"]?([^'"\\n]*)`, 'm')) ?? [])[1];
  return { password: get('OS_PASSWORD'), authUrl: get('OS_AUTH_URL'), caFile: get('OS_CACERT') };
}

/** HTTP status of a password login as admin at the stack's public Keystone. */
function login(authUrl, caFile, password) {
  const body = JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  });
  const url = new URL(`${authUrl.replace(/\/$/, '')}/auth/tokens`);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', ca: caFile ? fs.readFileSync(caFile) : undefined, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** Files of the booted controller that hold `text` (read on the host through the node's overlay). */
function filesHolding(stackId, text) {
  const rootDir = `/var/lib/openstack-on-aws/${stackId}/nodes/controller`;
  const pat = path.join(outDir, '.pattern');
  fs.writeFileSync(pat, `${text}\n`, { mode: 0o600 });
  try {
    const out = execFileSync(
      'grep',
      ['-rlF', '-f', pat, `${rootDir}/etc`, `${rootDir}/root`, `${rootDir}/var/lib/openstack-dashboard`, `${rootDir}/opt`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return out.split('\n').filter(Boolean);
  } catch (err) {
    if (err.status === 1) return [];
    throw err;
  } finally {
    fs.rmSync(pat, { force: true });
  }
}

function sum(obj) {
  return Object.values(obj ?? {}).reduce((a, b) => a + b, 0);
}

async function main() {
  if (process.getuid() !== 0) fail('needs root (the local provider)');
  fs.mkdirSync(outDir, { recursive: true });
  execFileSync('node', [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  const image = execFileSync('bash', [path.join(root, 'scripts', 'build-test-image.sh'), path.join(root, 'build', 'test-image')], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  const id = Math.random().toString(36).slice(2, 7);
  const stateDir = fs.mkdtempSync(path.join(outDir, `run-${id}-`));
  let oldPassword;
  let bake;
  if (!skipBake) {
    const bakeId = `bake-${id}`;
    say(`1. bake: a cold install of ${bakeId}, then one snapshot per role`);
    const started = Date.now();
    bake = await runCli(upArgs(bakeId, stateDir, image, ['--bake', 'true', '--image-cache', 'off']), path.join(outDir, `${bakeId}.log`));
    bake.seconds = (Date.now() - started) / 1000;
    try {
      oldPassword = openrc(stateDir, bakeId).password;
    } catch {
      // no openrc: the run failed before the cloud answered
    }
    down(bakeId, stateDir);
    if (bake.code !== 0) fail(`the bake run exited ${bake.code} (log: ${path.join(outDir, `${bakeId}.log`)})`);
  }
  const bootId = `boot-${id}`;
  say(`2. boot: ${bootId} from the snapshots`);
  const started = Date.now();
  const boot = await runCli(upArgs(bootId, stateDir, image, ['--image-cache', 'auto']), path.join(outDir, `${bootId}.log`));
  const bootSeconds = (Date.now() - started) / 1000;
  boot.timings = cliTimings(boot.timings, stateDir, bootId);
  const checks = [];
  try {
    if (boot.code !== 0) throw new Error(`the boot run exited ${boot.code} (log: ${path.join(outDir, `${bootId}.log`)})`);
    const booted = fs.readFileSync(path.join(outDir, `${bootId}.log`), 'utf8');
    if (!/image-cache auto: controller nodes boot /.test(booted)) throw new Error('the boot run did not boot the snapshots (a cold install ran)');
    const rc = openrc(stateDir, bootId);
    const outputs = cliOutputs(stateDir, bootId);
    const publicAuth = outputs['auth-url'];
    const caFile = workFile(stateDir, bootId, 'ca.pem');
    const ca = fs.existsSync(caFile) ? caFile : rc.caFile;
    const fresh = await login(publicAuth, ca, rc.password);
    checks.push([`the new admin password logs in at ${publicAuth}`, fresh === 201, `HTTP ${fresh}`]);
    if (oldPassword) {
      const old = await login(publicAuth, ca, oldPassword);
      checks.push(["the baking stack's admin password is refused", old === 401, `HTTP ${old}`]);
      const holding = filesHolding(bootId, oldPassword);
      checks.push([
        "no file of the booted controller holds the baking stack's admin password",
        holding.length === 0,
        holding.length ? holding.join(', ') : 'none',
      ]);
    } else {
      checks.push(["the baking stack's admin password is refused", true, 'not tried: --skip-bake (no old password)']);
    }
  } catch (err) {
    checks.push(['the boot run', false, err.message]);
  } finally {
    down(bootId, stateDir);
  }
  const t = boot.timings ?? {};
  const lines = ['', 'Baked boot (seconds):'];
  if (bake) {
    bake.timings = cliTimings(bake.timings, stateDir, `bake-${id}`);
    lines.push(`  bake run (cold install, checks, bake)      ${bake.seconds.toFixed(1).padStart(8)}   of which bake ${sum(bake.timings?.bake).toFixed(1)}`);
  }
  lines.push(`  provision                                  ${sum(t.provision).toFixed(1).padStart(8)}`);
  const stagesWall = t.wallSecondsByKind?.stage;
  lines.push(`  stages (wall)                              ${stagesWall !== undefined ? stagesWall.toFixed(1).padStart(8) : '     n/a'}`);
  for (const [name, s] of Object.entries(t.stage ?? {})) lines.push(`    stage ${name.padEnd(34)} ${s.toFixed(1).padStart(8)}`);
  lines.push(`  network fix                                ${sum(t.netfix).toFixed(1).padStart(8)}`);
  // The checks run side by side: their wall clock, and the sum of each check's seconds beside it.
  const checksWall = t.wallSecondsByKind?.check;
  lines.push(
    `  smoke checks (wall)                        ${checksWall !== undefined ? checksWall.toFixed(1).padStart(8) : '     n/a'}   sum of the checks ${sum(t.check).toFixed(1)}`,
  );
  const wall = t.wallSeconds !== undefined ? Number(t.wallSeconds) : undefined;
  lines.push(`  from baked snapshots to every smoke check passed (wall, steps)  ${wall !== undefined ? wall.toFixed(1) : 'n/a'}`);
  lines.push(`  the boot run's CLI command (wall, incl. build of outputs)       ${bootSeconds.toFixed(1)}`);
  for (const f of fs.existsSync(path.join(cacheDir, 'baked')) ? fs.readdirSync(path.join(cacheDir, 'baked')) : []) {
    try {
      const m = JSON.parse(fs.readFileSync(path.join(cacheDir, 'baked', f, 'meta.json'), 'utf8'));
      lines.push(`  snapshot ${m.id}: ${(m.bytes / 2 ** 20).toFixed(0)} MiB, copied in ${m.seconds} s`);
    } catch {
      // being built
    }
  }
  lines.push('', 'Checks:');
  for (const [what, ok, detail] of checks) lines.push(`  ${ok ? 'ok  ' : 'FAIL'} ${what} (${detail})`);
  process.stdout.write(lines.join('\n') + '\n');
  const failed = checks.filter(([, ok]) => !ok).length;
  process.stdout.write(`${checks.length - failed} passed, ${failed} failed\n`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => fail(err.stack ?? String(err)));
