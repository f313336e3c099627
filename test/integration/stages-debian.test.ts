// The stage scripts for real on Debian 12 with OpenStack Zed from Debian's archive: host-prep,
// repositories, mariadb, rabbitmq, memcached, etcd and keystone run in a fresh systemd-nspawn
// machine, each twice. The second run must succeed and change nothing (same files under /etc,
// same database users, Keystone objects and RabbitMQ users), and admin must get a token.
// Slow (minutes, package installs): runs only with OOA_STAGES_REAL=1, i.e. `npm run test:stages`.

import { buildPlan } from '../../src/plan/plan';
import { renderNodeSettings } from '../../src/remote/node-settings';
import { generateStackSecrets } from '../../src/core/secrets';
import { settingsFrom } from '../helpers/inputs';
import { describeIf, needEnv, needRoot, STAGES_RUN } from '../helpers/requires';
import {
  controllerSnapshot,
  devControllerEnv,
  DevNode,
  expectRerunChangesNothing,
  finishDevNode,
  inNode,
  installStages,
  runStage,
  StageRun,
  startDevNode,
} from './stages-container';

const describeReal = describeIf([needEnv('OOA_STAGES_REAL'), needRoot()], STAGES_RUN);
const STAGES = ['host-prep', 'repositories', 'mariadb', 'rabbitmq', 'memcached', 'etcd', 'keystone'];
// The emulated VPC's /16 and the proxy port; overridable to run two machines side by side.
const PREFIX = process.env.OOA_STAGES_PREFIX ?? '10.197';
const ACNG_PORT = Number(process.env.OOA_STAGES_ACNG_PORT ?? 3143);
const MIN = 60_000;

const timings: Record<string, number[]> = {};
let node: DevNode | undefined;

function stageRun(stage: string): StageRun {
  return runStage(node!, stage, timings, 20 * MIN);
}

describeReal('stage scripts on Debian 12 + Zed in an nspawn machine', () => {
  beforeAll(() => {
    node = startDevNode(PREFIX, ACNG_PORT);
    const settings = settingsFrom({
      provider: 'local',
      os: 'debian-12',
      release: 'zed',
      'vpc-cidr': `${PREFIX}.0.0/16`,
      'stack-id': 'devstages',
      'ping-target': '203.0.113.10',
      'image-url': 'file:///var/tmp/unused.img',
    });
    const plan = buildPlan(settings, { now: new Date() });
    // Only the controller is in this machine; the plan's other nodes only appear in /etc/hosts.
    const env = devControllerEnv(node, PREFIX, plan.stackId);
    installStages(
      node,
      renderNodeSettings(
        plan,
        env,
        generateStackSecrets(plan.stackId, () => undefined),
        'controller',
      ),
    );
  }, 5 * MIN);

  afterAll(() => finishDevNode(node, timings), 5 * MIN);

  test(
    'every stage succeeds on a fresh machine',
    () => {
      for (const stage of STAGES) {
        const r = stageRun(stage);
        if (r.code !== 0) throw new Error(`${stage} failed (exit ${r.code}):\n${r.output.slice(-6000)}`);
        expect(r.output).toContain(`stage ${stage} finished`);
      }
    },
    40 * MIN,
  );

  test('host-prep found the NICs by MAC, emptied the provider NIC and routes via the provider gateway', () => {
    const nics = inNode(node!, 'cat /etc/openstack-on-aws/nics.env').output;
    expect(nics).toContain("NIC_MANAGEMENT='mgmt0'");
    expect(nics).toContain("NIC_PROVIDER='prov0'");
    expect(nics).toContain("NIC_PUBLIC='pub0'");
    expect(inNode(node!, 'ip -4 -o addr show dev prov0').output.trim()).toBe('');
    expect(inNode(node!, 'ip route show default').output.trim()).toBe(`default via ${PREFIX}.1.1 dev pub0`);
    expect(inNode(node!, 'iptables -t nat -S POSTROUTING').output).toContain('-A POSTROUTING -o pub0 -j MASQUERADE');
    expect(inNode(node!, 'getent hosts controller compute1').output).toMatch(
      new RegExp(`${PREFIX.replace('.', '\\.')}\\.0\\.11\\s+controller`),
    );
    expect(inNode(node!, 'hostname').output.trim()).toBe('controller');
  });

  test('MariaDB, memcached and etcd listen on the management address', () => {
    const listening = inNode(node!, 'ss -ltnH').output;
    expect(listening).toContain(`${PREFIX}.0.11:3306`);
    expect(listening).toContain(`${PREFIX}.0.11:11211`);
    expect(listening).toContain(`${PREFIX}.0.11:2379`);
  });

  test(
    'a second run of every stage succeeds and changes nothing',
    () => {
      expectRerunChangesNothing(STAGES, stageRun, () => controllerSnapshot(node!));
    },
    20 * MIN,
  );

  test('admin and demo get tokens; the catalog has the identity endpoints', () => {
    const admin = inNode(node!, '. /root/admin-openrc && openstack token issue -f value -c id');
    expect(admin.code).toBe(0);
    expect(admin.output.trim()).toMatch(/^gAAAA/); // a Fernet token
    const demo = inNode(node!, '. /root/demo-openrc && openstack token issue -f value -c project_id');
    expect(demo.code).toBe(0);
    const endpoints = inNode(
      node!,
      '. /root/admin-openrc && openstack endpoint list --service identity -f value -c Interface -c URL',
    ).output;
    expect(endpoints).toContain(`public https://${PREFIX}.1.12:13000/v3/`);
    expect(endpoints).toContain('internal http://controller:5000/v3/');
    expect(endpoints).toContain('admin http://controller:5000/v3/');
  });
});
