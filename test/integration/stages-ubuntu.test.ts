// The stage scripts for real on Ubuntu 24.04 with OpenStack Caracal (2024.1) from Ubuntu's own
// archive: every controller stage from host-prep to horizon (keystone, glance, placement, the Nova
// and Neutron controller parts, the dashboard) runs in a fresh systemd-nspawn machine, each twice.
// The second run must succeed and change nothing (same files under /etc, same database users,
// Keystone objects and RabbitMQ users), admin must get a token, Glance and Placement must answer
// through the catalog, Nova's and Neutron's services must report in, and the dashboard must serve
// its login page.
// Slow (minutes, package installs): runs only with OOA_STAGES_REAL=1, i.e. `npm run test:stages`.

import { buildPlan } from '../../src/plan/plan';
import { renderNodeSettings, SETTINGS_PATH } from '../../src/remote/node-settings';
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
  UBUNTU_NOBLE,
} from './stages-container';

const describeReal = describeIf([needEnv('OOA_STAGES_REAL'), needRoot()], STAGES_RUN);
const STAGES = [
  'host-prep',
  'repositories',
  'mariadb',
  'rabbitmq',
  'memcached',
  'etcd',
  'keystone',
  'glance',
  'placement',
  'nova-controller',
  'neutron-controller',
  'horizon',
];
// Its own /16 and proxy port, so this file never collides with the Debian ones (10.197, 3143).
const PREFIX = process.env.OOA_STAGES_PREFIX ?? '10.199';
const ACNG_PORT = Number(process.env.OOA_STAGES_ACNG_PORT ?? 3145);
const MIN = 60_000;

const timings: Record<string, number[]> = {};
let node: DevNode | undefined;

function stageRun(stage: string): StageRun {
  return runStage(node!, stage, timings, 20 * MIN);
}

