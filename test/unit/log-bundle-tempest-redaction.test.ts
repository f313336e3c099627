// The log bundle's Tempest files (<node>/logs/tempest, as collect-logs.sh lays them out) lose the
// secrets no one told the run: the bundle's one masking pass with tempestShapeRedaction on a tree made here, with tempest.log lines
// as Tempest's rest_client writes them, and collectLogBundle with a session that hands over a node's
// tarball made here by the real tar (collect-logs.sh itself, run for real against a namespace, is
// report-log-bundle.test.ts).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildPlan } from '../../src/plan/plan';
import { collectLogBundle, tempestShapeRedaction } from '../../src/report/log-bundle';
import { maskSecretsInTree } from '../../src/report/mask-tree';
import type { ExecResult, RemoteSession } from '../../src/remote/types';
import { RecordingIo } from '../fixtures/smoke/fake-controller';
import { settingsFrom } from '../helpers/inputs';

const DYNAMIC_PASSWORD = 'Zk5-Rm2!Qp9wLs4t';
const KEY_MATERIAL = 'MIIEpAIBAAKCAQEAwX4hN7sQ2Lm8Vt5Wb1Pz6Hc3Jd9Ke0Rs7Tu2';

const TEMPEST_LOG = [
  `2026-11-21 17:02:11.123 4242 INFO tempest.lib.common.rest_client [req-5e1f] Request (KeyPairsV2TestJSON:setUpClass): 201 POST http://controller:5000/v3/users 0.312s`,
  `2026-11-21 17:02:11.123 4242 DEBUG tempest.lib.common.rest_client [req-5e1f] Request - Headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-Auth-Token': '<omitted>'}`,
  `        Body: {"user": {"name": "tempest-KeyPairsV2TestJSON-1-user", "password": "${DYNAMIC_PASSWORD}", "project_id": "3f2a", "enabled": true}}`,
  `    Response - Headers: {'date': 'Sat, 21 Nov 2026 17:02:11 GMT', 'status': '201'}`,
  `        Body: b'{"keypair": {"name": "tempest-keypair-9", "private_key": "-----BEGIN RSA PRIVATE KEY-----\\n${KEY_MATERIAL}\\n-----END RSA PRIVATE KEY-----\\n", "user_id": "u1"}}'`,
  '',
].join('\n');

describe("Tempest's files: secret shapes redacted in the known values' pass", () => {
  const redactTempestFiles = async (d: string, nodes: string[]) =>
    (await maskSecretsInTree(d, [], tempestShapeRedaction(nodes))).replacements;
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-tempest-redact-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (rel: string, content: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  };
  const read = (rel: string) => fs.readFileSync(path.join(dir, rel), 'latin1');

  it("redacts tempest.log, the JUnit and the subunit stream of every node's Tempest folder, nothing else", async () => {
    write('controller/logs/tempest/tempest.log', TEMPEST_LOG);
    write(
      'controller/logs/tempest/junit.xml',
      `<testsuite><testcase classname="a.B" name="t"><failure>{'password': '${DYNAMIC_PASSWORD}'}</failure></testcase></testsuite>\n`,
    );
    // not a stream subunit reads (its length is cut off): redacted as text; real streams are rewritten
    // packet by packet (subunit-redaction.test.ts)
    write(
      'controller/logs/tempest/results.subunit',
      Buffer.concat([Buffer.from([0xb3, 0x29, 0x01, 0xff]), Buffer.from(`{"password": "${DYNAMIC_PASSWORD}"}`)]),
    );
    write('controller/logs/tempest/exclude.txt', 'test_a # why a\n');
    // outside Tempest's folder: the known-value masking's business only, left as it is
    const keystone = `password: "${DYNAMIC_PASSWORD}"\n{"password": "${DYNAMIC_PASSWORD}"}\n`;
    write('controller/logs/keystone/keystone.log', keystone);

    const replacements = await redactTempestFiles(dir, ['controller', 'compute1']);

    expect(replacements).toBe(5); // password, key block and its value, JUnit, subunit
    const log = read('controller/logs/tempest/tempest.log');
    expect(log).not.toContain(DYNAMIC_PASSWORD);
    expect(log).not.toContain(KEY_MATERIAL);
    expect(log).toContain('"name": "tempest-KeyPairsV2TestJSON-1-user", "password": "***", "project_id": "3f2a"');
    expect(log).toContain('"private_key": "***", "user_id": "u1"');
    expect(log).toContain("'X-Auth-Token': '<omitted>'");
    expect(read('controller/logs/tempest/junit.xml')).toContain("{'password': '***'}");
    const subunit = fs.readFileSync(path.join(dir, 'controller/logs/tempest/results.subunit'));
    expect(subunit.subarray(0, 4)).toEqual(Buffer.from([0xb3, 0x29, 0x01, 0xff]));
    expect(subunit.toString('latin1')).not.toContain(DYNAMIC_PASSWORD);
    expect(read('controller/logs/tempest/exclude.txt')).toBe('test_a # why a\n');
    expect(read('controller/logs/keystone/keystone.log')).toBe(keystone);
  });

  it('a node without a Tempest folder (or none collected) is no error', async () => {
    write('compute1/logs/nova/nova-compute.log', 'INFO started\n');
    await expect(redactTempestFiles(dir, ['controller', 'compute1'])).resolves.toBe(0);
  });

  it('collectLogBundle: the packed bundle has them redacted, and known secrets masked as before', async () => {
    const ADMIN = 'Pq4Wn8Zr2Ks6Vt1Xy5Bm9Lc3';
    write('node/logs/tempest/tempest.log', TEMPEST_LOG + `admin ${ADMIN}\n`);
    const tarball = path.join(dir, 'controller.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', path.join(dir, 'node'), '.']);
    // What collect-logs.sh would have left on the node: served as the session's file.
    const session: RemoteSession = {
      node: 'controller',
      exec: async (): Promise<ExecResult> => ({ code: 0, stdout: '', stderr: '' }),
      writeFile: async () => undefined,
      readFile: async () => fs.readFileSync(tarball),
      close: async () => undefined,
    };
    const workDir = path.join(dir, 'work');
    fs.mkdirSync(workDir);
    const plan = buildPlan(settingsFrom({ 'stack-id': 'logs2' }), { now: new Date('2026-11-21T16:30:00Z') });
    const io = new RecordingIo();
    const bundle = await collectLogBundle({ plan, sessions: [session], io, workDir, secrets: [ADMIN] });
    const x = path.join(dir, 'extracted');
    fs.mkdirSync(x);
    execFileSync('tar', ['-xzf', bundle.path, '-C', x]);
    const log = fs.readFileSync(
      path.join(x, 'openstack-on-aws-logs-logs2/controller/logs/tempest/tempest.log'),
      'utf8',
    );
    for (const secret of [DYNAMIC_PASSWORD, KEY_MATERIAL, ADMIN]) expect(log).not.toContain(secret);
    expect(log).toContain('"password": "***"');
    expect(log).toContain('admin ***');
    expect(bundle.masked.replacements).toBe(4); // the admin password, then the three shapes
  });
});
