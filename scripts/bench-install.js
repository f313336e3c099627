#!/usr/bin/env node
// `npm run bench:install`: how far each install stage of a local run is from the floor it cannot
// beat, and (given the timings of an earlier run) how far it was before. The floor is what a plain
// install takes in a fresh node from the warm apt cache: one `apt-get install` of all the node's
// packages, attributed to repositories (the lists lib.sh's node_pkgs and stage_pkgs give on the
// node, with the same apt options and services held back the same way), plus each service's
// database sync run bare, one after another, against a local MariaDB (lib.sh's db_prepare and
// db_sync_run), attributed to its stage. Per node it also prints the stages' sum against the node's
// floor with the syncs counted as the databases stage runs them: its longest lane, not their sum. It brings up its own 2-node local stack (bench-<random>)
// from the cached root file system, measures, and removes it again.
//
//   npm run bench:install [-- --timings AFTER.json] [--before BEFORE.json]
//
// The stage seconds come from the timings `npm run e2e:local` saved (AFTER defaults to
// build/e2e-local/last-timings.json); without them only the floors are printed. Needs root, like
// the local provider.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'build', 'tsc');
const argTimings = process.argv.indexOf('--timings');
const timingsFile = argTimings > 0 ? process.argv[argTimings + 1] : path.join(root, 'build', 'e2e-local', 'last-timings.json');
const argBefore = process.argv.indexOf('--before');
const beforeFile = argBefore > 0 ? process.argv[argBefore + 1] : undefined;

/** The stage whose work each service's database sync is (lib.sh's db_services names the services). */
const SYNC_STAGE = { keystone: 'keystone', glance: 'glance', placement: 'placement', nova: 'nova-controller', neutron: 'neutron-controller', cinder: 'cinder-controller' };

/** The settings file the floors need on a node: its stages, and a bare database on localhost. */
const benchSettings = (node, stages) =>
  [
    `NODE_NAME=${node}`,
    'OS_ID=debian-12 OS_FAMILY=debian OS_CODENAME=bookworm RELEASE_ID=zed RELEASE_CODENAME=zed PACKAGE_SOURCE=distro',
    'VIRT_TYPE=qemu NETWORK_DRIVER=linuxbridge CONTROLLER_NAME=localhost HAS_BLOCK=0',
    `NODE_STAGES='${stages.join(' ')}'`,
    ...['KEYSTONE', 'GLANCE', 'PLACEMENT', 'NOVA', 'NEUTRON', 'CINDER'].map((s) => `PASS_${s}_DB=bench`),
    'PASS_RABBITMQ=bench',
    '',
  ].join('\n');
/** lib.sh on the node with those settings loaded (the stage scripts' own way). */
const LIB =
  'export OOA_SETTINGS=/root/ooa-bench/settings.env OOA_NICS=/root/ooa-bench/none OOA_LOG_DIR=/var/log/ooa-bench STAGE=bench; ' +
  'mkdir -p /var/log/ooa-bench; cd /root/ooa-bench; . ./lib.sh; load_settings; ';

const io = {
  info: (m) => process.stderr.write(`${m}\n`),
  warning: (m) => process.stderr.write(`warning: ${m}\n`),
  error: (m) => process.stderr.write(`error: ${m}\n`),
  getInput: () => '',
  setOutput: () => undefined,
  setSecret: () => undefined,
  saveState: () => undefined,
  getState: () => '',
  group: (_t, fn) => fn(),
  summary: async () => undefined,
  setFailed: () => undefined,
};

async function timed(fn) {
  const t = Date.now();
  await fn();
  return (Date.now() - t) / 1000;
}

/**
 * The node's packages in one apt-get install (repositories' floor), then what each later stage's
 * list still misses (nothing, unless the lists disagree); returns stage → { apt, pkgs }.
 */
async function installFloors(session, stages) {
  const env = LIB;
  const out = {};
  await session.exec(`${env} debconf_preseed >/dev/null`);
  for (const stage of stages) {
    const list = await session.exec(`${env} echo $(stage_pkgs ${stage}) ${stage === 'repositories' ? '$(node_pkgs)' : ''}`);
    const pkgs = list.stdout.trim().split(/\s+/).filter(Boolean);
    if (!pkgs.length) {
      out[stage] = { apt: 0, pkgs: [] };
      continue;
    }
    const missing = (
      await session.exec(`for p in ${pkgs.join(' ')}; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done`)
    ).stdout
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    const apt = missing.length
      ? await timed(() =>
          session.exec(
            "printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && " +
              `DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold ${missing.join(' ')} >/var/log/ooa-bench-${stage}.log 2>&1; ` +
              // On failure the log's end goes to stdout, so the error shows why apt failed.
              `rc=$?; rm -f /usr/sbin/policy-rc.d; [ $rc = 0 ] || grep -v -e '^Enabling' -e '^Created symlink' /var/log/ooa-bench-${stage}.log | tail -n 60; exit $rc`,
            { timeoutMs: 60 * 60_000, stage: `apt ${stage}` },
          ),
        )
      : 0;
    if (missing.length) io.info(`floor ${session.node} ${stage}: apt-get install of ${missing.length} package(s) ${apt.toFixed(1)} s`);
    out[stage] = { apt, pkgs: missing };
  }
  return out;
}