describeReal('stage scripts on Ubuntu 24.04 + Caracal in an nspawn machine', () => {
  beforeAll(() => {
    node = startDevNode(PREFIX, ACNG_PORT, [], UBUNTU_NOBLE);
    // The local provider runs only Debian 12, so the node settings are rendered as for AWS: only
    // the rendering is used, nothing talks to AWS.
    const settings = settingsFrom({
      provider: 'aws',
      os: 'ubuntu-24.04',
      release: '2024.1',
      'vpc-cidr': `${PREFIX}.0.0/16`,
      'stack-id': 'devstages-ubuntu',
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
  }, 15 * MIN);

  afterAll(() => finishDevNode(node, timings), 5 * MIN);

  test('the machine is Ubuntu 24.04 and the settings ask for Caracal from its archive', () => {
    expect(inNode(node!, '. /etc/os-release; echo "$ID $VERSION_ID"').output.trim()).toBe('ubuntu 24.04');
    const settings = inNode(node!, `cat ${SETTINGS_PATH}`).output;
    expect(settings).toMatch(/^OS_FAMILY='?ubuntu'?$/m);
    expect(settings).toMatch(/^RELEASE_CODENAME='?caracal'?$/m);
    expect(settings).toMatch(/^PACKAGE_SOURCE='?distro'?$/m);
  });

  test(
    'every stage succeeds on a fresh machine',
    () => {
      for (const stage of STAGES) {
        const r = stageRun(stage);
        if (r.code !== 0) throw new Error(`${stage} failed (exit ${r.code}):\n${r.output.slice(-6000)}`);
        expect(r.output).toContain(`stage ${stage} finished`);
      }
    },
    60 * MIN,
  );

  test('host-prep found the NICs by MAC, emptied the provider NIC and routes via the provider gateway', () => {
    const nics = inNode(node!, 'cat /etc/openstack-on-aws/nics.env').output;
    expect(nics).toContain("NIC_MANAGEMENT='mgmt0'");
    expect(nics).toContain("NIC_PROVIDER='prov0'");
    expect(nics).toContain("NIC_PUBLIC='pub0'");
    expect(inNode(node!, 'ip -4 -o addr show dev prov0').output.trim()).toBe('');
    expect(inNode(node!, 'ip route show default').output.trim()).toBe(`default via ${PREFIX}.1.1 dev pub0`);
    expect(inNode(node!, 'iptables -t nat -S POSTROUTING').output).toContain('-A POSTROUTING -o pub0 -j MASQUERADE');
    expect(inNode(node!, 'hostname').output.trim()).toBe('controller');
  });

  test('MariaDB, memcached and etcd listen on the management address', () => {
    const listening = inNode(node!, 'ss -ltnH').output;
    expect(listening).toContain(`${PREFIX}.0.11:3306`);
    expect(listening).toContain(`${PREFIX}.0.11:11211`);
    expect(listening).toContain(`${PREFIX}.0.11:2379`);
  });

  test('Keystone and Placement run under Apache, Glance as its own service (Ubuntu packaging)', () => {
    expect(inNode(node!, 'systemctl is-active apache2 glance-api').output.trim().split('\n')).toEqual([
      'active',
      'active',
    ]);
    expect(inNode(node!, 'ls /etc/apache2/sites-enabled').output).toMatch(/keystone\.conf[\s\S]*placement-api\.conf/);
  });

  test(
    'a second run of every stage succeeds and changes nothing',
    () => {
      expectRerunChangesNothing(STAGES, stageRun, () => controllerSnapshot(node!));
    },
    30 * MIN,
  );

  test('admin and demo get tokens; Glance and Placement answer through the catalog', () => {
    const admin = inNode(node!, '. /root/admin-openrc && openstack token issue -f value -c id');
    expect(admin.code).toBe(0);
    expect(admin.output.trim()).toMatch(/^gAAAA/); // a Fernet token
    const demo = inNode(node!, '. /root/demo-openrc && openstack token issue -f value -c project_id');
    expect(demo.code).toBe(0);
    const endpoints = inNode(
      node!,
      '. /root/admin-openrc && openstack endpoint list -f value -c Interface -c URL',
    ).output;
    expect(endpoints).toContain(`public https://${PREFIX}.1.12:13000/v3/`);
    expect(endpoints).toContain('internal http://controller:9292');
    expect(endpoints).toContain('internal http://controller:8778');
    // An empty image list is still an authenticated round trip through Keystone to Glance.
    const images = inNode(node!, '. /root/admin-openrc && openstack image list -f value');
    expect(images.code).toBe(0);
    // Placement's resource providers need a token Placement validated with Keystone (401 without).
    const rp = inNode(
      node!,
      '. /root/admin-openrc && t=$(openstack token issue -f value -c id) && curl -s -w " %{http_code}" -H "X-Auth-Token: $t" -H "OpenStack-API-Version: placement 1.1" http://controller:8778/resource_providers',
    ).output;
    expect(rp).toMatch(/\{"resource_providers": \[\]\} 200$/);
  });

  test("Nova's scheduler and conductor are up; the Neutron agents report in", () => {
    const nova = inNode(node!, '. /root/admin-openrc && openstack compute service list -f value -c Binary -c State');
    expect(nova.output).toMatch(/nova-scheduler up/);
    expect(nova.output).toMatch(/nova-conductor up/);
    // The L3 agent's first RPC call can time out while neutron-server is still starting (seen
    // once: it reported a minute later), so the agents get up to three minutes.
    const agents = inNode(
      node!,
      '. /root/admin-openrc && for i in $(seq 90); do a=$(openstack network agent list -f value -c Binary -c Alive | sort); [ "$(grep -c "^True " <<<"$a")" -ge 4 ] && break; sleep 2; done; echo "$a"',
    ).output;
    for (const agent of [
      'neutron-dhcp-agent',
      'neutron-l3-agent',
      'neutron-linuxbridge-agent',
      'neutron-metadata-agent',
    ])
      expect(agents).toContain(`True ${agent}`);
  });

  test('the dashboard serves its login page and its compressed CSS', () => {
    // HTTP 500 (OfflineGenerationError) here when the assets were compressed for older settings.
    const login = inNode(node!, 'curl -s -o /tmp/login.html -w "%{http_code}" http://controller/horizon/auth/login/');
    expect(login.output).toBe('200');
    const css = inNode(
      node!,
      'c=$(grep -o "/horizon/static/dashboard/css/[^\\"]*\\.css" /tmp/login.html | head -n1) && curl -s -o /dev/null -w "%{http_code}" "http://controller$c"',
    );
    expect(css.output).toBe('200');
  });
});
