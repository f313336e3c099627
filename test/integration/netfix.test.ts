// Proof of the AWS network fix (issue 5, line 3) on the emulated VPC, as root: a controller with
// eth0/eth1/eth2, a Linux bridge on eth1 with a Neutron-style router namespace behind it and a
// tenant behind the router. The REAL src/stages/network-fix.sh runs inside the controller namespace
// through src/netfix (runHostFix/verifyNetworkFix); the test plays Neutron's part (the gateway
// port's IP and MAC) through one helper, so the steps read like seed 000's.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createVpc, findLeftovers, vpcSpecFromPlan, Vpc } from '../../src/local/vpc';
import { hostFixInputs, runHostFix, verifyNetworkFix, HostFixInputs, VerifyResult } from '../../src/netfix';
import { buildPlan, Plan } from '../../src/plan';
import type { Environment } from '../../src/provider';
import type { RemoteSession } from '../../src/remote/types';
import { settingsFrom } from '../helpers/inputs';
import {
  addNodeNamespace,
  deleteNamespace,
  isRoot,
  neighbourState,
  netnsSession,
  pings,
  run,
  startTcpServer,
  tcpRequest,
  TcpServer,
  testId,
} from '../helpers/netns';

const describeRoot = isRoot ? describe : describe.skip;

// Addresses come from the Plan (10.42.0.11 / 10.42.1.11 / 10.42.1.12 …); MACs are the "ENI" MACs.
const MAC = {
  ctlEth0: '0a:00:00:00:00:10',
  ctlEth1: '0a:00:00:00:01:11', // eth1's original MAC: what AWS registered with 10.42.1.11
  ctlEth2: '0a:00:00:00:01:12',
  compute: '0a:00:00:00:00:21',
  neutronGateway: 'fa:16:3e:00:00:01', // what Neutron gives the router's gateway port
};
const REGISTERED_IP = '10.42.1.11'; // the Plan's eth1 address (asserted in beforeAll)
const NEUTRON_FIRST_IP = '10.42.1.50'; // before the fix the gateway port has an address AWS never registered
const TENANT_IP = '192.168.100.5';
const SERVER_PORT = 22; // a tiny banner listener, not sshd

