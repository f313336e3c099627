// The routed network fix's pure parts (issue 15, line 3): the script's inputs from the Plan, the
// verdict per step, the Neutron side through a recorded openstack CLI (pool = allocation pools,
// gateway from the pool, no MAC change, never the database). The path itself is proven in
// test/integration/netfix-routed*.test.ts.

import {
  allocationPools,
  configureNeutron,
  hostFixEnv,
  hostFixInputs,
  judgeNetworkFix,
  parseFacts,
} from '../../src/netfix';
import { buildPlan } from '../../src/plan/plan';
import type { Environment } from '../../src/provider';
import type { ExecResult, RemoteSession } from '../../src/remote/types';
import { memoryIo } from '../helpers/memory-io';
import { settingsFrom } from '../helpers/inputs';

const plan = buildPlan(
  settingsFrom({
    provider: 'local',
    'network-fix': 'routed',
    'stack-id': 'units',
    'image-url': 'file:///var/tmp/unused.img',
  }),
  { now: new Date('2026-01-01T00:00:00Z') },
);
const env: Environment = {
  stackId: 'units',
  nodes: [
    {
      name: 'controller',
      instanceId: 'i-1',
      managementIp: '10.42.0.11',
      nics: [
        { name: 'eth0', mac: '0A:00:00:00:00:10', ip: '10.42.0.11' },
        { name: 'eth1', mac: '0A:00:00:00:01:11', ip: '10.42.1.11' },
        { name: 'eth2', mac: '0A:00:00:00:01:12', ip: '10.42.1.12' },
      ],
    },
  ],
  controllerPublicIp: '198.51.100.10',
  sshPort: 22,
  routerPublicIp: '198.51.100.11',
  sshUser: 'root',
  privateKeyPath: '/tmp/k',
};

const good = `recorded_original_mac=
provider_if=eth1
provider_mac=0a:00:00:00:01:11
ip_forward=1
public_if=eth2
masquerade=yes
mode=routed
provider_addr=10.42.1.11/32
bridge=present
bridge_proxy_arp=1
pool_route=10.42.1.100
pool_route=10.42.1.101
pool_route=10.42.1.102
pool_route=10.42.1.103
pool_proxy=10.42.1.100
pool_proxy=10.42.1.101
pool_proxy=10.42.1.102
pool_proxy=10.42.1.103
pool_rule=10.42.1.100
pool_rule=10.42.1.101
routed_default=10.42.1.1@eth1
qrouter=present
gateway_if=qg-1
gateway_mac=fa:16:3e:00:00:01
gateway_ip=10.42.1.100/24
portforward_jump=yes
portforward=522>192.168.100.10:22@10.42.1.100
ping=ok
neighbour_state=REACHABLE
neighbour_mac=02:00:00:00:00:99`;

const inputs = hostFixInputs(plan, env, 'qrouter-x', '192.168.100.10');
const expectation = { ...inputs, originalMac: inputs.providerMac };
const judge = (text: string) => judgeNetworkFix(parseFacts(text), expectation);
const without = (...keys: string[]) =>
  good
    .split('\n')
    .filter((l) => !keys.some((k) => l.startsWith(k)))
    .join('\n');

describe('routed network fix: inputs', () => {
  it('come from the Plan: eth1’s primary, the pool, the public part of it, the external bridge', () => {
    expect(inputs).toMatchObject({
      mode: 'routed',
      providerIp: '10.42.1.11',
      registeredIp: '10.42.1.100',
      pool: ['10.42.1.100', '10.42.1.101', '10.42.1.102', '10.42.1.103'],
      poolPublic: ['10.42.1.100', '10.42.1.101'],
      externalBridge: 'br-provider',
      providerMac: '0a:00:00:00:01:11',
    });
    const line = hostFixEnv(inputs);
    expect(line).toContain("NETFIX_MODE='routed'");
    expect(line).toContain("POOL='10.42.1.100 10.42.1.101 10.42.1.102 10.42.1.103'");
    expect(line).toContain("POOL_PUBLIC='10.42.1.100 10.42.1.101'");
    expect(line).toContain("PROVIDER_IP='10.42.1.11'");
    expect(line).toContain("ROUTER_GATEWAY_IP='10.42.1.100'");
  });

  it('refuse a pool that does not hold together', () => {
    expect(() => hostFixEnv({ ...inputs, poolPublic: ['10.42.1.150'] })).toThrow(/public pool address/);
    expect(() => hostFixEnv({ ...inputs, registeredIp: '10.42.1.11' })).toThrow(
      /router gateway IP \(not in the pool\)/,
    );
    expect(() => hostFixEnv({ ...inputs, externalBridge: 'br x' })).toThrow(/external bridge/);
    expect(() => hostFixEnv({ ...inputs, pool: ['10.42.1.100', 'x'] })).toThrow(/pool address 'x'/);
  });
});

