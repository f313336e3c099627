// What both network-fix proving grounds (netfix-scenario.ts: the seeds' procedure;
// netfix-routed-scenario.ts: the routed one) build alike on the emulated VPC: the Plan they read
// addresses from, the controller's three ENIs as the Plan has them, a compute node on the management
// subnet, the Environment the pipeline would hand the fix, and the teardown that proves nothing of
// the test is left.

import * as fs from 'fs';
import { findLeftovers, Vpc } from '../../src/local/vpc';
import type { NetworkFixMode } from '../../src/settings/network-fix-inputs';
import type { NetworkDriver } from '../../src/settings/matrix';
import { buildPlan, controllerOf } from '../../src/plan/plan';
import type { Plan } from '../../src/plan/types';
import type { Environment } from '../../src/provider';
import { settingsFrom } from './inputs';
import { deleteNamespace, run, TcpServer } from './netns';

/** The "ENI" MACs (addresses come from the Plan: 10.42.0.11 / 10.42.1.11 / 10.42.1.12 …). */
export const ENI_MAC = {
  ctlEth0: '0a:00:00:00:00:10',
  ctlEth1: '0a:00:00:00:01:11', // eth1's: what AWS registered with the provider ENI
  ctlEth2: '0a:00:00:00:01:12',
  compute: '0a:00:00:00:00:21',
};

/** The Plan of a minimal local stack with the given driver and network fix. */
export function benchPlan(id: string, driver: NetworkDriver, fix: NetworkFixMode): Plan {
  return buildPlan(
    settingsFrom({
      provider: 'local',
      os: 'debian-12',
      release: 'zed',
      'network-driver': driver,
      'network-fix': fix,
      'stack-id': id,
      topology: 'minimal',
      'image-url': 'file:///var/tmp/unused.img',
    }),
    { now: new Date() },
  );
}

/** The address the Plan gives one of the controller's NICs. */
export function controllerNicIp(plan: Plan, name: string): string {
  return controllerOf(plan).nics.find((n) => n.name === name)!.ip;
}

const CONTROLLER_MACS: Record<string, string> = { eth0: ENI_MAC.ctlEth0, eth1: ENI_MAC.ctlEth1, eth2: ENI_MAC.ctlEth2 };

/**
 * The controller's ENIs as in the Plan (eth0's source/dest check off: the NAT instance; eth1 with
 * its secondary addresses, if any), eth0 and eth2 addressed, the default route out of eth2.
 * eth1 stays without an address: each procedure gives it what it needs.
 */
export async function attachController(vpc: Vpc, plan: Plan, netns: string): Promise<void> {
  const ctl = controllerOf(plan);
  for (const n of ctl.nics) {
    await vpc.attachEni({
      id: `controller-${n.name}`,
      subnet: n.subnet,
      mac: CONTROLLER_MACS[n.name],
      ips: [n.ip, ...(n.secondaryIps ?? [])],
      sourceDestCheck: n.sourceDestCheck,
      netns,
      ifname: n.name,
    });
  }
  await run(netns, ['ip', 'addr', 'add', `${controllerNicIp(plan, 'eth0')}/24`, 'dev', 'eth0']);
  await run(netns, ['ip', 'addr', 'add', `${controllerNicIp(plan, 'eth2')}/24`, 'dev', 'eth2']);
  await run(netns, ['ip', 'route', 'add', 'default', 'via', plan.networks.external.gateway, 'dev', 'eth2']);
}

/** A compute node on the management subnet: its way out is the controller (route table → eth0). */
export async function attachCompute(vpc: Vpc, plan: Plan, netns: string): Promise<void> {
  const cmp = plan.nodes.find((n) => n.role === 'compute')!.nics.find((n) => n.name === 'eth0')!;
  await vpc.attachEni({
    id: 'compute1-eth0',
    subnet: 'management',
    mac: ENI_MAC.compute,
    ips: [cmp.ip],
    sourceDestCheck: true,
    netns,
    ifname: 'eth0',
  });
  await run(netns, ['ip', 'addr', 'add', `${cmp.ip}/24`, 'dev', 'eth0']);
  await run(netns, ['ip', 'route', 'add', 'default', 'via', plan.subnets[0].gateway]);
}

/** The Environment the pipeline would hand the fix: the controller in its namespace, reached as root. */
export function benchEnvironment(
  id: string,
  plan: Plan,
  netns: string,
  eips: { controller: string; router: string },
): Environment {
  const ctl = controllerOf(plan);
  return {
    stackId: id,
    nodes: [
      {
        name: 'controller',
        instanceId: netns,
        managementIp: ctl.managementIp,
        nics: ctl.nics.map((n) => ({ name: n.name, mac: CONTROLLER_MACS[n.name], ip: n.ip })),
      },
    ],
    controllerPublicIp: eips.controller,
    sshPort: 22,
    routerPublicIp: eips.router,
    sshUser: 'root',
    privateKeyPath: '',
  };
}

/**
 * Registers the afterAll that ends the scenario's listeners and driver, deletes its namespaces, VPC
 * and file root, and then proves nothing with its prefix is left.
 */
export function afterBench(
  s: { servers: TcpServer[]; vpc?: Vpc; root: string },
  unplug: () => Promise<void>,
  namespaces: string[],
  prefix: string,
): void {
  afterAll(async () => {
    try {
      for (const server of s.servers) await server.stop();
      await unplug();
      for (const n of namespaces) await deleteNamespace(n);
      await s.vpc?.destroy();
      if (s.root) fs.rmSync(s.root, { recursive: true, force: true });
    } finally {
      expect(await findLeftovers(prefix)).toEqual([]);
    }
  });
}
