// The pure parts of src/netfix: the verdict per step, the script's inputs and their quoting, the
// EC2 side's list. No root, no namespaces (the integration proof is netfix.test.ts).

import {
  hostFixEnv,
  hostFixInputs,
  judgeNetworkFix,
  openstackCommand,
  parseFacts,
  sourceDestCheckOff,
} from '../../src/netfix';
import type { NetworkFixExpectation } from '../../src/netfix';
import { buildPlan } from '../../src/plan/plan';
import type { Environment } from '../../src/provider';
import { settingsFrom } from '../helpers/inputs';

const plan = buildPlan(
  settingsFrom({
    provider: 'local',
    os: 'debian-12',
    release: 'zed',
    // The seeds' units (the routed ones are in netfix-routed.test.ts).
    'network-fix': 'seeds',
    'stack-id': 'units',
    'image-url': 'file:///var/tmp/unused.img',
  }),
  {
    now: new Date('2026-01-01T00:00:00Z'),
  },
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

const expectation: NetworkFixExpectation = {
  originalMac: '0a:00:00:00:01:11',
  registeredIp: '10.42.1.11',
  externalCidr: '10.42.1.0/24',
  externalGateway: '10.42.1.1',
  pingTarget: '203.0.113.10',
  qrouterNamespace: 'qrouter-x',
  portForwards: [{ name: 'smoke-ssh', publicPort: 522, targetIp: '192.168.100.5', targetPort: 22 }],
};

const goodProbe = `recorded_original_mac=0a:00:00:00:01:11
provider_if=ens6
provider_mac=06:12:34:56:78:9a
ip_forward=1
public_if=ens7
masquerade=yes
qrouter=present
gateway_if=qg-1234
gateway_mac=0a:00:00:00:01:11
gateway_ip=10.42.1.11/24
portforward_jump=yes
portforward=522>192.168.100.5:22@10.42.1.11
ping=ok
neighbour_state=REACHABLE
neighbour_mac=02:aa:bb:cc:dd:ee
`;

const change = (text: string, key: string, value: string | undefined) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith(`${key}=`))
    .concat(value === undefined ? [] : [`${key}=${value}`])
    .join('\n');

describe('judgeNetworkFix', () => {
  it('accepts a complete fix', () => {
    expect(judgeNetworkFix(parseFacts(goodProbe), expectation)).toEqual([]);
  });

  it.each([
    ['provider_mac', '0a:00:00:00:01:11', /^eth1 still has its original MAC/],
    [
      'gateway_mac',
      'fa:16:3e:00:00:01',
      /^router gateway MAC is not eth1's original MAC 0a:00:00:00:01:11 \(qg-1234 has fa:16:3e:00:00:01\)/,
    ],
    [
      'gateway_ip',
      '10.42.1.50/24',
      /^router gateway IP is not eth1's registered address 10\.42\.1\.11 \(qg-1234 has 10\.42\.1\.50\)/,
    ],
    ['portforward', undefined, /^no port-forward for 522/],
    ['masquerade', 'no', /^no MASQUERADE out eth2 \(ens7\)/],
    ['ip_forward', '0', /^IP forwarding is off/],
    ['ping', 'fail', /^the router namespace cannot reach 203\.0\.113\.10/],
    ['recorded_original_mac', '', /not on record/],
  ])('names the step when %s is %s', (key, value, message) => {
    const failures = judgeNetworkFix(parseFacts(change(goodProbe, key, value)), expectation);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(message);
  });

  it('reports an unresolved gateway neighbour', () => {
    const text = change(change(goodProbe, 'neighbour_state', 'INCOMPLETE'), 'neighbour_mac', '');
    expect(judgeNetworkFix(parseFacts(text), expectation)).toEqual([
      "the router's neighbour entry for the subnet gateway 10.42.1.1 is INCOMPLETE, not its MAC",
    ]);
  });

  it('stops at a missing router namespace', () => {
    const text = goodProbe.split('\n').slice(0, 6).join('\n') + '\nqrouter=missing\n';
    expect(judgeNetworkFix(parseFacts(text), expectation)).toEqual(['the router namespace qrouter-x does not exist']);
  });
});

describe('the host script inputs', () => {
  it('come from the Plan and the Environment, MACs lowercased', () => {
    const i = hostFixInputs(plan, env, 'qrouter-0b1c', '192.168.100.5');
    expect(i).toMatchObject({
      providerMac: '0a:00:00:00:01:11',
      publicMac: '0a:00:00:00:01:12',
      registeredIp: '10.42.1.11',
      externalCidr: '10.42.1.0/24',
      externalGateway: '10.42.1.1',
      qrouterNamespace: 'qrouter-0b1c',
      portForwards: [{ name: 'smoke-ssh', publicPort: 522, targetIp: '192.168.100.5', targetPort: 22 }],
      pingTarget: '203.0.113.10',
    });
    expect(hostFixEnv(i)).toContain(`PORT_FORWARDS='522=192.168.100.5:22'`);
    expect(hostFixInputs(plan, env).portForwards).toEqual([]);
  });

  it('refuse values that are not what they claim (nothing reaches a command line)', () => {
    const i = hostFixInputs(plan, env, 'qrouter-x');
    expect(() => hostFixEnv({ ...i, providerMac: "0a:00:00:00:01:11'; reboot; '" })).toThrow(/provider \(eth1\) MAC/);
    expect(() => hostFixEnv({ ...i, qrouterNamespace: 'qrouter-x; rm -rf /' })).toThrow(/router namespace/);
    expect(() =>
      hostFixEnv({ ...i, portForwards: [{ name: 'x', publicPort: 70000, targetIp: '192.168.100.5', targetPort: 22 }] }),
    ).toThrow(/port-forward/);
  });

  it('quote the openstack arguments and source the credentials from a file', () => {
    expect(openstackCommand('/root/admin-openrc', ['port', 'set', '--mac-address', '0a:00:00:00:01:11', "it's"])).toBe(
      `. '/root/admin-openrc' && openstack 'port' 'set' '--mac-address' '0a:00:00:00:01:11' 'it'\\''s'`,
    );
  });
});

describe('sourceDestCheckOff', () => {
  it('lists the controller eth0 only (the NAT instance), with the reason', () => {
    const off = sourceDestCheckOff(plan);
    expect(off.map((o) => `${o.node}/${o.nic}/${o.ip}`)).toEqual(['controller/eth0/10.42.0.11']);
    expect(off[0].why).toMatch(/NAT/);
  });
});
