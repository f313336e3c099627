// What runs side by side on a controller: the schema syncs the databases stage starts beside the
// stages (lib-services.sh: db_lanes, db_sync_lane, db_sync_wait), under real bash with real
// background processes, and the services svc_apply starts in one systemd transaction. `su` and
// `systemctl` are stand-ins on PATH that record how they were called (and fail or dawdle where a
// test says so); everything else is lib.sh's own code.

import { spawn, spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const STAGES = join(__dirname, '../../src/stages');
const LIB = join(STAGES, 'lib.sh');
let dir: string;

function paths() {
  return {
    settings: join(dir, 'settings.env'),
    logs: join(dir, 'log'),
    syncs: join(dir, 'run'),
    bin: join(dir, 'bin'),
    calls: join(dir, 'calls'),
  };
}

function env(): NodeJS.ProcessEnv {
  const p = paths();
  return {
    PATH: `${p.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    OOA_SETTINGS: p.settings,
    OOA_NICS: join(dir, 'no-nics.env'),
    OOA_LOG_DIR: p.logs,
    DB_SYNC_DIR: p.syncs,
    CALLS: p.calls,
  };
}

function settings(values: Record<string, string>) {
  const all = { NODE_NAME: 'controller', NODE_ROLE: 'controller', OS_ID: 'debian-12', OS_FAMILY: 'debian', ...values };
  writeFileSync(
    paths().settings,
    Object.entries(all)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
  );
}

function bash(snippet: string) {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; . ${LIB}; load_settings; ${snippet}`], {
    env: env(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The calls file: one "start|end <user> <command>" line per sync step, in order. */
function calls(): string[] {
  return existsSync(paths().calls) ? readFileSync(paths().calls, 'utf8').trim().split('\n') : [];
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ooa-dbsync-'));
  const p = paths();
  for (const d of [p.logs, p.syncs, p.bin]) mkdirSync(d, { recursive: true });
  // su -s /bin/sh -c COMMAND USER: records, sleeps $SLOW seconds for commands matching $SLOW_ON,
  // fails for commands matching $FAIL_ON, prints cells for list_cells once they are mapped.
  writeFileSync(
    join(p.bin, 'su'),
    `#!/bin/bash
cmd="$4"; user="$5"
echo "start $user $cmd" >>"$CALLS"
if [[ -n "\${SLOW_ON:-}" && "$cmd" == *"$SLOW_ON"* ]]; then sleep "\${SLOW:-1}"; fi
if [[ -n "\${FAIL_ON:-}" && "$cmd" == *"$FAIL_ON"* ]]; then echo "boom from $cmd"; exit 3; fi
case "$cmd" in
  *"list_cells"*) grep -q map_cell0 "$CALLS" && echo "| cell0 |"; grep -q create_cell "$CALLS" && echo "| cell1 |" ;;
esac
echo "end $user $cmd" >>"$CALLS"
`,
  );
  chmodSync(join(p.bin, 'su'), 0o755);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('db_lanes', () => {
  it('puts Keystone, Glance and Placement in one lane and Nova and Neutron in the other; Cinder only with a block node', () => {
    settings({ RELEASE_CODENAME: 'zed', HAS_BLOCK: '0' });
    expect(
      bash('db_lanes')
        .out.split('\n')
        .map((l) => l.trim()),
    ).toEqual(['keystone glance placement', 'nova neutron', '']);
    settings({ RELEASE_CODENAME: 'zed', HAS_BLOCK: '1' });
    expect(bash('db_lanes').out).toContain('keystone glance placement cinder\n');
    expect(bash('db_services').out.split(/\s+/).filter(Boolean)).toEqual([
      'keystone',
      'glance',
      'placement',
      'nova',
      'neutron',
      'cinder',
    ]);
  });

  it("before Stein puts Placement (Nova's API database) ahead of Nova in Nova's lane", () => {
    settings({ RELEASE_CODENAME: 'rocky', HAS_BLOCK: '0' });
    const lanes = bash('db_lanes')
      .out.split('\n')
      .map((l) => l.trim());
    expect(lanes[0]).toBe('keystone glance');
    expect(lanes[1]).toBe('placement nova neutron');
  });
});

describe('db_sync_lane and db_sync_wait', () => {
  it('runs the guide commands as each service user, Nova mapping cell0 and cell1 between its two syncs', () => {
    settings({ RELEASE_CODENAME: 'zed' });
    const r = bash('db_sync_lane nova neutron; cat "$DB_SYNC_DIR/nova.rc" "$DB_SYNC_DIR/neutron.rc"');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 2)).toEqual(['0', '0']);
    const started = calls().filter((c) => c.startsWith('start'));
    expect(started).toEqual([
      'start nova nova-manage api_db sync',
      'start nova nova-manage cell_v2 list_cells',
      'start nova nova-manage cell_v2 map_cell0',
      'start nova nova-manage cell_v2 list_cells',
      'start nova nova-manage cell_v2 create_cell --name=cell1 --verbose',
      'start nova nova-manage db sync',
      'start nova nova-manage cell_v2 list_cells',
      'start neutron neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head',
    ]);
    expect(readFileSync(join(paths().logs, 'db-sync-nova.log'), 'utf8')).toContain(
      '[db-sync nova] syncing the nova database',
    );
  });

  it('a failed sync stops its own service, not the next one in the lane, and its wait fails with the log', () => {
    settings({ RELEASE_CODENAME: 'zed' });
    const r = spawnSync(
      'bash',
      [
        '-c',
        `. ${LIB}; load_settings; db_sync_lane keystone glance; cat "$DB_SYNC_DIR/keystone.rc" "$DB_SYNC_DIR/glance.rc"`,
      ],
      {
        env: { ...env(), FAIL_ON: 'keystone-manage' },
        encoding: 'utf8',
      },
    );
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['3', '0']);
    expect(calls()).toContain('end glance glance-manage db_sync');
    writeFileSync(join(paths().syncs, 'keystone.pid'), '999999999\n');
    const w = bash('db_sync_wait keystone');
    expect(w.code).not.toBe(0);
    expect(w.err).toContain('boom from keystone-manage db_sync');
    expect(w.out + w.err).toMatch(/the keystone database sync failed \(exit 3\); its output: .*db-sync-keystone\.log/);
  });

  it('waits while the lane runs and returns once the sync is over', async () => {
    settings({ RELEASE_CODENAME: 'zed' });
    const lane = spawn('bash', [join(STAGES, 'databases.sh'), '--lane', 'glance'], {
      env: { ...env(), SLOW_ON: 'glance-manage', SLOW: '3' },
      stdio: 'ignore',
    });
    writeFileSync(join(paths().syncs, 'glance.pid'), `${lane.pid}\n`);
    const t0 = Date.now();
    const w = bash('db_sync_wait glance');
    const waited = (Date.now() - t0) / 1000;
    expect(w.code).toBe(0);
    expect(calls()).toContain('end glance glance-manage db_sync');
    // It did not return before the sync ended (the stand-in sleeps 3 s).
    expect(waited).toBeGreaterThanOrEqual(2);
    expect(w.out).toMatch(/the glance database synced \(since the databases stage\): ready after \d+s/);
    await new Promise((res) => (lane.exitCode !== null ? res(undefined) : lane.on('exit', res)));
  });

  it("reports the lane's changes (Nova mapping its cells) as the waiting stage's own, once", () => {
    settings({ RELEASE_CODENAME: 'zed' });
    expect(bash('db_sync_lane nova').code).toBe(0);
    writeFileSync(join(paths().syncs, 'nova.pid'), '999999999\n');
    const w = bash('db_sync_wait nova; echo "changes: ${#CHANGES[@]}"');
    expect(w.code).toBe(0);
    expect(w.out).toContain('[lib] changed: mapped cell0');
    expect(w.out).toContain('[lib] changed: created cell1');
    expect(w.out).toContain('changes: 2');
    // The stage run again by hand waits for nothing new and reports nothing it did not do.
    const again = bash('db_sync_wait nova; echo "changes: ${#CHANGES[@]}"');
    expect(again.code).toBe(0);
    expect(again.out).not.toContain('changed:');
    expect(again.out).toContain('changes: 0');
  });

  it('after a failed sync, the stage run again syncs inline instead of finding the old failure', () => {
    settings({ RELEASE_CODENAME: 'zed' });
    const lane = spawnSync('bash', ['-c', `. ${LIB}; load_settings; db_sync_lane keystone`], {
      env: { ...env(), FAIL_ON: 'keystone-manage' },
      encoding: 'utf8',
    });
    expect(lane.status).toBe(0);
    writeFileSync(join(paths().syncs, 'keystone.pid'), '999999999\n');
    expect(bash('db_sync_wait keystone').code).not.toBe(0);
    expect(existsSync(join(paths().syncs, 'keystone.rc'))).toBe(false);
    // db_prepare writes /etc/keystone and MariaDB: stood in for here, the retry is what is tested.
    const retry = bash('db_prepare() { log "prepared $1"; }; db_sync_wait keystone');
    expect(retry.code).toBe(0);
    expect(retry.out).toContain('[lib] prepared keystone');
    expect(retry.out).toContain("syncing the keystone database (no result of the databases stage's sync)");
    expect(calls().filter((c) => c === 'start keystone keystone-manage db_sync')).toHaveLength(2);
    expect(calls()).toContain('end keystone keystone-manage db_sync');
  });

  it('holds a lane busy while any of its services still syncs, not only its first', async () => {
    settings({ RELEASE_CODENAME: 'zed' });
    const busy = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(paths().syncs, 'keystone.pid'), `${busy.pid}\n`);
      writeFileSync(join(paths().syncs, 'keystone.rc'), '0\n');
      writeFileSync(join(paths().syncs, 'glance.pid'), `${busy.pid}\n`);
      expect(bash('db_lane_busy keystone glance && echo busy || echo idle').out.trim()).toBe('busy');
    } finally {
      busy.kill();
      await new Promise((res) => (busy.exitCode !== null || busy.signalCode ? res(undefined) : busy.on('exit', res)));
    }
    expect(bash('db_lane_busy keystone glance && echo busy || echo idle').out.trim()).toBe('idle');
  });

  it('syncs inline when the lane is gone before it synced the service', () => {
    settings({ RELEASE_CODENAME: 'zed' });
    writeFileSync(join(paths().syncs, 'neutron.pid'), '999999999\n');
    const w = bash('db_prepare() { log "prepared $1"; }; db_sync_wait neutron');
    expect(w.code).toBe(0);
    expect(w.out).toContain("syncing the neutron database (no result of the databases stage's sync)");
    expect(calls()).toContain(
      'end neutron neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head',
    );
  });

  it('after a failure, the stage run again waits for its lane to end before it syncs inline', async () => {
    settings({ RELEASE_CODENAME: 'rocky' });
    // Placement failed; its lane still syncs Nova (whose API database Placement shares before Stein).
    writeFileSync(join(paths().syncs, 'placement.rc'), '3\n');
    const lane = spawn('sleep', ['3'], { stdio: 'ignore' });
    writeFileSync(join(paths().syncs, 'placement.pid'), `${lane.pid}\n`);
    expect(bash('db_sync_wait placement').code).not.toBe(0);
    const t0 = Date.now();
    const retry = bash('db_prepare() { :; }; db_sync_wait placement');
    expect(retry.code).toBe(0);
    expect(retry.out).toContain("syncing the placement database (no result of the databases stage's sync)");
    expect(calls()).toContain('end nova nova-manage api_db sync');
    // Not before the lane (a 3 s sleep stands in for it) was over.
    expect((Date.now() - t0) / 1000).toBeGreaterThanOrEqual(2);
    await new Promise((res) => (lane.exitCode !== null ? res(undefined) : lane.on('exit', res)));
  });

  it('reports what a sync changed before it failed', () => {
    settings({ RELEASE_CODENAME: 'zed' });
    const lane = spawnSync('bash', ['-c', `. ${LIB}; load_settings; db_sync_lane nova`], {
      env: { ...env(), FAIL_ON: 'nova-manage db sync' },
      encoding: 'utf8',
    });
    expect(lane.status).toBe(0);
    writeFileSync(join(paths().syncs, 'nova.pid'), '999999999\n');
    const w = bash('db_sync_wait nova');
    expect(w.code).not.toBe(0);
    expect(w.out).toContain('[lib] changed: mapped cell0');
    expect(w.out).toContain('[lib] changed: created cell1');
    expect(w.out + w.err).toContain('the nova database sync failed (exit 3)');
  });
});

