// The network fix's proving ground (issue 5, line 3), shared by both network drivers: the emulated
// VPC, a controller namespace with eth0/eth1/eth2 as the Plan has them, a Neutron-style router
// namespace (qrouter) with a tenant behind it, a compute node on the management subnet, and the
// internet host's "whoami" listener. What differs per driver is only how eth1 and the router's
// gateway device (qg-test) share a layer-2 segment: the caller's ProviderBridge builds that.
//
// networkFixScenario registers the beforeAll/afterAll hooks of the describe block it is called in
// and returns a handle whose fields are filled once beforeAll ran.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createVpc, vpcSpecFromPlan, Vpc } from '../../src/local/vpc';
import { hostFixInputs, runHostFix, verifyNetworkFix, HostFixInputs, VerifyResult } from '../../src/netfix';
import type { NetworkDriver } from '../../src/settings/matrix';
import type { Plan } from '../../src/plan/types';
import type { Environment } from '../../src/provider';
import type { RemoteSession } from '../../src/remote/types';
import {
  afterBench,
  attachCompute,
  attachController,
  benchEnvironment,
  benchPlan,
  controllerNicIp,
  ENI_MAC,
} from './netfix-bench';
import { addNodeNamespace, netnsSession, run, startTcpServer, tcpRequest, TcpServer, testId } from './netns';

// Addresses come from the Plan (10.42.0.11 / 10.42.1.11 / 10.42.1.12 …); MACs are the "ENI" MACs.
export const MAC = {
  ...ENI_MAC,
  neutronGateway: 'fa:16:3e:00:00:01', // what Neutron gives the router's gateway port
};
export const REGISTERED_IP = '10.42.1.11'; // the Plan's eth1 address (asserted in beforeAll)
export const NEUTRON_FIRST_IP = '10.42.1.50'; // before the fix the gateway port has an address AWS never registered
export const TENANT_IP = '192.168.100.5';
export const SERVER_PORT = 22; // a tiny banner listener, not sshd
/** The router's gateway device in the qrouter namespace (Neutron's qg-<port id prefix>). */
export const GATEWAY_DEVICE = 'qg-test';

export interface ScenarioNamespaces {
  ctl: string;
  qrouter: string;
  tenant: string;
  compute: string;
}

/** The driver's layer 2 between eth1 and the router (Neutron's agent plus the provider bridge). */
export interface ProviderBridge {
  /**
   * Puts eth1 (in ns.ctl, up, no address) and a device named GATEWAY_DEVICE (in ns.qrouter, any
   * MAC, no address) on one segment. `dir` is a private directory for the driver's own state.
   */
  plug(ns: ScenarioNamespaces, dir: string): Promise<void>;
  /** The controller as the script must see it (e.g. pointed at a private OVS). */
  session?(base: RemoteSession): RemoteSession;
  /** Ends what plug started (processes); the namespaces go afterwards. */
  unplug(): Promise<void>;
}

export interface NetfixScenario {
  id: string;
  ns: ScenarioNamespaces;
  /** Temporary file system root the script writes to (NETFIX_ROOT). */
  root: string;
  vpc: Vpc;
  plan: Plan;
  controller: RemoteSession;
  routerEip: string;
  controllerEip: string;
  registeredIp: string;
  pingTarget: string;
  /** [0] the tenant's banner server, [1] the internet host's whoami listener (port 7). */
  servers: TcpServer[];
  inputs(withPortForward?: boolean): HostFixInputs;
  /** The host side of the fix: the real script, through the same TypeScript the pipeline uses. */
  fixHost(withPortForward?: boolean): Promise<{ changes: string[]; output: string }>;
  verify(): Promise<VerifyResult>;
  /**
   * Neutron's part, played by the test: the L3 agent's gateway device gets the port's MAC and
   * fixed IP, the default route via the subnet gateway, and the SNAT of the tenant network to it.
   */
  neutronSetsGateway(gateway: { ip: string; mac: string }): Promise<void>;
  /** Puts the controller back to "before the fix": eth1 with its original MAC, nothing of ours in NAT. */
  undoHostFix(): Promise<void>;
  /** What the internet host answers a connection from `from`: "internet <source it saw>". */
  whoami(from: string): Promise<string | undefined>;
}

