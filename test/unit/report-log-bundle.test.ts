// The log bundle end to end on this machine: collect-logs.sh runs for real (bash, tar, ip, iptables)
// through a RemoteSession that executes locally as root, against a /var/log tree and a network
// namespace the test creates; the runner side unpacks, masks and packs with the real tar.

import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildPlan } from '../../src/plan/plan';
import { collectLogBundle } from '../../src/report/log-bundle';
import type { ExecOptions, ExecResult, RemoteSession } from '../../src/remote/types';
import { RecordingIo } from '../fixtures/smoke/fake-controller';
import { settingsFrom } from '../helpers/inputs';
import { AS_ROOT, describeIf, needRoot } from '../helpers/requires';

const SECRET = 'Pq4Wn8Zr2Ks6Vt1Xy5Bm9Lc3';
const SECRET2 = 'Fh7Gj2Kd9Ls4Qw1Er6Ty3Ui8';

/** Runs commands on this machine: what the SSH session does on a node, minus SSH. */
class LocalSession implements RemoteSession {
  constructor(readonly node: string) {}
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const p = spawn('bash', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      // A command that never reads its stdin may exit before we finish writing it (EPIPE): not an error.
      p.stdin.on('error', () => undefined);
      p.stdin.end(opts.stdin ?? '');
      p.on('close', (code) => {
        if (code !== 0 && !opts.allowFailure) reject(new Error(`exit ${code}: ${stderr}`));
        else resolve({ code: code ?? 1, stdout, stderr });
      });
    });
  }
  async writeFile(p: string, content: string | Buffer, mode = 0o600): Promise<void> {
    fs.writeFileSync(p, content, { mode });
    fs.chmodSync(p, mode);
  }
  async readFile(p: string): Promise<Buffer> {
    return fs.readFileSync(p);
  }
  async close(): Promise<void> {}
}