describe('svc_apply', () => {
  beforeEach(() => {
    // Units named new-* are neither enabled nor running, old-* are both; every unit exists.
    writeFileSync(
      join(paths().bin, 'systemctl'),
      `#!/bin/bash
case "$1" in
  list-unit-files) echo "$3 enabled" ;;
  is-enabled|is-active) [[ "$3" == old-* ]] ;;
  *) echo "$*" >>"$CALLS" ;;
esac
`,
    );
    chmodSync(join(paths().bin, 'systemctl'), 0o755);
    settings({ RELEASE_CODENAME: 'zed' });
  });

  it('enables all new units in one call and starts them side by side in one transaction', () => {
    const r = bash('svc_apply new-api new-scheduler old-conductor new-proxy');
    expect(r.code).toBe(0);
    expect(calls()).toEqual(['enable -q new-api new-scheduler new-proxy', 'restart new-api new-scheduler new-proxy']);
    expect(r.out).toContain('changed: started new-api new-scheduler new-proxy');
  });

  it('restarts running units only when the configuration changed, and never a listening socket', () => {
    expect(bash('svc_apply old-a old-b.socket').code).toBe(0);
    expect(calls()).toEqual([]);
    const r = bash('CONFIG_CHANGED=1; svc_apply old-a old-b.socket new-c');
    expect(calls()).toEqual(['enable -q new-c', 'restart new-c', 'restart old-a']);
    // Running units restart one at a time (Debian's Nova units share /run/nova).
    expect(bash('CONFIG_CHANGED=1; svc_apply old-a old-b').code).toBe(0);
    expect(calls().slice(-2)).toEqual(['restart old-a', 'restart old-b']);
    expect(r.out).toContain('restarting old-a (configuration changed)');
  });
});
