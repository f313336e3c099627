// The local provider against the real thing: a 2-node Plan (controller + compute1) booted as
// systemd-nspawn machines from the cached Debian 12 root file system, on the emulated VPC. The nodes
// are reached over SSH with the stack's key exactly as the pipeline does (src/remote/connect.ts:
// the controller at its elastic IP, compute1 through it), compute1 reaches the host's apt cache only
// through the controller's NAT, and `down` leaves nothing — also after a crash (kill -9 of nspawn).
//
// Needs root, systemd-nspawn and debootstrap. The first run builds the root file system cache
// (about 2 minutes here, through the host's apt-cacher-ng); later runs reuse it.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSettings } from '../../src/settings/inputs';
import { buildPlan } from '../../src/plan/plan';
import type { Environment, ResourceRecord } from '../../src/provider';
import { closeAll, connectEnvironment } from '../../src/remote/connect';
import type { SshSession } from '../../src/remote/session';
import { generateSshKey } from '../../src/core/secrets';
import { generateHostKeys, pinnedHostKeys } from '../../src/core/host-keys';
import { runHost } from '../../src/local/exec';
import { findStackLeftovers, isEmpty, describe as describeLeftovers } from '../../src/local/leftovers';
import { DEFAULT_PATHS, pidfile, stackDir } from '../../src/local/paths';
import { createLocalProvider } from '../../src/local/provider';
import { hostIfname } from '../../src/local/vpc/names';
import { AS_ROOT, describeIf, needFile, needRoot } from '../helpers/requires';

const describeIfRoot = describeIf(
  [
    needRoot(),
    needFile('/usr/bin/systemd-nspawn', 'systemd-container'),
    needFile('/usr/sbin/debootstrap', 'debootstrap'),
  ],
  AS_ROOT,
);

const stackId = `lt-${Math.random().toString(36).slice(2, 8)}`;
const lines: string[] = [];
const io = {
  info: (m: string) => lines.push(m),
  warning: (m: string) => lines.push(`warning: ${m}`),
  error: (m: string) => lines.push(`error: ${m}`),
  getInput: () => '',
  setOutput: () => undefined,
  setSecret: () => undefined,
  saveState: () => undefined,
  getState: () => '',
  group: <T>(_t: string, fn: () => Promise<T>) => fn(),
  summary: async () => undefined,
  setFailed: () => undefined,
};

function planFor(id: string) {
  const inputs: Record<string, string> = {
    provider: 'local',
    os: 'debian-12',
    release: 'zed',
    topology: 'minimal',
    'stack-id': id,
    mode: 'up',
    'image-url': 'file:///var/tmp/unused.img',
  };
  const settings = readSettings((n) => inputs[n] ?? '', { env: {} });
  return { settings, plan: buildPlan(settings, { now: new Date() }) };
}