describeIf([needRoot()], AS_ROOT)('collectLogBundle', () => {
  const ns = `ooa-logtest-${process.pid}`;
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-logbundle-'));
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  });

  afterAll(() => {
    execFileSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('packs service logs, commands and namespaces of a node, console output of the others, all masked', async () => {
    const root = path.join(dir, 'root');
    const w = (rel: string, text: string | Buffer) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    w(
      'var/log/nova/nova-api.log',
      `2026-11-21 16:40:01 INFO connecting to mysql+pymysql://nova:${SECRET}@controller/nova\n`,
    );
    w('var/log/nova/nova-api.log.2.gz', Buffer.from([0x1f, 0x8b, 0x08, 0]));
    w('var/log/keystone/keystone.log', 'token issued\n');
    w('var/log/openstack-on-aws/keystone.log', `+ openstack user create --password ${SECRET2} admin\n`);
    w('var/log/cloud-init-output.log', 'Cloud-init v. 24.1 finished\n');
    w('var/log/unrelated/secret.log', 'not collected\n');
    // What tempest-smoke.sh leaves in Tempest's workspace: logs/ is collected, tempest.conf never.
    const tempest = 'var/lib/openstack-on-aws/tempest';
    w(
      `${tempest}/logs/tempest.log`,
      `2026-11-21 17:02:11 DEBUG tempest.lib.common.rest_client Body: {"password": "${SECRET}"}\n`,
    );
    w(`${tempest}/logs/results.subunit`, Buffer.concat([Buffer.from([0xb3, 0x29, 0x01]), Buffer.from(SECRET2)]));
    w(`${tempest}/logs/junit.xml`, '<testsuite errors="0" failures="0" name="" tests="0" time="0"/>\n');
    w(`${tempest}/logs/exclude.txt`, 'test_credentials_create_get_update_delete # Keystone Zed refuses it\n');
    w(`${tempest}/etc/tempest.conf`, `[auth]\nadmin_password = ${SECRET}\n`);

    const io = new RecordingIo();
    const workDir = path.join(dir, 'work');
    const plan = buildPlan(settingsFrom({ 'stack-id': 'logs1' }), { now: new Date('2026-11-21T16:30:00Z') });
    const bundle = await collectLogBundle({
      plan,
      sessions: [new LocalSession('controller')],
      io,
      workDir,
      secrets: [SECRET, SECRET2],
      consoleOutput: async (node) => `[    0.000000] Linux version 6.8.0 (${node})\nrabbitmq password ${SECRET}\n`,
      logRoot: root,
      netnsPrefix: ns,
    });

    expect(bundle.name).toBe('openstack-on-aws-logs-logs1');
    expect(bundle.path).toBe(path.join(workDir, 'openstack-on-aws-logs-logs1.tar.gz'));
    expect(bundle.nodes).toEqual({ controller: 'collected', compute1: 'console-only' });
    expect(io.outputs.get('log-bundle')).toBe(bundle.path);
    expect(fs.statSync(bundle.path).mode & 0o777).toBe(0o600);

    const x = path.join(dir, 'extracted');
    fs.mkdirSync(x);
    execFileSync('tar', ['-xzf', bundle.path, '-C', x]);
    const b = path.join(x, bundle.name);
    const read = (rel: string) => fs.readFileSync(path.join(b, rel), 'utf8');
    expect(read('controller/logs/nova/nova-api.log')).toBe(
      '2026-11-21 16:40:01 INFO connecting to mysql+pymysql://nova:***@controller/nova\n',
    );
    expect(read('controller/logs/openstack-on-aws/keystone.log')).toContain('--password *** admin');
    expect(read('controller/logs/keystone/keystone.log')).toBe('token issued\n');
    expect(read('controller/logs/cloud-init-output.log')).toContain('finished');
    expect(fs.readdirSync(path.join(b, 'controller/logs/tempest')).sort()).toEqual([
      'exclude.txt',
      'junit.xml',
      'results.subunit',
      'tempest.log',
    ]);
    expect(read('controller/logs/tempest/tempest.log')).toContain('Body: {"password": "***"}');
    expect(fs.readFileSync(path.join(b, 'controller/logs/tempest/results.subunit')).subarray(0, 3)).toEqual(
      Buffer.from([0xb3, 0x29, 0x01]),
    );
    expect(read('controller/logs/tempest/exclude.txt')).toContain('# Keystone Zed refuses it');
    expect(execFileSync('find', [b, '-name', 'tempest.conf']).toString()).toBe('');
    expect(fs.existsSync(path.join(b, 'controller/logs/nova/nova-api.log.2.gz'))).toBe(false);
    expect(fs.existsSync(path.join(b, 'controller/logs/unrelated'))).toBe(false);
    for (const f of ['iptables-save', 'ip-netns', 'ip-addr', 'ip-route', 'bridge-link', 'ovs-vsctl-show'])
      expect(fs.existsSync(path.join(b, `controller/commands/${f}.txt`))).toBe(true);
    expect(read('controller/commands/iptables-save.txt')).toMatch(/\*filter|\(no output\)|not installed/);
    const nsFile = read(`controller/commands/netns-${ns}.txt`);
    expect(nsFile).toContain('### ip addr');
    expect(nsFile).toContain('127.0.0.1/8');
    expect(nsFile).toContain('### ip route');
    expect(nsFile).toContain('### ip neigh');
    // only the test's own namespace was entered
    expect(fs.readdirSync(path.join(b, 'controller/commands')).filter((f) => f.startsWith('netns-'))).toEqual([
      `netns-${ns}.txt`,
    ]);
    expect(read('compute1/ec2-console-output.txt')).toBe(
      '[    0.000000] Linux version 6.8.0 (compute1)\nrabbitmq password ***\n',
    );
    expect(read('compute1/collect-error.txt')).toContain('no SSH session to compute1');
    expect(JSON.parse(read('stack.json')).nodes).toEqual(bundle.nodes);
    // no secret anywhere in the bundle
    const grep = (s: string) => {
      try {
        return execFileSync('grep', ['-rl', s, b]).toString();
      } catch {
        return '';
      }
    };
    expect(grep(SECRET)).toBe('');
    expect(grep(SECRET2)).toBe('');
    expect(bundle.masked.replacements).toBeGreaterThanOrEqual(4);
    // the node's temporary tarball and script are gone
    expect(fs.existsSync('/tmp/openstack-on-aws-logs-controller.tar.gz')).toBe(false);
  });
});
