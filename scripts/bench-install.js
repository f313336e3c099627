#!/usr/bin/env node
// `npm run bench:install`: how far each install stage of the last local run is from the floor it
// cannot beat. The floor of a stage is the time a plain `apt-get install` of the same packages takes
// from the warm apt cache in a fresh node (the stage's own package list, evaluated by lib.sh on the
// node, with the same apt options and services held back the same way), plus that stage's database
// syncs run bare against a local MariaDB. It brings up its own 2-node local stack (bench-<random>)
// from the cached root file system, measures, and removes it again.
//
//   npm run bench:install [-- --timings build/e2e-local/last-timings.json]
//
// The stage seconds come from the timings `npm run e2e:local` saved; without them only the floors
// are printed. Needs root, like the local provider.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'build', 'tsc');
const argTimings = process.argv.indexOf('--timings');
const timingsFile = argTimings > 0 ? process.argv[argTimings + 1] : path.join(root, 'build', 'e2e-local', 'last-timings.json');

/** The database syncs each stage runs (as in src/stages), with the bare configuration they need. */
const DB_SYNCS = {
  keystone: {
    dbs: ['keystone'],
    conf: [['/etc/keystone/keystone.conf', 'database', 'connection', 'keystone']],
    run: [['keystone', 'keystone-manage db_sync']],
  },
  glance: {
    dbs: ['glance'],
    conf: [['/etc/glance/glance-api.conf', 'database', 'connection', 'glance']],
    run: [['glance', 'glance-manage db_sync']],
  },
  placement: {
    dbs: ['placement'],
    conf: [['/etc/placement/placement.conf', 'placement_database', 'connection', 'placement']],
    run: [['placement', 'placement-manage db sync']],
  },
  'nova-controller': {
    dbs: ['nova_api', 'nova', 'nova_cell0'],
    conf: [
      ['/etc/nova/nova.conf', 'api_database', 'connection', 'nova_api'],
      ['/etc/nova/nova.conf', 'database', 'connection', 'nova'],
    ],
    extra: "crudini --set /etc/nova/nova.conf DEFAULT transport_url 'rabbit://bench:bench@localhost:5672/'",
    run: [
      ['nova', 'nova-manage api_db sync'],
      ['nova', 'nova-manage cell_v2 map_cell0'],
      ['nova', 'nova-manage cell_v2 create_cell --name=cell1'],
      ['nova', 'nova-manage db sync'],
    ],
  },
  'neutron-controller': {
    dbs: ['neutron'],
    conf: [['/etc/neutron/neutron.conf', 'database', 'connection', 'neutron']],
    run: [['neutron', 'neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head']],
  },
};

const LIB_ENV =
  'export OS_ID=debian-12 OS_FAMILY=debian OS_CODENAME=bookworm RELEASE_ID=zed RELEASE_CODENAME=zed ' +
  'PACKAGE_SOURCE=distro VIRT_TYPE=qemu NETWORK_DRIVER=linuxbridge STAGE=bench; cd /root/ooa-bench; . ./lib.sh; ';

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

/** Installs each stage's packages in stage order on one node; returns stage → seconds. */
async function installFloors(session, stages) {
  const out = {};
  await session.exec(`${LIB_ENV} debconf_preseed >/dev/null`);
  for (const stage of stages) {
    const list = await session.exec(
      `${LIB_ENV} grep -E '^[[:space:]]*pkg_install ' ${stage}.sh | sed -E 's/^[[:space:]]*pkg_install //' | while read -r l; do eval "echo $l"; done | tr '\\n' ' '`,
      { allowFailure: true },
    );
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
    io.info(`floor ${session.node} ${stage}: apt-get install of ${missing.length} package(s) ${apt.toFixed(1)} s`);
    out[stage] = { apt, pkgs: missing };
  }
  return out;
}

