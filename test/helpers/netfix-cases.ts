// The network fix's cases, the same for both network drivers (run in this order inside the
// describe block that made the scenario): before the fix nothing gets out; the full fix gives the
// router and the tenant the internet as the router EIP and the port-forward; it survives a reboot;
// every incomplete fix fails and names its missing step.

import * as fs from 'fs';
import * as path from 'path';
import { sq } from '../../src/netfix/shell';
import { MAC, NEUTRON_FIRST_IP, NetfixScenario, REGISTERED_IP, TENANT_IP } from './netfix-scenario';
import { neighbourState, pings, run, tcpRequest } from './netns';

export interface NetfixCaseOptions {
  /**
   * What happens when everything but eth1's new MAC is in place: 'path breaks' when the bridge
   * treats eth1's MACs as its own (Linux bridge), 'path works' when it does not (Open vSwitch).
   * Either way the verification names the missing step.
   */
  eth1KeepsOriginalMac: 'path breaks' | 'path works';
}

export function networkFixCases(s: NetfixScenario, o: NetfixCaseOptions): void {
  const portForward = () => tcpRequest(s.vpc.namespaces.internet, s.routerEip, 522);

  it('before the fix the router cannot reach the internet host and its gateway neighbour stays unresolved', async () => {
    expect(await pings(s.ns.qrouter, s.pingTarget)).toBe(false);
    expect(await neighbourState(s.ns.qrouter, s.plan.networks.external.gateway)).toMatch(/INCOMPLETE|FAILED/);
    const r = await s.verify();
    expect(r.ok).toBe(false);
    expect(r.failures.join('\n')).toMatch(/router gateway IP is not eth1's registered address/);
    expect(r.failures.join('\n')).toMatch(/router gateway MAC is not eth1's original MAC/);
    expect(r.failures.join('\n')).toMatch(/eth1 still has its original MAC/);
  });

  it('the full fix: router and tenant reach the internet as the router EIP, the port-forward reaches the tenant', async () => {
    const { changes } = await s.fixHost();
    expect(changes.join('\n')).toMatch(/eth1\) MAC 0a:00:00:00:01:11 ->/);
    await s.neutronSetsGateway({ ip: s.registeredIp, mac: MAC.ctlEth1 });

    const r = await s.verify();
    expect(r.failures).toEqual([]);
    expect(r.facts.neighbour_state?.[0]).toMatch(/REACHABLE|STALE|DELAY/);
    expect(r.facts.neighbour_mac?.[0]).toMatch(/^02:/); // the VPC router's (derived, locally administered) MAC

    // The path, not just the ping: the internet host sees the router EIP as the source.
    expect(await s.whoami(s.ns.qrouter)).toBe(`internet ${s.routerEip}`);
    expect(await s.whoami(s.ns.tenant)).toBe(`internet ${s.routerEip}`);
    // Management subnet → VPC router → controller eth0 → MASQUERADE out eth2 → controller's EIP.
    expect(await s.whoami(s.ns.compute)).toBe(`internet ${s.controllerEip}`);
    // Seed 001 note 3: <router EIP>:522 → instance:22.
    expect(await portForward()).toBe(`SSH-2.0-tenant ${s.vpc.internetHostIp}`);
    expect(s.servers[1].peers()).toEqual([s.routerEip, s.routerEip, s.controllerEip]);

    // Idempotent: a second run changes nothing.
    expect((await s.fixHost()).changes).toEqual([]);
    // Recorded once, and the boot unit is in place.
    const file = (p: string) => fs.readFileSync(path.join(s.root, p), 'utf8');
    expect(file('etc/openstack-on-aws/eth1-original-mac').trim()).toBe(MAC.ctlEth1);
    expect(file('etc/systemd/system/ooa-network-fix.service')).toMatch(
      /ExecStart=\/usr\/local\/sbin\/ooa-network-fix boot/,
    );
    expect(
      fs.readlinkSync(path.join(s.root, 'etc/systemd/system/multi-user.target.wants/ooa-network-fix.service')),
    ).toBe('/etc/systemd/system/ooa-network-fix.service');
    expect(file('etc/cloud/cloud.cfg.d/99-disable-network-config.cfg')).toMatch(/config: disabled/);
    expect(fs.statSync(path.join(s.root, 'etc/openstack-on-aws/network-fix.env')).mode & 0o777).toBe(0o600);
  });

  it('survives a reboot: the boot unit’s command puts eth1’s MAC, the NAT and the port-forward back', async () => {
    await s.undoHostFix(); // what a reboot loses: the MAC (AWS gives the ENI's back) and the iptables rules
    expect((await s.verify()).ok).toBe(false);
    await s.controller.exec(
      `NETFIX_ROOT=${sq(s.root)} bash ${sq(path.join(s.root, 'usr/local/sbin/ooa-network-fix'))} boot`,
    );
    await expect(s.verify()).resolves.toMatchObject({ ok: true });
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
    await s.fixHost();
    await s.neutronSetsGateway(gateway);
    const r = await s.verify();
    expect(r.ok).toBe(false);
    expect(r.failures).toHaveLength(3); // the step itself, the ping, the neighbour entry
    expect(r.failures[0]).toMatch(message);
    expect(r.failures.join('\n')).toMatch(/cannot reach 203\.0\.113\.10/);
    expect(r.failures.join('\n')).toMatch(/neighbour entry for the subnet gateway 10\.42\.1\.1 is (INCOMPLETE|FAILED)/);
    expect(await s.whoami(s.ns.tenant)).toBeUndefined();
    await s.neutronSetsGateway({ ip: s.registeredIp, mac: MAC.ctlEth1 });
  });

  it(`an incomplete fix fails: eth1 keeps its original MAC (the ${o.eth1KeepsOriginalMac})`, async () => {
    await s.fixHost();
    await s.neutronSetsGateway({ ip: s.registeredIp, mac: MAC.ctlEth1 });
    await run(s.ns.ctl, ['ip', 'link', 'set', 'eth1', 'address', MAC.ctlEth1]);
    const r = await s.verify();
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatch(/eth1 still has its original MAC/);
    if (o.eth1KeepsOriginalMac === 'path breaks') {
      // A Linux bridge keeps its ports' MACs as local addresses: it swallows the replies.
      expect(r.failures.join('\n')).toMatch(/cannot reach 203\.0\.113\.10/);
      expect(await s.whoami(s.ns.tenant)).toBeUndefined();
    } else {
      // Open vSwitch forwards by its learned table only: the gateway port still gets the replies.
      expect(r.failures).toHaveLength(1);
      expect(await s.whoami(s.ns.tenant)).toBe(`internet ${s.routerEip}`);
    }
    await s.fixHost();
    await expect(s.verify()).resolves.toMatchObject({ ok: true });
  });

  it('an incomplete fix fails: no port-forward', async () => {
    await s.fixHost(false);
    await s.neutronSetsGateway({ ip: s.registeredIp, mac: MAC.ctlEth1 });
    const r = await s.verify();
    expect(r.failures).toEqual([`no port-forward for 522 (${s.registeredIp}:522 -> ${TENANT_IP}:22)`]);
    expect(await portForward()).toBeUndefined();
    await s.fixHost(true);
    expect(await portForward()).toBe(`SSH-2.0-tenant ${s.vpc.internetHostIp}`);
  });

  it('source/dest check ON for the controller’s eth0 breaks the NAT-instance path; OFF makes it work', async () => {
    await s.vpc.setSourceDestCheck('controller-eth0', true);
    try {
      expect(await s.whoami(s.ns.compute)).toBeUndefined();
      expect(await pings(s.ns.compute, s.pingTarget)).toBe(false);
    } finally {
      await s.vpc.setSourceDestCheck('controller-eth0', false);
    }
    expect(await s.whoami(s.ns.compute)).toBe(`internet ${s.controllerEip}`);
    expect(await pings(s.ns.compute, s.pingTarget)).toBe(true);
  });
}
