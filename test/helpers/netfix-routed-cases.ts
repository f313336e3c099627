// The routed network fix's cases (issue 15, line 3), the same for both network drivers, in order
// inside the describe block that made the scenario: before the fix nothing gets out; the full fix
// gives two routers with gateways from the pool the internet, a floating IP answers from the
// internet through its elastic IP, and no MAC moves anywhere; it survives a reboot; every missing
// or partial step fails its verification naming that step (and, where the path needs it, the path).

import * as path from 'path';
import { ROUTED_EXTERNAL_BRIDGE } from '../../src/netfix';
import { sq } from '../../src/netfix/shell';
import { ROUTED_MAC, ROUTED_TENANT_IP, ROUTER_DEVICES, RoutedScenario } from './netfix-routed-scenario';
import { neighbourState, pings, run, tcpRequest } from './netns';

export function routedNetworkFixCases(s: RoutedScenario): void {
  const fromInternet = (host: string, port: number) => tcpRequest(s.vpc.namespaces.internet, host, port);
  const macOf = async (netns: string, dev: string) =>
    (await run(netns, ['cat', `/sys/class/net/${dev}/address`])).stdout.trim();
  /** The VPC router forgets what it learnt (its cache would hide a missing proxy entry for a while). */
  const vpcForgets = () => run(s.vpc.namespaces.router, ['ip', 'neigh', 'flush', 'all']);
  const routersForget = async () => {
    await run(s.ns.qrouter1, ['ip', 'neigh', 'flush', 'all']);
    await run(s.ns.qrouter2, ['ip', 'neigh', 'flush', 'all']);
    await run(s.ns.ctl, ['ip', 'neigh', 'flush', 'all']);
  };
  const floatingIp = () => s.pool[1];
  const secondGateway = () => s.pool[3];

  it('before the fix: routers with pool gateways cannot get out, and the verification names every host step', async () => {
    await s.neutronSetsGateway(1, s.pool[0]);
    await s.neutronSetsGateway(2, secondGateway());
    await s.neutronSetsFloatingIp(floatingIp(), ROUTED_TENANT_IP);
    expect(await pings(s.ns.qrouter1, s.pingTarget)).toBe(false);
    expect(await pings(s.ns.qrouter2, s.pingTarget)).toBe(false);
    expect(await neighbourState(s.ns.qrouter1, s.plan.networks.external.gateway)).toMatch(/INCOMPLETE|FAILED/);
    const r = await s.verify();
    expect(r.ok).toBe(false);
    const text = r.failures.join('\n');
    expect(text).toMatch(/does not hold the ENI's primary 10\.42\.1\.11\/32/);
    expect(text).toMatch(/proxy ARP is off on br-provider/);
    expect(text).toMatch(
      /no host route towards br-provider for pool address\(es\) 10\.42\.1\.100, 10\.42\.1\.101, 10\.42\.1\.102, 10\.42\.1\.103/,
    );
    expect(text).toMatch(/no proxy ARP entry on eth1/);
    expect(text).toMatch(/do not leave through eth1: 10\.42\.1\.100, 10\.42\.1\.101/);
  });

  it('the full fix: two routers and a floating IP, every MAC where AWS and Neutron put it', async () => {
    const { changes } = await s.fixHost();
    expect(changes.join('\n')).toMatch(/eth1\) has the ENI's primary address 10\.42\.1\.11\/32/);
    expect(changes.join('\n')).not.toMatch(/MAC/);
    // The pipeline's order: the host side first, then Neutron sets the gateways (and the L3 agent
    // plugs them afresh), then the floating IP.
    await s.neutronSetsGateway(1, s.pool[0]);
    await s.neutronSetsGateway(2, secondGateway());
    await s.neutronSetsFloatingIp(floatingIp(), ROUTED_TENANT_IP);
    const r = await s.verify();
    if (r.failures.length) {
      // Diagnostics for a failing run: the neighbour tables on the path, then once more after a flush.
      const show = async (ns: string) => (await run(ns, ['ip', 'neigh', 'show'])).stdout;
      console.log(
        `routed full fix failed: ${r.failures.join('; ')}\nqrouter1:\n${await show(s.ns.qrouter1)}\nctl:\n${await show(s.ns.ctl)}\nvpc router:\n${await show(s.vpc.namespaces.router)}\nproxy:\n${(await run(s.ns.ctl, ['ip', 'neigh', 'show', 'proxy'])).stdout}\nrules:\n${(await run(s.ns.ctl, ['ip', 'rule'])).stdout}\nt220:\n${(await run(s.ns.ctl, ['ip', 'route', 'show', 'table', '220'])).stdout}\nsysctl: ${(await run(s.ns.ctl, ['sysctl', 'net.ipv4.conf.br-provider.proxy_arp', 'net.ipv4.conf.br-provider.forwarding', 'net.ipv4.neigh.br-provider.proxy_delay'])).stdout}`,
      );
      await routersForget();
      console.log(`after a flush: ${(await s.verify()).failures.join('; ') || 'ok'}`);
    }
    expect(r.failures).toEqual([]);
    // Router 1 (gateway = the pool's first, with the router's elastic IP) and its tenant.
    expect(await s.whoami(s.ns.qrouter1, s.pool[0])).toBe(`internet ${s.routerEip}`);
    // Router 2 (gateway from the pool without an elastic IP): out through the controller's address.
    expect(await pings(s.ns.qrouter2, s.pingTarget)).toBe(true);
    expect(await s.whoami(s.ns.qrouter2)).toBe(`internet ${s.controllerEip}`);
    // The floating IP: the tenant leaves as it, and answers on its elastic IP from the internet.
    expect(await s.whoami(s.ns.tenant)).toBe(`internet ${s.floatingEip}`);
    expect(await fromInternet(s.floatingEip, 22)).toBe(`SSH-2.0-tenant ${s.vpc.internetHostIp}`);
    // Port-forwards keep working: <router EIP>:522 -> the tenant.
    expect(await fromInternet(s.routerEip, 522)).toBe(`SSH-2.0-tenant ${s.vpc.internetHostIp}`);
    // The other nodes still get out through the controller (management subnet -> eth0 -> eth2).
    expect(await s.whoami(s.ns.compute)).toBe(`internet ${s.controllerEip}`);
    // No MAC moved: eth1 has the ENI's, the gateway ports Neutron's; eth1's source/dest check stays on.
    expect(await macOf(s.ns.ctl, 'eth1')).toBe(ROUTED_MAC.ctlEth1);
    expect(await macOf(s.ns.qrouter1, ROUTER_DEVICES[0])).toBe(ROUTED_MAC.router1);
    expect(await macOf(s.ns.qrouter2, ROUTER_DEVICES[1])).toBe(ROUTED_MAC.router2);
    expect(s.vpc.enis().find((e) => e.id === 'controller-eth1')?.sourceDestCheck).toBe(true);
    // Idempotent.
    expect((await s.fixHost()).changes).toEqual([]);
  });

  it('survives a reboot: the boot unit’s command puts routes, rules, proxy entries and NAT back', async () => {
    await s.undoHostFix();
    await routersForget();
    await vpcForgets();
    expect((await s.verify()).ok).toBe(false);
    expect(await fromInternet(s.floatingEip, 22)).toBeUndefined();
    await s.controller.exec(
      `NETFIX_ROOT=${sq(s.root)} bash ${sq(path.join(s.root, 'usr/local/sbin/ooa-network-fix'))} boot`,
    );
    await expect(s.verify()).resolves.toMatchObject({ ok: true });
    expect(await fromInternet(s.floatingEip, 22)).toBe(`SSH-2.0-tenant ${s.vpc.internetHostIp}`);
  });

  const broken: Array<[string, () => Promise<void>, RegExp, () => Promise<void>]> = [
    [
      'no proxy ARP entry for the floating IP on eth1',
      () => run(s.ns.ctl, ['ip', 'neigh', 'del', 'proxy', s.pool[1], 'dev', 'eth1']).then(() => undefined),
      /^no proxy ARP entry on eth1 for pool address\(es\) 10\.42\.1\.101$/,
      async () => expect(await fromInternet(s.floatingEip, 22)).toBeUndefined(),
    ],
    [
      'no host route for the floating IP',
      () =>
        run(s.ns.ctl, ['ip', 'route', 'del', `${s.pool[1]}/32`, 'dev', ROUTED_EXTERNAL_BRIDGE]).then(() => undefined),
      /^no host route towards br-provider for pool address\(es\) 10\.42\.1\.101$/,
      async () => expect(await fromInternet(s.floatingEip, 22)).toBeUndefined(),
    ],
    [
      'the router gateway’s address does not leave through eth1',
      () => run(s.ns.ctl, ['ip', 'rule', 'del', 'from', `${s.pool[0]}/32`, 'lookup', '220']).then(() => undefined),
      /^pool address\(es\) with an elastic IP do not leave through eth1: 10\.42\.1\.100/,
      async () => {
        expect(await fromInternet(s.routerEip, 522)).toBeUndefined();
        expect(await s.whoami(s.ns.qrouter1, s.pool[0])).not.toBe(`internet ${s.routerEip}`);
      },
    ],
    [
      'no default route via eth1 in table 220',
      () => run(s.ns.ctl, ['ip', 'route', 'flush', 'table', '220']).then(() => undefined),
      /^table 220 has no default route via 10\.42\.1\.1 on eth1/,
      async () => expect(await fromInternet(s.floatingEip, 22)).toBeUndefined(),
    ],
    [
      'eth1 without the ENI’s primary address',
      () => run(s.ns.ctl, ['ip', 'addr', 'del', '10.42.1.11/32', 'dev', 'eth1']).then(() => undefined),
      /^eth1 \(eth1\) does not hold the ENI's primary 10\.42\.1\.11\/32/,
      // (The kernel drops eth1's routes with its last address: the replies take eth2 and are dropped.)
      async () => expect(await fromInternet(s.floatingEip, 22)).toBeUndefined(),
    ],
    [
      'proxy ARP off on the external bridge',
      () =>
        run(s.ns.ctl, ['sysctl', '-q', '-w', `net.ipv4.conf.${ROUTED_EXTERNAL_BRIDGE}.proxy_arp=0`]).then(
          () => undefined,
        ),
      /^proxy ARP is off on br-provider/,
      async () => expect(await pings(s.ns.qrouter2, s.pingTarget)).toBe(false),
    ],
  ];
  it.each(broken)('a partial fix fails at its step: %s', async (_label, breakIt, message, pathFails) => {
    await s.fixHost();
    await breakIt();
    await routersForget();
    await vpcForgets();
    const r = await s.verify();
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatch(message);
    await pathFails();
    await s.fixHost();
    await routersForget();
    await expect(s.verify()).resolves.toMatchObject({ ok: true });
  });

  it('Neutron’s part missing: a router gateway outside the pool is named, and cannot get out', async () => {
    await s.neutronSetsGateway(1, '10.42.1.50');
    try {
      const r = await s.verify();
      expect(r.failures[0]).toBe("router gateway IP is not the pool's 10.42.1.100 (qg-one has 10.42.1.50)");
      expect(await pings(s.ns.qrouter1, s.pingTarget)).toBe(false);
    } finally {
      await s.neutronSetsGateway(1, s.pool[0]);
      await s.neutronSetsFloatingIp(floatingIp(), ROUTED_TENANT_IP).catch(() => undefined);
    }
    await expect(s.verify()).resolves.toMatchObject({ ok: true });
  });

  it('the EC2 side missing: without the secondary address on the ENI the VPC drops the floating IP’s traffic', async () => {
    await s.vpc.unassignPrivateIps('controller-eth1', [floatingIp()]);
    try {
      expect(await fromInternet(s.floatingEip, 22)).toBeUndefined();
      expect(await s.whoami(s.ns.tenant)).toBeUndefined();
      // The host side cannot see it: the verification still passes (the EC2 side is the provider's).
      expect((await s.verify()).ok).toBe(true);
    } finally {
      await s.vpc.assignPrivateIps('controller-eth1', [floatingIp()]);
    }
    s.floatingEip = await s.vpc.associateElasticIp(floatingIp(), s.floatingEip);
    await vpcForgets();
    expect(await fromInternet(s.floatingEip, 22)).toBe(`SSH-2.0-tenant ${s.vpc.internetHostIp}`);
  });
}
