// The routed network fix's proving ground (issue 15, line 3), shared by both network drivers: the
// emulated VPC with the controller's provider ENI carrying the Plan's pool of secondary addresses,
// an external bridge WITHOUT eth1 (what the neutron stage makes in routed mode), two Neutron-style
// routers (qrouter namespaces) with gateways from the pool, a tenant behind the first, a compute
// node on the management subnet and the internet host's "whoami" listener. The driver's
// ExternalBridge builds the layer 2 between the bridge and the routers' gateway devices.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createVpc, vpcSpecFromPlan, Vpc } from '../../src/local/vpc';
import {
  hostFixInputs,
  ROUTED_EXTERNAL_BRIDGE,
  runHostFix,
  verifyNetworkFix,
  HostFixInputs,
  VerifyResult,
} from '../../src/netfix';
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
import { addNodeNamespace, netnsSession, run, startTcpServer, tcpRequest, TcpServer, testId, tryRun } from './netns';

export const ROUTED_MAC = {
  ...ENI_MAC,
  router1: 'fa:16:3e:00:00:01', // Neutron's own MACs for the gateway ports: they stay
  router2: 'fa:16:3e:00:00:02',
};
export const ROUTED_TENANT_IP = '192.168.100.5';
/** The routers' gateway devices in their qrouter namespaces. */
export const ROUTER_DEVICES = ['qg-one', 'qg-two'] as const;

export interface RoutedNamespaces {
  ctl: string;
  qrouter1: string;
  qrouter2: string;
  tenant: string;
  compute: string;
}

/** The driver's layer 2: the external bridge (no eth1 on it) and the routers' gateway devices on it. */
export interface ExternalBridge {
  /** Makes ROUTED_EXTERNAL_BRIDGE in ns.ctl (up, no address) and one device per router, named ROUTER_DEVICES[i]. */
  plug(ns: RoutedNamespaces, dir: string): Promise<void>;
  session?(base: RemoteSession): RemoteSession;
  unplug(): Promise<void>;
}

export interface RoutedScenario {
  id: string;
  ns: RoutedNamespaces;
  root: string;
  vpc: Vpc;
  plan: Plan;
  controller: RemoteSession;
  /** The pool: [0] router 1's gateway (router EIP), [1] the floating IP with an EIP, [3] router 2's gateway (none). */
  pool: string[];
  routerEip: string;
  floatingEip: string;
  controllerEip: string;
  pingTarget: string;
  servers: TcpServer[];
  inputs(withPortForward?: boolean): HostFixInputs;
  fixHost(withPortForward?: boolean): Promise<{ changes: string[]; output: string }>;
  verify(): Promise<VerifyResult>;
  /** Neutron's part for one router, played by the test: gateway address (own MAC), default route, SNAT. */
  neutronSetsGateway(router: 1 | 2, ip: string): Promise<void>;
  /** Neutron's floating IP on router 1: the address on its gateway device, DNAT in, SNAT out. */
  neutronSetsFloatingIp(floatingIp: string, fixedIp: string): Promise<void>;
  /** What a reboot loses on the controller: every route, rule, proxy entry and address of the fix. */
  undoHostFix(): Promise<void>;
  whoami(from: string, source?: string): Promise<string | undefined>;
}

