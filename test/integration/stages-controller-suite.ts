// The controller stage suite, one per OS × release: every controller stage from host-prep to
// horizon (keystone, glance, placement, the Nova and Neutron controller parts, the dashboard) runs
// in a fresh systemd-nspawn machine of that OS, each twice. The second run must succeed and change
// nothing (same files under /etc, same database users, Keystone objects, RabbitMQ users and Open
// vSwitch bridges), admin must get a token, Glance and Placement must answer through the catalog,
// Nova's and Neutron's services must report in, and the dashboard must serve its login page.
// The per-OS test files (stages-ubuntu, stages-debian13, stages-ubuntu2604) only say which OS,
// which release and what that OS's packaging looks like; everything else is this one suite.
// Slow (minutes, package installs): runs only with OOA_STAGES_REAL=1, i.e. `npm run test:stages`.

import { buildPlan } from '../../src/plan/plan';
import type { Plan } from '../../src/plan/types';
import { renderNodeSettings, SETTINGS_PATH } from '../../src/remote/node-settings';
import { generateStackSecrets } from '../../src/core/secrets';
import type { OsId } from '../../src/settings/matrix';
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
  RootfsSpec,
  runStage,
  StageRun,
  startDevNode,
} from './stages-container';

/**
 * The Plan's own controller stages, in its order, up to the dashboard: what one machine can run
 * (tls-proxy needs the stack's CA from the runner, discover-hosts a compute node).
 */
function controllerStages(plan: Plan): string[] {
  const own = plan.stages.filter((s) => s.node === 'controller').map((s) => s.stage);
  return own.slice(0, own.indexOf('horizon') + 1);
}
const MIN = 60_000;

/** One OS × release of the suite, with what its packaging is expected to look like. */
export interface ControllerCase {
  os: OsId;
  /** The release input: an id such as 2025.1, checked by the settings against the OS. */
  release: string;
  rootfs: RootfsSpec;
  /** The emulated VPC's /16 and the proxy's port: each OS its own, so no two files collide. */
  prefix: string;
  acngPort: number;
  stackId: string;
  expected: {
    /** `$ID $VERSION_ID` from the machine's /etc/os-release. */
    osRelease: string;
    /** RELEASE_CODENAME in the node settings. */
    codename: string;
    /** The Neutron L2 agent the release's default network driver runs. */
    l2Agent: 'neutron-linuxbridge-agent' | 'neutron-openvswitch-agent';
    /** The API services that must be active: uwsgi services on Debian, Apache on Ubuntu. */
    apiUnits: string[];
    /** The Apache sites (sites-enabled/NAME.conf) that serve APIs; none on Debian. */
    apiSites: string[];
    /** How the packaging runs the APIs, for the test's title. */
    packaging: string;
  };
}