/** Everything on the host that carries the stack id, looked up independently of the provider's code. */
function hostTraces(id: string): string[] {
  const traces: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const ns of netns
    .split('\n')
    .filter((l) => l.includes(id))
    .map((l) => l.split(' ')[0])) {
    traces.push(`netns ${ns}`);
    // Processes inside the stack's namespaces (a machine's systemd does not carry the id in its argv).
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .split(/\s+/)
      .filter((p) => p);
    traces.push(...pids.map((p) => `process ${p} in netns ${ns}`));
  }
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  traces.push(
    ...links
      .split('\n')
      .filter((l) => l.includes(id) || l.includes(hostIfname(id)))
      .map((l) => `link ${l}`),
  );
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmd.includes(id) && state !== 'Z' && Number(pid) !== process.pid) traces.push(`process ${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  traces.push(
    ...mounts
      .split('\n')
      .filter((l) => l.includes(id))
      .map((l) => `mount ${l}`),
  );
  if (fs.existsSync(stackDir(DEFAULT_PATHS, id))) traces.push(`dir ${stackDir(DEFAULT_PATHS, id)}`);
  return traces;
}

/** The VPC's host link is one per host: wait while another test (vpc.test.ts) holds it. */
async function waitForFreeHostLink(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (!execFileSync('ip', ['-o', 'route', 'show', '203.0.113.0/24'], { encoding: 'utf8' }).trim()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describeIfRoot('local provider: nspawn nodes on the emulated VPC', () => {
  const key = generateSshKey(`ooa-${stackId}`);
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), `ooa-${stackId}-`));
  const keyPath = path.join(keyDir, 'id_ed25519');
  fs.writeFileSync(keyPath, key.privateKey, { mode: 0o600 });
  const { plan } = planFor(stackId);
  const hostKeys = generateHostKeys(
    stackId,
    plan.nodes.map((n) => n.name),
    () => undefined,
  );
  const provider = createLocalProvider();
  const records: ResourceRecord[] = [];
  const ledger = { record: (r: ResourceRecord) => records.push(r), list: () => [...records] };
  let env: Environment;
  let sessions: Map<string, SshSession> | undefined;

  beforeAll(async () => {
    const waited = Date.now();
    await waitForFreeHostLink();
    const started = Date.now();
    if (started - waited > 1000)
      process.stdout.write(`waited ${((started - waited) / 1000).toFixed(1)} s for the host link\n`);
    env = await provider.up(plan, { io, ledger, sshPublicKey: key.publicKey, hostKeys, privateKeyPath: keyPath });
    process.stdout.write(
      `local provider up: ${((Date.now() - started) / 1000).toFixed(1)} s (root file system build ${provider.lastUpTimings?.rootfsBuildSeconds ?? 0} s)\n`,
    );
  }, 15 * 60_000);

  afterAll(async () => {
    if (sessions) await closeAll(sessions);
    await provider.down(stackId, { io, known: records }).catch(() => undefined);
    fs.rmSync(keyDir, { recursive: true, force: true });
  }, 120_000);

  it('returns an Environment with the elastic IP, root, and one machine per Plan node', () => {
    expect(env.controllerPublicIp).toMatch(/^198\.51\.100\.\d+$/);
    expect(env.routerPublicIp).toMatch(/^198\.51\.100\.\d+$/);
    expect(env.routerPublicIp).not.toBe(env.controllerPublicIp);
    expect(env.sshUser).toBe('root');
    expect(env.nodes.map((n) => n.name)).toEqual(plan.nodes.map((n) => n.name));
    for (const n of env.nodes)
      expect(fs.existsSync(`/proc/${fs.readFileSync(pidfile(DEFAULT_PATHS, stackId, n.name), 'utf8').trim()}`)).toBe(
        true,
      );
    expect(records.filter((r) => r.kind === 'process').length).toBe(plan.nodes.length);
    // up() probes the apt cache's path to the real mirror once the host link owns 203.0.113.0/24.
    expect(lines.filter((l) => l.includes('apt cache cannot fetch'))).toEqual([]);
  });

  it('reaches every node over SSH with the stack key, as the pipeline does (compute1 via the controller)', async () => {
    sessions = await connectEnvironment(env, {
      io,
      privateKey: key.privateKey,
      hostKeys: pinnedHostKeys(hostKeys),
      policy: { attempts: 10, baseMs: 500, maxMs: 2000 },
    });
    for (const node of env.nodes) {
      const s = sessions.get(node.name)!;
      const r = await s.exec('hostname; ip -o link show');
      expect(r.stdout.split('\n')[0]).toBe(node.name);
      // Every NIC the Environment reports is on the node with that MAC (stages find NICs by MAC).
      for (const nic of node.nics) expect(r.stdout).toContain(`link/ether ${nic.mac}`);
      const addr = await s.exec('ip -4 -o addr show');
      const planned = plan.nodes.find((p) => p.name === node.name)!;
      for (const nic of planned.nics) {
        if (nic.hostAddress) expect(addr.stdout).toContain(`inet ${nic.ip}/24`);
        else expect(addr.stdout).not.toContain(`inet ${nic.ip}/`);
      }
    }
  }, 60_000);

  it('lets compute1 reach the apt cache only through the controller NAT', async () => {
    const controller = sessions!.get('controller')!;
    const compute = sessions!.get('compute1')!;
    const probe = 'timeout 3 bash -c "exec 3<>/dev/tcp/203.0.113.1/3142" && echo open || echo closed';
    // Before NAT: the management subnet's route leads to the controller, which does not forward yet.
    expect((await compute.exec(probe)).stdout.trim()).toBe('closed');
    // What the controller's host-prep stage does (not run here): forward and masquerade out eth2.
    const eth2 = env.nodes.find((n) => n.name === 'controller')!.nics.find((n) => n.name === 'eth2')!;
    await controller.exec(
      `dev=$(ip -o link | awk -v m=${eth2.mac} '$0 ~ m {sub(":","",$2); sub("@.*","",$2); print $2}'); ` +
        'sysctl -qw net.ipv4.ip_forward=1 && iptables -t nat -A POSTROUTING -o "$dev" -j MASQUERADE',
    );
    expect((await compute.exec(probe)).stdout.trim()).toBe('open');
    const update = await compute.exec('apt-get -q update --error-on=any 2>&1 | tail -3', { timeoutMs: 120_000 });
    expect(update.stdout).toContain('Reading package lists');
    expect(update.stdout).not.toMatch(/^(E|W):/m);
  }, 150_000);

  it('down removes every namespace, veth, process, mount and folder of the stack', async () => {
    await closeAll(sessions!);
    sessions = undefined;
    expect(hostTraces(stackId).length).toBeGreaterThan(0);
    const report = await provider.down(stackId, { io, known: records });
    expect(report.leftovers).toEqual([]);
    expect(report.deleted.some((r) => r.kind === 'process')).toBe(true);
    expect(hostTraces(stackId)).toEqual([]);
    const left = await findStackLeftovers(runHost, DEFAULT_PATHS, stackId);
    expect(describeLeftovers(left)).toEqual([]);
    expect(isEmpty(left)).toBe(true);
  }, 120_000);

  it('cleans a crashed run (nspawn killed with SIGKILL) at the next down, from a fresh provider', async () => {
    await waitForFreeHostLink();
    const crashRecords: ResourceRecord[] = [];
    const crashLedger = { record: (r: ResourceRecord) => crashRecords.push(r), list: () => [...crashRecords] };
    await provider.up(plan, {
      io,
      ledger: crashLedger,
      sshPublicKey: key.publicKey,
      hostKeys,
      privateKeyPath: keyPath,
    });
    const pids = plan.nodes.map((n) => Number(fs.readFileSync(pidfile(DEFAULT_PATHS, stackId, n.name), 'utf8').trim()));
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    // The machines outlive their nspawn: the next down must find them by the stack's names.
    await new Promise((r) => setTimeout(r, 500));
    expect(hostTraces(stackId).some((t) => t.startsWith('process '))).toBe(true);
    const fresh = createLocalProvider();
    // Not expired yet: sweep leaves it alone.
    expect(await fresh.sweep(new Date(), { io })).toEqual([]);
    expect(hostTraces(stackId).length).toBeGreaterThan(0);
    const report = await fresh.down(stackId, { io, known: [] });
    expect(report.leftovers).toEqual([]);
    expect(hostTraces(stackId)).toEqual([]);
  }, 180_000);

  it('sweeps a local stack whose expires-at has passed, and only that one', async () => {
    const expired = `${stackId}-old`;
    const current = `${stackId}-new`;
    const write = (id: string, expiresAt: string) => {
      fs.mkdirSync(stackDir(DEFAULT_PATHS, id), { recursive: true });
      const rec = {
        stackId: id,
        createdAt: plan.createdAt,
        expiresAt,
        nodes: ['controller'],
        vpcId: id,
        pinnedRoutes: [],
      };
      fs.writeFileSync(path.join(stackDir(DEFAULT_PATHS, id), 'stack.json'), JSON.stringify(rec));
    };
    write(expired, new Date(Date.now() - 60_000).toISOString());
    write(current, new Date(Date.now() + 3_600_000).toISOString());
    try {
      const reports = await createLocalProvider().sweep(new Date(), { io });
      expect(reports.map((r) => r.stackId)).toContain(expired);
      expect(reports.map((r) => r.stackId)).not.toContain(current);
      expect(fs.existsSync(stackDir(DEFAULT_PATHS, expired))).toBe(false);
      expect(fs.existsSync(stackDir(DEFAULT_PATHS, current))).toBe(true);
    } finally {
      fs.rmSync(stackDir(DEFAULT_PATHS, expired), { recursive: true, force: true });
      fs.rmSync(stackDir(DEFAULT_PATHS, current), { recursive: true, force: true });
    }
  }, 60_000);
});