/**
 * Each service's database made and synced bare, one after another: per stage the seconds, and the
 * longest of the databases stage's lanes (lib.sh's db_lanes) as their sum of those seconds: the
 * syncs run in those lanes side by side, so the longest lane is what they cost the controller.
 */
async function dbSyncFloors(controller) {
  const env = LIB;
  const byStage = {};
  const bySvc = {};
  await controller.exec('systemctl start mariadb', { timeoutMs: 120_000 });
  const services = (await controller.exec(`${env} db_services`)).stdout.trim().split(/\s+/);
  for (const svc of services) {
    await controller.exec(`${env} db_prepare ${svc} >/dev/null`);
    const seconds = await timed(() => controller.exec(`${env} db_sync_logged ${svc}`, { timeoutMs: 60 * 60_000, stage: `db ${svc}` }));
    io.info(`floor controller ${SYNC_STAGE[svc]}: ${svc} database sync ${seconds.toFixed(1)} s`);
    byStage[SYNC_STAGE[svc]] = (byStage[SYNC_STAGE[svc]] ?? 0) + seconds;
    bySvc[svc] = seconds;
  }
  const lanes = (await controller.exec(`${env} db_lanes`)).stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).filter(Boolean));
  const laneSeconds = lanes.map((l) => l.reduce((sum, svc) => sum + (bySvc[svc] ?? 0), 0));
  lanes.forEach((l, i) => io.info(`floor controller: sync lane ${l.join(' ')} ${laneSeconds[i].toFixed(1)} s`));
  return { byStage, longestLane: Math.max(0, ...laneSeconds) };
}

/** Stage seconds of the pipeline run (the timings output keys them "node:stage", as the Plan does). */
const runSeconds = (timings, node, stage) => timings?.stage?.[`${node}:${stage}`];