/** Declares the suite for one OS × release. Reads nothing until jest runs its hooks. */
export function controllerStagesSuite(c: ControllerCase): void {
  const describeReal = describeIf([needEnv('OOA_STAGES_REAL'), needRoot()], STAGES_RUN);
  const { prefix, expected } = c;
  const timings: Record<string, number[]> = {};
  let node: DevNode | undefined;
  let stages: string[] = [];
  const stageRun = (stage: string): StageRun => runStage(node!, stage, timings, 20 * MIN);

  describeReal(`controller stage scripts on ${c.os} + ${c.release} in an nspawn machine`, () => {
    beforeAll(() => {
      // A first run per OS builds its root file system with debootstrap (a minute or two).
      node = startDevNode(prefix, c.acngPort, [], c.rootfs);
      // The node settings are rendered as for AWS: only the rendering is used, nothing talks to AWS.
      const settings = settingsFrom({
        provider: 'aws',
        os: c.os,
        release: c.release,
        'vpc-cidr': `${prefix}.0.0/16`,
        'stack-id': c.stackId,
      });
      const plan = buildPlan(settings, { now: new Date() });
      stages = controllerStages(plan);
      // Only the controller is in this machine; the plan's other nodes only appear in /etc/hosts.
      const env = devControllerEnv(node, prefix, plan.stackId);
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

    test(`the machine is ${expected.osRelease} and the settings ask for ${expected.codename} from its archive`, () => {
      expect(inNode(node!, '. /etc/os-release; echo "$ID $VERSION_ID"').output.trim()).toBe(expected.osRelease);
      const settings = inNode(node!, `cat ${SETTINGS_PATH}`).output;
      expect(settings).toMatch(new RegExp(`^OS_FAMILY='?${expected.osRelease.split(' ')[0]}'?$`, 'm'));
      expect(settings).toMatch(new RegExp(`^RELEASE_CODENAME='?${expected.codename}'?$`, 'm'));
      expect(settings).toMatch(/^PACKAGE_SOURCE='?distro'?$/m);
    });

    test(
      'every stage succeeds on a fresh machine',
      () => {
        for (const stage of stages) {
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
      expect(inNode(node!, 'ip route show default').output.trim()).toBe(`default via ${prefix}.1.1 dev pub0`);
      expect(inNode(node!, 'iptables -t nat -S POSTROUTING').output).toContain('-A POSTROUTING -o pub0 -j MASQUERADE');
      expect(inNode(node!, 'getent hosts controller').output).toMatch(
        new RegExp(`^${prefix.replace('.', '\\.')}\\.0\\.11\\s+controller`),
      );
      expect(inNode(node!, 'hostname').output.trim()).toBe('controller');
    });

    test('MariaDB, memcached and etcd listen on the management address', () => {
      const listening = inNode(node!, 'ss -ltnH').output;
      expect(listening).toContain(`${prefix}.0.11:3306`);
      expect(listening).toContain(`${prefix}.0.11:11211`);
      expect(listening).toContain(`${prefix}.0.11:2379`);
    });

    test(`the APIs run as ${expected.packaging}`, () => {
      const units = expected.apiUnits;
      expect(
        inNode(node!, `systemctl is-active ${units.join(' ')}`)
          .output.trim()
          .split('\n'),
      ).toEqual(units.map(() => 'active'));
      const sites = inNode(node!, 'ls /etc/apache2/sites-enabled').output.split('\n');
      for (const site of expected.apiSites) expect(sites).toContain(`${site}.conf`);
    });

    test(
      'a second run of every stage succeeds and changes nothing',
      () => {
        expectRerunChangesNothing(stages, stageRun, () => controllerSnapshot(node!));
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
      expect(endpoints).toContain(`public https://${prefix}.1.12:13000/v3/`);
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

    test(`Nova's scheduler and conductor are up; the Neutron agents (${expected.l2Agent}) report in`, () => {
      const nova = inNode(node!, '. /root/admin-openrc && openstack compute service list -f value -c Binary -c State');
      expect(nova.output).toMatch(/nova-scheduler up/);
      expect(nova.output).toMatch(/nova-conductor up/);
      // The L3 agent's first RPC call can time out while neutron-server is still starting (seen
      // once: it reported a minute later), so the agents get up to three minutes.
      const agents = inNode(
        node!,
        '. /root/admin-openrc && for i in $(seq 90); do a=$(openstack network agent list -f value -c Binary -c Alive | sort); [ "$(grep -c "^True " <<<"$a")" -ge 4 ] && break; sleep 2; done; echo "$a"',
      ).output;
      for (const agent of ['neutron-dhcp-agent', 'neutron-l3-agent', expected.l2Agent, 'neutron-metadata-agent'])
        expect(agents).toContain(`True ${agent}`);
    });

    test('the dashboard serves its login page and its compressed CSS', () => {
      // (A page without a stylesheet link fails too: no empty path turns into a request for /.)
      // HTTP 500 (OfflineGenerationError) here when the assets were compressed for older settings.
      const login = inNode(node!, 'curl -s -o /tmp/login.html -w "%{http_code}" http://controller/horizon/auth/login/');
      expect(login.output).toBe('200');
      const css = inNode(
        node!,
        'c=$(grep -o "/horizon/static/dashboard/css/[^\\"]*\\.css" /tmp/login.html | head -n1) && [ -n "$c" ] && curl -s -o /dev/null -w "%{http_code}" "http://controller$c"',
      );
      expect(css.output).toBe('200');
    });
  });
}