async function dbSyncFloors(controller) {
  const out = {};
  await controller.exec('systemctl start mariadb', { timeoutMs: 120_000 });
  for (const [stage, spec] of Object.entries(DB_SYNCS)) {
    const sql = spec.dbs
      .map(
        (d) =>
          `CREATE DATABASE IF NOT EXISTS ${d}; GRANT ALL PRIVILEGES ON ${d}.* TO 'bench'@'localhost' IDENTIFIED BY 'bench'; ` +
          `GRANT ALL PRIVILEGES ON ${d}.* TO 'bench'@'%' IDENTIFIED BY 'bench';`,
      )
      .join(' ');
    await controller.exec(`mysql -e "${sql}"`);
    for (const [file, section, key, db] of spec.conf)
      await controller.exec(`crudini --set ${file} ${section} ${key} 'mysql+pymysql://bench:bench@localhost/${db}'`);
    if (spec.extra) await controller.exec(spec.extra);
    let seconds = 0;
    for (const [user, cmd] of spec.run)
      seconds += await timed(() => controller.exec(`su -s /bin/sh -c "${cmd}" ${user} >>/var/log/ooa-bench-db.log 2>&1`, { timeoutMs: 60 * 60_000, stage: `db ${stage}` }));
    io.info(`floor controller ${stage}: database syncs ${seconds.toFixed(1)} s`);
    out[stage] = seconds;
  }
  return out;
}

/** Stage seconds of the pipeline run, keyed "node:stage" whatever the timings output calls them. */
function runSeconds(timings, node, stage) {
  const stages = timings?.stage ?? {};
  for (const key of [`${node}:${stage}`, `${node}/${stage}`, `${stage}@${node}`, `${stage} (${node})`, `${node} ${stage}`]) {
    if (stages[key] !== undefined) return stages[key];
  }
  return undefined;
}

async function main() {
  if (process.getuid() !== 0) throw new Error('needs root, like the local provider (sudo npm run bench:install)');
  const recorded = fs.existsSync(timingsFile) ? JSON.parse(fs.readFileSync(timingsFile, 'utf8')) : undefined;
  io.info(recorded ? `stage seconds from ${timingsFile} (stack ${recorded.stackId})` : `no pipeline timings at ${timingsFile}: printing floors only (run npm run e2e:local first)`);
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
    for (const s of sessions.values()) {
      await s.exec('mkdir -p /root/ooa-bench && apt-get -q update >/dev/null');
      for (const f of fs.readdirSync(stagesDir).filter((f) => f.endsWith('.sh')))
        await s.writeFile(`/root/ooa-bench/${f}`, fs.readFileSync(path.join(stagesDir, f)), 0o755);
    }
    const byNode = {};
    for (const st of plan.stages) (byNode[st.node] ??= []).push(st.stage);
    const apt = {};
    await Promise.all(Object.entries(byNode).map(async ([node, stages]) => (apt[node] = await installFloors(sessions.get(node), stages))));
    const db = await dbSyncFloors(controller);

    const rows = [['node', 'stage', 'run s', 'floor s', '(apt + db)', 'ratio']];
    let runTotal = 0;
    let floorTotal = 0;
    for (const st of plan.stages) {
      const a = apt[st.node][st.stage]?.apt ?? 0;
      const d = st.node === 'controller' ? db[st.stage] ?? 0 : 0;
      const floor = a + d;
      const ran = runSeconds(recorded?.timings, st.node, st.stage);
      if (ran !== undefined) runTotal += ran;
      floorTotal += floor;
      rows.push([
        st.node,
        st.stage,
        ran === undefined ? '-' : ran.toFixed(1),
        floor.toFixed(1),
        `(${a.toFixed(1)} + ${d.toFixed(1)})`,
        ran === undefined || floor < 0.5 ? '-' : `${(ran / floor).toFixed(2)}x`,
      ]);
    }
    rows.push(['all', 'sum', recorded ? runTotal.toFixed(1) : '-', floorTotal.toFixed(1), '', recorded && floorTotal ? `${(runTotal / floorTotal).toFixed(2)}x` : '-']);
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