export function networkFixScenario(driver: NetworkDriver, bridge: ProviderBridge): NetfixScenario {
  const id = testId(driver === 'openvswitch' ? 'nfo' : 'nf');
  const prefix = `ooa-${id}-`;
  const ns: ScenarioNamespaces = {
    ctl: `${prefix}ctl`,
    qrouter: `${prefix}qrouter`,
    tenant: `${prefix}tenant`,
    compute: `${prefix}cmp`,
  };
  let env: Environment;
  const q = (argv: string[]) => run(ns.qrouter, argv);

  const s: NetfixScenario = {
    id,
    ns,
    root: '',
    vpc: undefined as unknown as Vpc,
    plan: undefined as unknown as Plan,
    controller: undefined as unknown as RemoteSession,
    routerEip: '',
    controllerEip: '',
    registeredIp: '',
    pingTarget: '',
    servers: [],
    inputs: (withPortForward = true) => hostFixInputs(s.plan, env, ns.qrouter, withPortForward ? TENANT_IP : undefined),
    fixHost: (withPortForward = true) => runHostFix(s.controller, s.inputs(withPortForward), { root: s.root }),
    verify: () =>
      verifyNetworkFix({ controller: s.controller, inputs: s.inputs(true), host: { root: s.root, pingAttempts: 1 } }),
    neutronSetsGateway: async (gateway) => {
      const dev = GATEWAY_DEVICE;
      await q(['ip', 'link', 'set', dev, 'down']);
      await q(['ip', 'link', 'set', dev, 'address', gateway.mac]);
      await q(['ip', 'addr', 'flush', 'dev', dev]);
      await q(['ip', 'addr', 'add', `${gateway.ip}/24`, 'dev', dev]);
      await q(['ip', 'link', 'set', dev, 'up']);
      await q(['ip', 'route', 'replace', 'default', 'via', s.plan.networks.external.gateway, 'dev', dev]);
      await q(['iptables', '-w', '-t', 'nat', '-F', 'NEUTRON-SNAT']);
      const cidr = s.plan.networks.tenant.cidr;
      await q([
        'iptables',
        '-w',
        '-t',
        'nat',
        '-A',
        'NEUTRON-SNAT',
        '-s',
        cidr,
        '-o',
        dev,
        '-j',
        'SNAT',
        '--to-source',
        gateway.ip,
      ]);
      await q(['ip', 'neigh', 'flush', 'dev', dev]);
    },
    undoHostFix: async () => {
      await run(ns.ctl, ['ip', 'link', 'set', 'eth1', 'address', MAC.ctlEth1]);
      await run(ns.ctl, ['iptables', '-w', '-t', 'nat', '-F', 'POSTROUTING']);
      await q(['iptables', '-w', '-t', 'nat', '-F', 'OOA-PORTFWD']);
    },
    whoami: (from) => tcpRequest(from, s.vpc.internetHostIp, 7),
  };

  beforeAll(async () => {
    s.root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}root-`));
    s.plan = benchPlan(id, driver, 'seeds');
    expect(s.plan.networkDriver).toBe(driver);
    s.registeredIp = s.plan.networks.external.routerGatewayIp;
    expect(s.registeredIp).toBe(REGISTERED_IP);
    s.pingTarget = s.plan.pingTarget;
    s.vpc = await createVpc(vpcSpecFromPlan(s.plan, id));
    expect(s.pingTarget).toBe(s.vpc.internetHostIp);
    for (const n of Object.values(ns)) await addNodeNamespace(n);

    await attachController(s.vpc, s.plan, ns.ctl);
    // The driver's provider bridge: eth1 (no address) plus the router's gateway device.
    await bridge.plug(ns, path.join(s.root, 'driver'));

    // The router namespace and the tenant behind it.
    await q(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await q(['ip', 'link', 'add', 'qr-test', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.tenant]);
    await q(['ip', 'addr', 'add', `${s.plan.networks.tenant.gateway}/24`, 'dev', 'qr-test']);
    await q(['ip', 'link', 'set', 'qr-test', 'up']);
    await q(['iptables', '-w', '-t', 'nat', '-N', 'NEUTRON-SNAT']);
    await q(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-j', 'NEUTRON-SNAT']);
    await s.neutronSetsGateway({ ip: NEUTRON_FIRST_IP, mac: MAC.neutronGateway });
    await run(ns.tenant, ['ip', 'addr', 'add', `${TENANT_IP}/24`, 'dev', 'eth0']);
    await run(ns.tenant, ['ip', 'link', 'set', 'eth0', 'up']);
    await run(ns.tenant, ['ip', 'route', 'add', 'default', 'via', s.plan.networks.tenant.gateway]);
    s.servers.push(await startTcpServer(ns.tenant, TENANT_IP, SERVER_PORT, 'SSH-2.0-tenant'));

    await attachCompute(s.vpc, s.plan, ns.compute);

    s.routerEip = await s.vpc.associateElasticIp(s.registeredIp);
    s.controllerEip = await s.vpc.associateElasticIp(controllerNicIp(s.plan, 'eth2'));
    env = benchEnvironment(id, s.plan, ns.ctl, { controller: s.controllerEip, router: s.routerEip });
    const base = netnsSession(ns.ctl, 'controller');
    s.controller = bridge.session ? bridge.session(base) : base;
    s.servers.push(await startTcpServer(s.vpc.namespaces.internet, s.vpc.internetHostIp, 7, 'internet'));
  });

  afterBench(s, () => bridge.unplug(), Object.values(ns), prefix);

  return s;
}
