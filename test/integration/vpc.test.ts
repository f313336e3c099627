// The emulated AWS VPC (src/local/vpc) against real namespaces, bridges and nftables: the switch
// enforces each ENI's MAC/IP binding, the router answers only registered pairs and routes per subnet,
// the internet gateway does 1:1 NAT and drops private sources without an elastic IP. Needs root.

import { spawn } from 'child_process';
import * as fs from 'fs';
import { createVpc, findLeftovers, Vpc } from '../../src/local/vpc';
import { run as hostRun } from '../../src/local/vpc/run';
import {
  addNodeNamespace,
  deleteNamespace,
  neighbourState,
  pings,
  run,
  startTcpServer,
  tcpRequest,
  TcpServer,
  testId,
} from '../helpers/netns';
import { AS_ROOT, describeIf, needRoot } from '../helpers/requires';

const describeRoot = describeIf([needRoot()], AS_ROOT);

describeRoot('emulated AWS VPC', () => {
  const id = testId('vt');
  const prefix = `ooa-${id}-`;
  const nodeA = `${prefix}a`; // provider subnet, 10.42.1.20, gets an elastic IP
  const nodeB = `${prefix}b`; // provider subnet, 10.42.1.21, no elastic IP
  const macA = '02:00:00:aa:00:01';
  const macB = '02:00:00:bb:00:01';
  let vpc: Vpc;
  const servers: TcpServer[] = [];
  let eipA = '';

  beforeAll(async () => {
    vpc = await createVpc({
      id,
      subnets: [
        { name: 'management', cidr: '10.42.0.0/24', gateway: '10.42.0.1', defaultRoute: { viaIp: '10.42.0.11' } },
        { name: 'provider', cidr: '10.42.1.0/24', gateway: '10.42.1.1', defaultRoute: 'igw' },
      ],
    });
    for (const [ns, mac, ip] of [
      [nodeA, macA, '10.42.1.20'],
      [nodeB, macB, '10.42.1.21'],
    ]) {
      await addNodeNamespace(ns);
      await vpc.attachEni({
        id: ns,
        subnet: 'provider',
        mac,
        ips: [ip],
        sourceDestCheck: true,
        netns: ns,
        ifname: 'eth0',
      });
      await run(ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await run(ns, ['ip', 'route', 'add', 'default', 'via', '10.42.1.1']);
    }
    eipA = await vpc.associateElasticIp('10.42.1.20');
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await deleteNamespace(nodeA);
    await deleteNamespace(nodeB);
    await vpc?.destroy();
    await vpc?.destroy(); // idempotent
    expect(await findLeftovers(prefix)).toEqual([]);
  });

  it('lets a registered (MAC, IP) pair reach the subnet gateway and resolves it', async () => {
    expect(await pings(nodeA, '10.42.1.1')).toBe(true);
    expect(await neighbourState(nodeA, '10.42.1.1')).toMatch(/REACHABLE|STALE|DELAY/);
    expect(await pings(nodeA, '10.42.1.21')).toBe(true);
  });

  it('drops a source IP the ENI does not own, and lets it pass the switch when source/dest check is off', async () => {
    const counterOf = async () => {
      const r = await run(vpc.namespaces.switch, ['nft', 'list', 'chain', 'bridge', 'ooa_vpc', 'from_e0']);
      return r.stdout;
    };
    await run(nodeA, ['ip', 'addr', 'add', '10.42.1.99/24', 'dev', 'eth0']);
    try {
      expect(await pings(nodeA, '10.42.1.21', { source: '10.42.1.99' })).toBe(false);
      expect(await counterOf()).toMatch(/ip saddr != 10\.42\.1\.20 counter packets [1-9]/);
      await vpc.setSourceDestCheck(nodeA, false);
      expect(await counterOf()).not.toMatch(/ip saddr/);
      // Off frees the IP (not the MAC): the same spoofed ping now gets through and back.
      expect(await pings(nodeA, '10.42.1.21', { source: '10.42.1.99' })).toBe(true);
    } finally {
      await vpc.setSourceDestCheck(nodeA, true);
      await run(nodeA, ['ip', 'addr', 'del', '10.42.1.99/24', 'dev', 'eth0']);
    }
  });

  it('drops frames whose source MAC is not the ENI’s, and the gateway stays unresolved', async () => {
    await run(nodeB, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    await run(nodeB, ['ip', 'link', 'set', 'eth0', 'address', '02:00:00:bb:00:99']);
    try {
      expect(await pings(nodeB, '10.42.1.1')).toBe(false);
      expect(await neighbourState(nodeB, '10.42.1.1')).toMatch(/INCOMPLETE|FAILED/);
    } finally {
      await run(nodeB, ['ip', 'link', 'set', 'eth0', 'address', macB]);
      await run(nodeB, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    }
    expect(await pings(nodeB, '10.42.1.1')).toBe(true);
  });

  it('the router answers ARP only for registered pairs', async () => {
    // Source/dest check off lets an unregistered sender IP through the switch; the router still ignores it.
    await vpc.setSourceDestCheck(nodeB, false);
    await run(nodeB, ['ip', 'addr', 'add', '10.42.1.98/24', 'dev', 'eth0']);
    try {
      await run(nodeB, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
      expect(await pings(nodeB, '10.42.1.1', { source: '10.42.1.98' })).toBe(false);
      expect(await neighbourState(nodeB, '10.42.1.1')).toMatch(/INCOMPLETE|FAILED/);
    } finally {
      await run(nodeB, ['ip', 'addr', 'del', '10.42.1.98/24', 'dev', 'eth0']);
      await vpc.setSourceDestCheck(nodeB, true);
      await run(nodeB, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    }
  });

  it('NATs an elastic IP 1:1 and drops private sources without one', async () => {
    const whoami = await startTcpServer(vpc.namespaces.internet, vpc.internetHostIp, 7, 'internet');
    servers.push(whoami);
    expect(eipA).toMatch(/^198\.51\.100\.\d+$/);
    expect(await tcpRequest(nodeA, vpc.internetHostIp, 7)).toBe(`internet ${eipA}`);
    expect(await tcpRequest(nodeB, vpc.internetHostIp, 7)).toBeUndefined();
    expect(whoami.peers()).toEqual([eipA]);
    expect(await pings(nodeA, vpc.internetHostIp)).toBe(true);
    expect(await pings(nodeB, vpc.internetHostIp)).toBe(false);

    const inbound = await startTcpServer(nodeA, '10.42.1.20', 2222, 'node-a');
    servers.push(inbound);
    expect(await tcpRequest(vpc.namespaces.internet, eipA, 2222)).toBe(`node-a ${vpc.internetHostIp}`);
  });

  it('attaches an ENI to a namespace given by a pid (an nspawn container) and detaches it', async () => {
    const holder = spawn('unshare', ['--net', 'sleep', '120'], { stdio: 'ignore' });
    try {
      // Wait until unshare has moved into its own network namespace (then it execs sleep).
      const own = fs.readlinkSync('/proc/self/ns/net');
      for (let i = 0; i < 100 && fs.readlinkSync(`/proc/${holder.pid}/ns/net`) === own; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const pid = holder.pid!;
      const inNs = (argv: string[]) => hostRun('nsenter', ['-t', String(pid), '-n', ...argv]);
      const eni = await vpc.attachEni({
        id: 'pid-node',
        subnet: 'provider',
        mac: '02:00:00:dd:00:01',
        ips: ['10.42.1.40'],
        sourceDestCheck: true,
        netns: { pid },
        ifname: 'host0',
      });
      expect(eni.switchPort).toMatch(/^e\d+$/);
      expect((await inNs(['ip', '-o', 'link', 'show', 'host0'])).stdout).toContain('link/ether 02:00:00:dd:00:01');
      await inNs(['ip', 'addr', 'add', '10.42.1.40/24', 'dev', 'host0']);
      expect((await inNs(['ping', '-n', '-q', '-c', '1', '-W', '1', '10.42.1.1'])).code).toBe(0);
      await vpc.detachEni('pid-node');
      expect((await inNs(['ip', 'link', 'show', 'host0']).catch((e: Error) => e)) instanceof Error).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('refuses bad input before running anything', async () => {
    await expect(
      vpc.attachEni({
        id: 'x',
        subnet: 'provider',
        mac: '01:00:5e:00:00:01',
        ips: ['10.42.1.30'],
        sourceDestCheck: true,
        netns: nodeA,
        ifname: 'eth9',
      }),
    ).rejects.toThrow(/multicast/);
    await expect(
      vpc.attachEni({
        id: 'y',
        subnet: 'provider',
        mac: '02:00:00:00:00:09',
        ips: ['10.42.0.30'],
        sourceDestCheck: true,
        netns: nodeA,
        ifname: 'eth9',
      }),
    ).rejects.toThrow(/outside subnet/);
    await expect(vpc.associateElasticIp('10.42.1.77')).rejects.toThrow(/no attached ENI/);
    await expect(createVpc({ id: 'Bad Id', subnets: [] })).rejects.toThrow(/vpc id/);
    const r = await hostRun('ip', ['netns', 'list']);
    expect(r.stdout).not.toMatch(/Bad Id/);
  });
});

describeRoot('emulated AWS VPC: host link', () => {
  const id = testId('vh');
  const prefix = `ooa-${id}-`;
  const node = `${prefix}n`;
  let vpc: Vpc;
  let server: TcpServer | undefined;

  afterAll(async () => {
    await server?.stop();
    await deleteNamespace(node);
    await vpc?.destroy();
    expect(await findLeftovers(prefix)).toEqual([]);
    if (vpc) {
      const links = await hostRun('ip', ['-o', 'link', 'show']);
      expect(links.stdout).not.toContain(vpc.hostIfname!);
    }
  });

  it('lets the host reach elastic IPs at 203.0.113.1 and never forwards from the emulated internet', async () => {
    vpc = await createVpc({
      id,
      hostLink: true,
      subnets: [{ name: 'provider', cidr: '10.42.1.0/24', gateway: '10.42.1.1', defaultRoute: 'igw' }],
    });
    await addNodeNamespace(node);
    await vpc.attachEni({
      id: 'n',
      subnet: 'provider',
      mac: '02:00:00:cc:00:01',
      ips: ['10.42.1.30'],
      sourceDestCheck: true,
      netns: node,
      ifname: 'eth0',
    });
    await run(node, ['ip', 'addr', 'add', '10.42.1.30/24', 'dev', 'eth0']);
    await run(node, ['ip', 'route', 'add', 'default', 'via', '10.42.1.1']);
    const eip = await vpc.associateElasticIp('10.42.1.30', '198.51.100.77');
    expect(eip).toBe('198.51.100.77');
    server = await startTcpServer(node, '10.42.1.30', 2200, 'node');

    // From the root namespace (like the local provider's SSH): the node sees the host's internet address.
    const r = await hostRun(
      process.execPath,
      ['-e', `require('net').connect(2200, '${eip}').on('data', (d) => { process.stdout.write(d); process.exit(0); })`],
      { timeoutMs: 5000 },
    );
    expect(r.stdout.trim()).toBe(`node ${vpc.hostIp}`);

    // The host never forwards for these namespaces: per-interface forwarding off and an nft drop.
    const hv = vpc.hostIfname!;
    expect((await hostRun('sysctl', ['-n', `net.ipv4.conf.${hv}.forwarding`])).stdout.trim()).toBe('0');
    const table = await hostRun('nft', ['list', 'table', 'inet', `${prefix}host`]);
    expect(table.stdout).toContain(`iifname "${hv}" drop`);
    expect(await findLeftovers(prefix)).toEqual(expect.arrayContaining([`nft table inet ${prefix}host`, `link ${hv}`]));
  });
});