describe('routed network fix: the verdict names the missing step', () => {
  it('accepts a complete fix (Neutron’s own gateway MAC is right here)', () => {
    expect(judge(good)).toEqual([]);
  });

  it.each([
    ['provider_mac', 'provider_mac=0a:99:00:00:00:01', /does not have the ENI's MAC 0a:00:00:00:01:11/],
    ['provider_addr', '', /does not hold the ENI's primary 10\.42\.1\.11\/32/],
    ['bridge_proxy_arp', 'bridge_proxy_arp=0', /proxy ARP is off on br-provider/],
    ['pool_route=10.42.1.102', '', /^no host route towards br-provider for pool address\(es\) 10\.42\.1\.102$/],
    ['pool_proxy=10.42.1.101', '', /^no proxy ARP entry on eth1 for pool address\(es\) 10\.42\.1\.101$/],
    ['pool_rule=10.42.1.100', '', /do not leave through eth1: 10\.42\.1\.100 \(no rule to table 220\)/],
    ['routed_default', '', /table 220 has no default route via 10\.42\.1\.1 on eth1/],
    [
      'gateway_ip',
      'gateway_ip=10.42.1.50/24',
      /router gateway IP is not the pool's 10\.42\.1\.100 \(qg-1 has 10\.42\.1\.50\)/,
    ],
    ['masquerade', 'masquerade=no', /no MASQUERADE out eth2/],
  ])('%s', (key, replacement, message) => {
    const text = without(key) + (replacement ? `\n${replacement}` : '');
    const failures = judge(text);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(message);
  });

  it('an eth1 still bridged, a missing bridge, an unresolved gateway', () => {
    expect(judge(`${good}\nprovider_master=brq123`)).toEqual([
      'eth1 (eth1) is still a port of brq123 (routed: the controller routes, it does not bridge eth1)',
    ]);
    expect(judge(without('bridge', 'pool_route') + '\nbridge=missing')).toEqual([
      'the external bridge br-provider does not exist',
    ]);
    expect(judge(without('neighbour', 'ping') + '\nping=fail\nneighbour_state=FAILED')).toEqual([
      'the router namespace cannot reach 203.0.113.10',
      "the router's neighbour entry for its gateway 10.42.1.1 is FAILED (proxy ARP on br-provider)",
    ]);
  });
});

describe('routed network fix: Neutron', () => {
  it('groups consecutive addresses into allocation pools', () => {
    expect(allocationPools(['10.42.1.102', '10.42.1.100', '10.42.1.101', '10.42.1.110'])).toEqual([
      'start=10.42.1.100,end=10.42.1.102',
      'start=10.42.1.110,end=10.42.1.110',
    ]);
    expect(allocationPools([])).toEqual([]);
  });

  /** A controller whose openstack CLI answers from a script; records every command line. */
  function recordedController(existingSubnetPool?: string): { session: RemoteSession; commands: string[] } {
    const commands: string[] = [];
    const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: '' }) as ExecResult;
    const missing = { code: 1, stdout: '', stderr: 'No Network found' } as ExecResult;
    const router = { id: '0e6b9c4a-1111-4222-8333-944455556666', external_gateway_info: null };
    const session: RemoteSession = {
      node: 'controller',
      exec: async (command) => {
        commands.push(command);
        if (command.includes("'network' 'show'")) return missing;
        if (command.includes("'network' 'create'")) return ok(JSON.stringify({ id: 'net-1' }));
        if (command.includes("'subnet' 'show'"))
          return existingSubnetPool
            ? ok(JSON.stringify({ id: 'sub-1', allocation_pools: existingSubnetPool }))
            : missing;
        if (command.includes("'subnet' 'create'"))
          return ok(JSON.stringify({ id: 'sub-1', allocation_pools: [{ start: '10.42.1.100', end: '10.42.1.103' }] }));
        if (command.includes("'router' 'show'")) return ok(JSON.stringify(router));
        if (command.includes("'port' 'list'"))
          return ok(
            JSON.stringify([{ ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'MAC Address': 'fa:16:3e:00:00:01' }]),
          );
        return ok('{}');
      },
      writeFile: async () => undefined,
      readFile: async () => Buffer.from(''),
      close: async () => undefined,
    };
    return { session, commands };
  }

  const options = (session: RemoteSession) => ({
    session,
    io: memoryIo(),
    adminRc: '/root/admin-openrc',
    externalNetwork: 'provider',
    externalSubnet: 'provider-subnet',
    physicalNetwork: 'provider',
    routerName: 'router',
    cidr: '10.42.1.0/24',
    gateway: '10.42.1.1',
    registeredIp: '10.42.1.100',
    originalMac: '0a:00:00:00:01:11',
    allocationPool: plan.networks.external.pool.map((p) => p.ip),
    moveMac: false,
  });

  it('makes the pool the subnet’s, the gateway the pool’s first, and moves no MAC', async () => {
    const { session, commands } = recordedController();
    const r = await configureNeutron(options(session));
    expect(r.gatewayMacMethod).toBe('not-moved');
    const all = commands.join('\n');
    expect(all).toContain("'--allocation-pool' 'start=10.42.1.100,end=10.42.1.103'");
    expect(all).toContain("'--fixed-ip' 'subnet=sub-1,ip-address=10.42.1.100'");
    expect(all).not.toMatch(/--mac-address|mysql|ip link set/);
  });

  it('replaces the pool of a subnet an earlier (seeds) run made', async () => {
    const { session, commands } = recordedController('10.42.1.11-10.42.1.11');
    await configureNeutron(options(session));
    expect(commands.join('\n')).toContain(
      "'subnet' 'set' '--no-allocation-pool' '--allocation-pool' 'start=10.42.1.100,end=10.42.1.103' 'sub-1'",
    );
  });
});