describeRoot('AWS network fix on the emulated VPC', () => {
  const id = testId('nf');
  const prefix = `ooa-${id}-`;
  const ns = { ctl: `${prefix}ctl`, qrouter: `${prefix}qrouter`, tenant: `${prefix}tenant`, compute: `${prefix}cmp` };
  const servers: TcpServer[] = [];
  let root = '';
  let vpc: Vpc;
  let plan: Plan;
  let env: Environment;
  let controller: RemoteSession;
  let routerEip = '';
  let controllerEip = '';
  let registeredIp = '';
  let pingTarget = '';

  const inputs = (withPortForward = true): HostFixInputs =>
    hostFixInputs(plan, env, ns.qrouter, withPortForward ? TENANT_IP : undefined);
  /** The host side of the fix: the real script, through the same TypeScript the pipeline uses. */
  const fixHost = (withPortForward = true) => runHostFix(controller, inputs(withPortForward), { root });
  const verify = (): Promise<VerifyResult> =>
    verifyNetworkFix({ controller, inputs: inputs(true), host: { root, pingAttempts: 1 } });

  /**
   * Neutron's part, played by the test: the L3 agent's gateway device (qg-) gets the port's MAC and
   * fixed IP, the default route via the subnet gateway, and the SNAT of the tenant network to it.
   */
  async function neutronSetsGateway(gateway: { ip: string; mac: string }): Promise<void> {
    const q = ns.qrouter;
    await run(q, ['ip', 'link', 'set', 'qg-test', 'down']);
    await run(q, ['ip', 'link', 'set', 'qg-test', 'address', gateway.mac]);
    await run(q, ['ip', 'addr', 'flush', 'dev', 'qg-test']);
    await run(q, ['ip', 'addr', 'add', `${gateway.ip}/24`, 'dev', 'qg-test']);
    await run(q, ['ip', 'link', 'set', 'qg-test', 'up']);
    await run(q, ['ip', 'route', 'replace', 'default', 'via', plan.networks.external.gateway, 'dev', 'qg-test']);
    await run(q, ['iptables', '-w', '-t', 'nat', '-F', 'NEUTRON-SNAT']);
    await run(q, [
      'iptables',
      '-w',
      '-t',
      'nat',
      '-A',
      'NEUTRON-SNAT',
      '-s',
      plan.networks.tenant.cidr,
      '-o',
      'qg-test',
      '-j',
      'SNAT',
      '--to-source',
      gateway.ip,
    ]);
    await run(q, ['ip', 'neigh', 'flush', 'dev', 'qg-test']);
  }

  /** Puts the controller back to "before the fix": eth1 with its original MAC, nothing of ours in NAT. */
  async function undoHostFix(): Promise<void> {
    await run(ns.ctl, ['ip', 'link', 'set', 'eth1', 'address', MAC.ctlEth1]);
    await run(ns.ctl, ['iptables', '-w', '-t', 'nat', '-F', 'POSTROUTING']);
    await run(ns.qrouter, ['iptables', '-w', '-t', 'nat', '-F', 'OOA-PORTFWD']);
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}root-`));
    plan = buildPlan(
      settingsFrom({
        provider: 'local',
        os: 'debian-12',
        release: 'zed',
        'stack-id': id,
        topology: 'minimal',
        'image-url': 'file:///var/tmp/unused.img',
      }),
      { now: new Date() },
    );
    registeredIp = plan.networks.external.routerGatewayIp;
    expect(registeredIp).toBe(REGISTERED_IP);
    pingTarget = plan.pingTarget;
    vpc = await createVpc(vpcSpecFromPlan(plan, id));
    expect(pingTarget).toBe(vpc.internetHostIp);
    for (const n of Object.values(ns)) await addNodeNamespace(n);

    // The controller: three ENIs as in the Plan (eth0's source/dest check off: the NAT instance).
    const ctl = plan.nodes.find((n) => n.name === 'controller')!;
    const nic = (name: string) => ctl.nics.find((n) => n.name === name)!;
    const macOf = { eth0: MAC.ctlEth0, eth1: MAC.ctlEth1, eth2: MAC.ctlEth2 } as Record<string, string>;
    for (const n of ctl.nics) {
      await vpc.attachEni({
        id: `controller-${n.name}`,
        subnet: n.subnet,
        mac: macOf[n.name],
        ips: [n.ip],
        sourceDestCheck: n.sourceDestCheck,
        netns: ns.ctl,
        ifname: n.name,
      });
    }
    await run(ns.ctl, ['ip', 'addr', 'add', `${nic('eth0').ip}/24`, 'dev', 'eth0']);
    await run(ns.ctl, ['ip', 'addr', 'add', `${nic('eth2').ip}/24`, 'dev', 'eth2']);
    await run(ns.ctl, ['ip', 'route', 'add', 'default', 'via', plan.networks.external.gateway, 'dev', 'eth2']);
    // The linuxbridge agent's provider bridge: eth1 (no address) plus the router's gateway tap.
    await run(ns.ctl, ['ip', 'link', 'add', 'brqtest', 'type', 'bridge']);
    await run(ns.ctl, ['ip', 'link', 'set', 'eth1', 'master', 'brqtest']);
    await run(ns.ctl, ['ip', 'link', 'add', 'tapqg', 'type', 'veth', 'peer', 'name', 'qg-test', 'netns', ns.qrouter]);
    await run(ns.ctl, ['ip', 'link', 'set', 'tapqg', 'master', 'brqtest']);
    for (const dev of ['tapqg', 'brqtest']) await run(ns.ctl, ['ip', 'link', 'set', dev, 'up']);

    // The router namespace and the tenant behind it.
    await run(ns.qrouter, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await run(ns.qrouter, ['ip', 'link', 'add', 'qr-test', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.tenant]);
    await run(ns.qrouter, ['ip', 'addr', 'add', `${plan.networks.tenant.gateway}/24`, 'dev', 'qr-test']);
    await run(ns.qrouter, ['ip', 'link', 'set', 'qr-test', 'up']);
    await run(ns.qrouter, ['iptables', '-w', '-t', 'nat', '-N', 'NEUTRON-SNAT']);
    await run(ns.qrouter, ['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-j', 'NEUTRON-SNAT']);
    await neutronSetsGateway({ ip: NEUTRON_FIRST_IP, mac: MAC.neutronGateway });
    await run(ns.tenant, ['ip', 'addr', 'add', `${TENANT_IP}/24`, 'dev', 'eth0']);
    await run(ns.tenant, ['ip', 'link', 'set', 'eth0', 'up']);
    await run(ns.tenant, ['ip', 'route', 'add', 'default', 'via', plan.networks.tenant.gateway]);
    servers.push(await startTcpServer(ns.tenant, TENANT_IP, SERVER_PORT, 'SSH-2.0-tenant'));

    // A compute node on the management subnet: its way out is the controller (route table → eth0).
    const cmp = plan.nodes.find((n) => n.role === 'compute')!.nics.find((n) => n.name === 'eth0')!;
    await vpc.attachEni({
      id: 'compute1-eth0',
      subnet: 'management',
      mac: MAC.compute,
      ips: [cmp.ip],
      sourceDestCheck: true,
      netns: ns.compute,
      ifname: 'eth0',
    });
    await run(ns.compute, ['ip', 'addr', 'add', `${cmp.ip}/24`, 'dev', 'eth0']);
    await run(ns.compute, ['ip', 'route', 'add', 'default', 'via', plan.subnets[0].gateway]);

    routerEip = await vpc.associateElasticIp(registeredIp);
    controllerEip = await vpc.associateElasticIp(nic('eth2').ip);
    env = {
      stackId: id,
      nodes: [
        {
          name: 'controller',
          instanceId: ns.ctl,
          managementIp: ctl.managementIp,
          nics: ctl.nics.map((n) => ({ name: n.name, mac: macOf[n.name], ip: n.ip })),
        },
      ],
      controllerPublicIp: controllerEip,
      sshPort: 22,
      routerPublicIp: routerEip,
      sshUser: 'root',
      privateKeyPath: '',
    };
    controller = netnsSession(ns.ctl, 'controller');
    servers.push(await startTcpServer(vpc.namespaces.internet, vpc.internetHostIp, 7, 'internet'));
  });

  afterAll(async () => {
    try {
      for (const s of servers) await s.stop();
      for (const n of Object.values(ns)) await deleteNamespace(n);
      await vpc?.destroy();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    } finally {
      expect(await findLeftovers(prefix)).toEqual([]);
    }
  });

  const whoami = (from: string) => tcpRequest(from, vpc.internetHostIp, 7);

  it('before the fix the router cannot reach the internet host and its gateway neighbour stays unresolved', async () => {
    expect(await pings(ns.qrouter, pingTarget)).toBe(false);
    expect(await neighbourState(ns.qrouter, plan.networks.external.gateway)).toMatch(/INCOMPLETE|FAILED/);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.failures.join('\n')).toMatch(/router gateway IP is not eth1's registered address/);
    expect(r.failures.join('\n')).toMatch(/router gateway MAC is not eth1's original MAC/);
    expect(r.failures.join('\n')).toMatch(/eth1 still has its original MAC/);
  });

  it('the full fix: router and tenant reach the internet as the router EIP, the port-forward reaches the tenant', async () => {
    const { changes } = await fixHost();
    expect(changes.join('\n')).toMatch(/eth1\) MAC 0a:00:00:00:01:11 ->/);
    await neutronSetsGateway({ ip: registeredIp, mac: MAC.ctlEth1 });

    const r = await verify();
    expect(r.failures).toEqual([]);
    expect(r.facts.neighbour_state?.[0]).toMatch(/REACHABLE|STALE|DELAY/);
    expect(r.facts.neighbour_mac?.[0]).toMatch(/^02:/); // the VPC router's (derived, locally administered) MAC

    // The path, not just the ping: the internet host sees the router EIP as the source.
    expect(await whoami(ns.qrouter)).toBe(`internet ${routerEip}`);
    expect(await whoami(ns.tenant)).toBe(`internet ${routerEip}`);
    // Management subnet → VPC router → controller eth0 → MASQUERADE out eth2 → controller's EIP.
    expect(await whoami(ns.compute)).toBe(`internet ${controllerEip}`);
    // Seed 001 note 3: <router EIP>:522 → instance:22.
    expect(await tcpRequest(vpc.namespaces.internet, routerEip, 522)).toBe(`SSH-2.0-tenant ${vpc.internetHostIp}`);
    expect(servers[1].peers()).toEqual([routerEip, routerEip, controllerEip]);

    // Idempotent: a second run changes nothing.
    expect((await fixHost()).changes).toEqual([]);
    // Recorded once, and the boot unit is in place.
    expect(fs.readFileSync(path.join(root, 'etc/openstack-on-aws/eth1-original-mac'), 'utf8').trim()).toBe(MAC.ctlEth1);
    expect(fs.readFileSync(path.join(root, 'etc/systemd/system/ooa-network-fix.service'), 'utf8')).toMatch(
      /ExecStart=\/usr\/local\/sbin\/ooa-network-fix boot/,
    );
    expect(fs.readlinkSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/ooa-network-fix.service'))).toBe(
      '/etc/systemd/system/ooa-network-fix.service',
    );
    expect(fs.readFileSync(path.join(root, 'etc/cloud/cloud.cfg.d/99-disable-network-config.cfg'), 'utf8')).toMatch(
      /config: disabled/,
    );
    expect(fs.statSync(path.join(root, 'etc/openstack-on-aws/network-fix.env')).mode & 0o777).toBe(0o600);
  });

  it('survives a reboot: the boot unit’s command puts eth1’s MAC, the NAT and the port-forward back', async () => {
    await undoHostFix(); // what a reboot loses: the MAC (AWS gives the ENI's back) and the iptables rules
    expect((await verify()).ok).toBe(false);
    await run(ns.ctl, [
      'env',
      `NETFIX_ROOT=${root}`,
      'bash',
      path.join(root, 'usr/local/sbin/ooa-network-fix'),
      'boot',
    ]);
    await expect(verify()).resolves.toMatchObject({ ok: true });
  });

  it.each([
    [
      'the IP moved but not the MAC',
      { ip: REGISTERED_IP, mac: MAC.neutronGateway },
      /router gateway MAC is not eth1's original MAC/,
    ],
    [
      'the MAC moved but not the IP',
      { ip: NEUTRON_FIRST_IP, mac: MAC.ctlEth1 },
      /router gateway IP is not eth1's registered address/,
    ],
  ])('an incomplete fix fails: %s', async (_label, gateway, message) => {
    await fixHost();
    await neutronSetsGateway(gateway);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.failures).toHaveLength(3); // the step itself, the ping, the neighbour entry
    expect(r.failures[0]).toMatch(message);
    expect(r.failures.join('\n')).toMatch(/cannot reach 203\.0\.113\.10/);
    expect(r.failures.join('\n')).toMatch(/neighbour entry for the subnet gateway 10\.42\.1\.1 is (INCOMPLETE|FAILED)/);
    expect(await whoami(ns.tenant)).toBeUndefined();
    await neutronSetsGateway({ ip: registeredIp, mac: MAC.ctlEth1 });
  });

  it('an incomplete fix fails: eth1 keeps its original MAC (its bridge swallows the replies)', async () => {
    await fixHost();
    await neutronSetsGateway({ ip: registeredIp, mac: MAC.ctlEth1 });
    await run(ns.ctl, ['ip', 'link', 'set', 'eth1', 'address', MAC.ctlEth1]);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatch(/eth1 still has its original MAC/);
    expect(r.failures.join('\n')).toMatch(/cannot reach 203\.0\.113\.10/);
    expect(await whoami(ns.tenant)).toBeUndefined();
    await fixHost();
    await expect(verify()).resolves.toMatchObject({ ok: true });
  });

  it('an incomplete fix fails: no port-forward', async () => {
    await fixHost(false);
    await neutronSetsGateway({ ip: registeredIp, mac: MAC.ctlEth1 });
    const r = await verify();
    expect(r.failures).toEqual([`no port-forward for 522 (${registeredIp}:522 -> ${TENANT_IP}:22)`]);
    expect(await tcpRequest(vpc.namespaces.internet, routerEip, 522)).toBeUndefined();
    await fixHost(true);
    expect(await tcpRequest(vpc.namespaces.internet, routerEip, 522)).toBe(`SSH-2.0-tenant ${vpc.internetHostIp}`);
  });

  it('source/dest check ON for the controller’s eth0 breaks the NAT-instance path; OFF makes it work', async () => {
    await vpc.setSourceDestCheck('controller-eth0', true);
    try {
      expect(await whoami(ns.compute)).toBeUndefined();
      expect(await pings(ns.compute, pingTarget)).toBe(false);
    } finally {
      await vpc.setSourceDestCheck('controller-eth0', false);
    }
    expect(await whoami(ns.compute)).toBe(`internet ${controllerEip}`);
    expect(await pings(ns.compute, pingTarget)).toBe(true);
  });
});