export function routedScenario(driver: NetworkDriver, bridge: ExternalBridge): RoutedScenario {
  const id = testId(driver === 'openvswitch' ? 'nro' : 'nr');
  const prefix = `ooa-${id}-`;
  const ns: RoutedNamespaces = {
    ctl: `${prefix}ctl`,
    qrouter1: `${prefix}qr1`,
    qrouter2: `${prefix}qr2`,
    tenant: `${prefix}tenant`,
    compute: `${prefix}cmp`,
  };
  let env: Environment;
  const routerNs = (r: 1 | 2) => (r === 1 ? ns.qrouter1 : ns.qrouter2);
  const s: RoutedScenario = {
    id,
    ns,
    root: '',
    vpc: undefined as unknown as Vpc,
    plan: undefined as unknown as Plan,
    controller: undefined as unknown as RemoteSession,
    pool: [],
    routerEip: '',
    floatingEip: '',
    controllerEip: '',
    pingTarget: '',
    servers: [],
    inputs: (withPortForward = true) =>
      hostFixInputs(s.plan, env, ns.qrouter1, withPortForward ? ROUTED_TENANT_IP : undefined),
    fixHost: (withPortForward = true) => runHostFix(s.controller, s.inputs(withPortForward), { root: s.root }),
    verify: () =>
      verifyNetworkFix({ controller: s.controller, inputs: s.inputs(true), host: { root: s.root, pingAttempts: 1 } }),
    neutronSetsGateway: async (router, ip) => {
      const q = (argv: string[]) => run(routerNs(router), argv);
      const dev = ROUTER_DEVICES[router - 1];
      await q(['ip', 'addr', 'flush', 'dev', dev]);
      await q(['ip', 'addr', 'add', `${ip}/24`, 'dev', dev]);
      await q(['ip', 'link', 'set', dev, 'up']);
      await q(['ip', 'route', 'replace', 'default', 'via', s.plan.networks.external.gateway, 'dev', dev]);
      await q(['iptables', '-w', '-t', 'nat', '-F', 'NEUTRON-SNAT']);
      if (router === 1) {
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
          ip,
        ]);
      }
      await q(['ip', 'neigh', 'flush', 'dev', dev]);
    },
    neutronSetsFloatingIp: async (floatingIp, fixedIp) => {
      const q = (argv: string[]) => run(ns.qrouter1, argv);
      const dev = ROUTER_DEVICES[0];
      await q(['ip', 'addr', 'replace', `${floatingIp}/32`, 'dev', dev]);
      await q(['iptables', '-w', '-t', 'nat', '-F', 'NEUTRON-FIP-DNAT']);
      await q([
        'iptables',
        '-w',
        '-t',
        'nat',
        '-A',
        'NEUTRON-FIP-DNAT',
        '-d',
        `${floatingIp}/32`,
        '-j',
        'DNAT',
        '--to-destination',
        fixedIp,
      ]);
      await q([
        'iptables',
        '-w',
        '-t',
        'nat',
        '-I',
        'NEUTRON-SNAT',
        '1',
        '-s',
        `${fixedIp}/32`,
        '-j',
        'SNAT',
        '--to-source',
        floatingIp,
      ]);
    },
    undoHostFix: async () => {
      const c = (argv: string[]) => tryRun(ns.ctl, argv);
      await c(['ip', 'addr', 'flush', 'dev', 'eth1']);
      await c(['ip', 'route', 'flush', 'table', '220']);
      await c(['ip', 'route', 'flush', 'dev', ROUTED_EXTERNAL_BRIDGE]);
      for (const a of s.pool) {
        await c(['ip', 'neigh', 'del', 'proxy', a, 'dev', 'eth1']);
        await c(['ip', 'rule', 'del', 'from', `${a}/32`, 'lookup', '220']);
      }
      await c(['sysctl', '-q', '-w', `net.ipv4.conf.${ROUTED_EXTERNAL_BRIDGE}.proxy_arp=0`]);
      await c(['iptables', '-w', '-t', 'nat', '-F', 'POSTROUTING']);
      await tryRun(ns.qrouter1, ['iptables', '-w', '-t', 'nat', '-F', 'OOA-PORTFWD']);
    },
    whoami: (from, source) => tcpRequest(from, s.vpc.internetHostIp, 7, source),
  };

  beforeAll(async () => {
    s.root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}root-`));
    s.plan = benchPlan(id, driver, 'routed');
    expect(s.plan.networkFix).toBe('routed');
    s.pool = s.plan.networks.external.pool.map((p) => p.ip);
    expect(s.plan.networks.external.pool.map((p) => p.elasticIp)).toEqual([true, true, false, false]);
    s.pingTarget = s.plan.pingTarget;
    s.vpc = await createVpc(vpcSpecFromPlan(s.plan, id));
    for (const n of Object.values(ns)) await addNodeNamespace(n);

    await attachController(s.vpc, s.plan, ns.ctl);
    await bridge.plug(ns, path.join(s.root, 'driver'));

    // Two routers; the tenant behind the first.
    for (const r of [1, 2] as const) {
      const q = (argv: string[]) => run(routerNs(r), argv);
      await q(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      await q([
        'ip',
        'link',
        'set',
        ROUTER_DEVICES[r - 1],
        'address',
        r === 1 ? ROUTED_MAC.router1 : ROUTED_MAC.router2,
      ]);
      await q(['iptables', '-w', '-t', 'nat', '-N', 'NEUTRON-SNAT']);
      await q(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-j', 'NEUTRON-SNAT']);
      await q(['iptables', '-w', '-t', 'nat', '-N', 'NEUTRON-FIP-DNAT']);
      await q(['iptables', '-w', '-t', 'nat', '-A', 'PREROUTING', '-j', 'NEUTRON-FIP-DNAT']);
    }
    const q1 = (argv: string[]) => run(ns.qrouter1, argv);
    await q1(['ip', 'link', 'add', 'qr-test', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.tenant]);
    await q1(['ip', 'addr', 'add', `${s.plan.networks.tenant.gateway}/24`, 'dev', 'qr-test']);
    await q1(['ip', 'link', 'set', 'qr-test', 'up']);
    await run(ns.tenant, ['ip', 'addr', 'add', `${ROUTED_TENANT_IP}/24`, 'dev', 'eth0']);
    await run(ns.tenant, ['ip', 'link', 'set', 'eth0', 'up']);
    await run(ns.tenant, ['ip', 'route', 'add', 'default', 'via', s.plan.networks.tenant.gateway]);
    s.servers.push(await startTcpServer(ns.tenant, ROUTED_TENANT_IP, 22, 'SSH-2.0-tenant'));

    await attachCompute(s.vpc, s.plan, ns.compute);

    // Elastic IPs as the providers associate them: the controller's eth2, the router's gateway
    // address (the pool's first) and every floating pool address the Plan marks.
    s.controllerEip = await s.vpc.associateElasticIp(controllerNicIp(s.plan, 'eth2'));
    s.routerEip = await s.vpc.associateElasticIp(s.pool[0]);
    s.floatingEip = await s.vpc.associateElasticIp(s.pool[1]);
    env = benchEnvironment(id, s.plan, ns.ctl, { controller: s.controllerEip, router: s.routerEip });
    const base = netnsSession(ns.ctl, 'controller');
    s.controller = bridge.session ? bridge.session(base) : base;
    s.servers.push(await startTcpServer(s.vpc.namespaces.internet, s.vpc.internetHostIp, 7, 'internet'));
  });

  afterBench(s, () => bridge.unplug(), Object.values(ns), prefix);

  return s;
}