async function main() {
  if (process.getuid() !== 0) throw new Error('needs root, like the local provider (sudo npm run bench:install)');
  const recorded = fs.existsSync(timingsFile) ? JSON.parse(fs.readFileSync(timingsFile, 'utf8')) : undefined;
  io.info(recorded ? `stage seconds from ${timingsFile} (stack ${recorded.stackId})` : `no pipeline timings at ${timingsFile}: printing floors only (run npm run e2e:local first)`);
  if (beforeFile && !fs.existsSync(beforeFile)) throw new Error(`--before ${beforeFile}: no such file (give the timings file of an earlier npm run e2e:local)`);
  const before = beforeFile ? JSON.parse(fs.readFileSync(beforeFile, 'utf8')) : undefined;
  if (before) io.info(`before: stage seconds from ${beforeFile} (stack ${before.stackId})`);
  // The provider and the SSH layer are TypeScript: compile them once into build/tsc (ignored by git).
  try {
    execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'tsconfig.json'), '--outDir', compiled], { stdio: 'ignore' });
  } catch {
    // Type errors elsewhere in the tree do not stop the emit; a missing file below would.
  }
  const req = (m) => require(path.join(compiled, 'src', m));
  const { readSettings } = req('settings/inputs');
  const { buildPlan } = req('plan/plan');
  const { generateSshKey } = req('core/secrets');
  const { createLocalProvider } = req('local/provider');
  const { connectEnvironment, closeAll } = req('remote/connect');
  const { generateHostKeys, pinnedHostKeys } = req('core/host-keys');

  const stackId = `bench-${Math.random().toString(36).slice(2, 8)}`;
  const inputs = { provider: 'local', os: 'debian-12', release: 'zed', topology: 'minimal', 'stack-id': stackId, mode: 'up', 'image-url': 'file:///var/tmp/unused.img' };
  const settings = readSettings((n) => inputs[n] ?? '', { env: {} });
  const plan = buildPlan(settings, { now: new Date() });
  const key = generateSshKey(stackId);
  const hostKeys = generateHostKeys(stackId, plan.nodes.map((n) => n.name), () => undefined);
  const keyDir = fs.mkdtempSync(path.join(root, 'build', `${stackId}-`));
  fs.writeFileSync(path.join(keyDir, 'id'), key.privateKey, { mode: 0o600 });
  const provider = createLocalProvider();
  const records = [];
  let sessions;
  try {
    const env = await provider.up(plan, {
      io,
      ledger: { record: (r) => records.push(r), list: () => [...records] },
      sshPublicKey: key.publicKey,
      hostKeys,
      privateKeyPath: path.join(keyDir, 'id'),
    });
    sessions = await connectEnvironment(env, { io, privateKey: key.privateKey, hostKeys: pinnedHostKeys(hostKeys) });
    const controller = sessions.get('controller');
    const eth2 = env.nodes.find((n) => n.name === 'controller').nics.find((n) => n.name === 'eth2');
    // The controller NATs the others out (what host-prep does in the pipeline).
    await controller.exec(
      `dev=$(ip -o link | awk -v m=${eth2.mac} '$0 ~ m {sub(":","",$2); sub("@.*","",$2); print $2}'); sysctl -qw net.ipv4.ip_forward=1 && iptables -t nat -A POSTROUTING -o "$dev" -j MASQUERADE`,
    );
    const stagesDir = path.join(root, 'src', 'stages');
    const byNode = {};
    for (const st of plan.stages) (byNode[st.node] ??= []).push(st.stage);
    for (const s of sessions.values()) {
      await s.exec('mkdir -p /root/ooa-bench && apt-get -q update >/dev/null');
      for (const f of fs.readdirSync(stagesDir).filter((f) => f.endsWith('.sh')))
        await s.writeFile(`/root/ooa-bench/${f}`, fs.readFileSync(path.join(stagesDir, f)), 0o755);
      await s.writeFile('/root/ooa-bench/settings.env', benchSettings(s.node, byNode[s.node]), 0o600);
    }
    const apt = {};
    await Promise.all(Object.entries(byNode).map(async ([node, stages]) => (apt[node] = await installFloors(sessions.get(node), stages))));
    const db = await dbSyncFloors(controller);

    const runs = [before, recorded].filter(Boolean);
    const heads = runs.map((r) => (r === before ? 'before s' : 'after s'));
    const rows = [['node', 'stage', ...heads, 'floor s', '(apt + db)', ...heads.map((h) => `${h.split(' ')[0]} ratio`)]];
    const totals = runs.map(() => 0);
    let floorTotal = 0;
    const ratio = (ran, floor) => (ran === undefined || floor < 0.5 ? '-' : `${(ran / floor).toFixed(2)}x`);
    for (const st of plan.stages) {
      const a = apt[st.node][st.stage]?.apt ?? 0;
      const d = st.node === 'controller' ? db.byStage[st.stage] ?? 0 : 0;
      const floor = a + d;
      const ran = runs.map((r) => runSeconds(r.timings, st.node, st.stage));
      ran.forEach((s, i) => (totals[i] += s ?? 0));
      floorTotal += floor;
      rows.push([
        st.node,
        st.stage,
        ...ran.map((s) => (s === undefined ? '-' : s.toFixed(1))),
        floor.toFixed(1),
        `(${a.toFixed(1)} + ${d.toFixed(1)})`,
        ...ran.map((s) => ratio(s, floor)),
      ]);
    }
    // A run's stages that this plan no longer has (an older graph's, e.g. compute-packages): their
    // own rows, and counted in the sums, so an earlier run is not made to look faster than it was.
    const planned = new Set(plan.stages.map((st) => `${st.node}:${st.stage}`));
    const gone = [...new Set(runs.flatMap((r) => Object.keys(r.timings?.stage ?? {})))].filter((id) => !planned.has(id));
    for (const id of gone) {
      const ran = runs.map((r) => r.timings?.stage?.[id]);
      ran.forEach((x, i) => (totals[i] += x ?? 0));
      const [node, stage] = id.split(':');
      rows.push([node, `${stage} (not in this plan)`, ...ran.map((x) => (x === undefined ? '-' : x.toFixed(1))), '-', '', ...ran.map(() => '-')]);
    }
    rows.push(['all', 'sum', ...totals.map((t) => t.toFixed(1)), floorTotal.toFixed(1), '', ...totals.map((t) => ratio(t, floorTotal))]);
    // Per node: its stages run one after another, so their sum is the node's install time. Its floor
    // counts the syncs as they run now, side by side in their lanes: the longest lane, not the sum.
    for (const node of Object.keys(byNode)) {
      const a = Object.values(apt[node]).reduce((sum, x) => sum + x.apt, 0);
      const d = node === 'controller' ? db.longestLane : 0;
      const sums = runs.map((r) =>
        Object.entries(r.timings?.stage ?? {})
          .filter(([id]) => id.startsWith(`${node}:`))
          .reduce((sum, [, x]) => sum + x, 0),
      );
      rows.push([node, 'node (lanes)', ...sums.map((t) => t.toFixed(1)), (a + d).toFixed(1), `(${a.toFixed(1)} + ${d.toFixed(1)})`, ...sums.map((t) => ratio(t, a + d))]);
    }
    // The nodes install side by side: the CLI's whole `up` (provisioning to the last smoke check) too.
    if (runs.length) rows.push(['all', 'CLI up (wall)', ...runs.map((r) => (r.upSeconds ?? 0).toFixed(1)), '', '', ...runs.map(() => '')]);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
    process.stdout.write(rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n') + '\n');
  } finally {
    if (sessions) await closeAll(sessions).catch(() => undefined);
    await provider.down(stackId, { io, known: records });
    fs.rmSync(keyDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench-install: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
