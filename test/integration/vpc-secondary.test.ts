// The emulated VPC's secondary private addresses and the elastic IPs associated with them (issue
// 15, line 1), against real namespaces and nftables: an ENI sends from and receives on any of its
// addresses and nothing else; an elastic IP maps to the one private address it was associated
// with; unassigning takes the address (and its elastic IP) away again. Needs root and the host lock.

import { createVpc, findLeftovers, Vpc } from '../../src/local/vpc';
import {
  addNodeNamespace,
  deleteNamespace,
  isRoot,
  pings,
  run,
  startTcpServer,
  tcpRequest,
  TcpServer,
  testId,
} from '../helpers/netns';

const describeRoot = isRoot ? describe : describe.skip;

describeRoot('emulated AWS VPC: secondary private addresses and their elastic IPs', () => {
  const id = testId('vs');
  const prefix = `ooa-${id}-`;
  const nodeA = `${prefix}a`; // ENI 10.42.1.20 (+ secondaries)
  const nodeB = `${prefix}b`; // ENI 10.42.1.21, a neighbour in the subnet
  let vpc: Vpc;
  const servers: TcpServer[] = [];
  const whoami = (from: string, source?: string) => tcpRequest(from, vpc.internetHostIp, 7, source);

  beforeAll(async () => {
    vpc = await createVpc({
      id,
      subnets: [{ name: 'provider', cidr: '10.42.1.0/24', gateway: '10.42.1.1', defaultRoute: 'igw' }],
    });
    for (const [ns, mac, ip] of [
      [nodeA, '02:00:00:aa:00:01', '10.42.1.20'],
      [nodeB, '02:00:00:bb:00:01', '10.42.1.21'],
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
    // The node holds three more addresses; only the ones assigned to its ENI may be used.
    for (const ip of ['10.42.1.100', '10.42.1.101', '10.42.1.102'])
      await run(nodeA, ['ip', 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    servers.push(await startTcpServer(vpc.namespaces.internet, vpc.internetHostIp, 7, 'internet'));
    servers.push(await startTcpServer(nodeA, '0.0.0.0', 2222, 'node-a'));
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await deleteNamespace(nodeA);
    await deleteNamespace(nodeB);
    await vpc?.destroy();
    expect(await findLeftovers(prefix)).toEqual([]);
  });

  it('before assignment a secondary address is spoofing: dropped both ways', async () => {
    expect(await pings(nodeA, '10.42.1.1', { source: '10.42.1.100' })).toBe(false);
    expect(await tcpRequest(nodeB, '10.42.1.100', 2222)).toBeUndefined();
    expect(await tcpRequest(nodeB, '10.42.1.20', 2222)).toBe('node-a 10.42.1.21');
  });

  it('once assigned, the ENI sends from it and traffic for it is delivered to the ENI', async () => {
    const eni = await vpc.assignPrivateIps(nodeA, ['10.42.1.100', '10.42.1.101']);
    expect(eni.ips).toEqual(['10.42.1.20', '10.42.1.100', '10.42.1.101']);
    expect(vpc.enis().find((e) => e.id === nodeA)?.ips).toEqual(eni.ips);
    expect(await pings(nodeA, '10.42.1.1', { source: '10.42.1.100' })).toBe(true);
    expect(await pings(nodeA, '10.42.1.1', { source: '10.42.1.101' })).toBe(true);
    expect(await tcpRequest(nodeB, '10.42.1.100', 2222)).toBe('node-a 10.42.1.21');
    // The one the ENI does not have stays dropped.
    expect(await pings(nodeA, '10.42.1.1', { source: '10.42.1.102' })).toBe(false);
    expect(await tcpRequest(nodeB, '10.42.1.102', 2222)).toBeUndefined();
  });

  it('an elastic IP maps to the chosen private address only, both ways', async () => {
    const eip = await vpc.associateElasticIp('10.42.1.101');
    expect(vpc.elasticIps().get(eip)).toBe('10.42.1.101');
    expect(await whoami(nodeA, '10.42.1.101')).toBe(`internet ${eip}`);
    // The primary and the other secondary have no elastic IP: the internet gateway drops them.
    expect(await whoami(nodeA, '10.42.1.20')).toBeUndefined();
    expect(await whoami(nodeA, '10.42.1.100')).toBeUndefined();
    // From the internet the elastic IP reaches the node on that address (the server sees the host).
    expect(await tcpRequest(vpc.namespaces.internet, eip, 2222)).toBe(`node-a ${vpc.internetHostIp}`);
    await vpc.disassociateElasticIp(eip);
    expect(await whoami(nodeA, '10.42.1.101')).toBeUndefined();
    expect(await tcpRequest(vpc.namespaces.internet, eip, 2222)).toBeUndefined();
    await expect(vpc.disassociateElasticIp(eip)).rejects.toThrow(/not associated/);
  });

  it('unassigning takes the address back, and the elastic IP on it goes with it', async () => {
    const eip = await vpc.associateElasticIp('10.42.1.101');
    const eni = await vpc.unassignPrivateIps(nodeA, ['10.42.1.101']);
    expect(eni.ips).toEqual(['10.42.1.20', '10.42.1.100']);
    expect(vpc.elasticIps().has(eip)).toBe(false);
    expect(await pings(nodeA, '10.42.1.1', { source: '10.42.1.101' })).toBe(false);
    expect(await tcpRequest(nodeB, '10.42.1.101', 2222)).toBeUndefined();
    expect(await tcpRequest(vpc.namespaces.internet, eip, 2222)).toBeUndefined();
    // The remaining secondary keeps working.
    expect(await pings(nodeA, '10.42.1.1', { source: '10.42.1.100' })).toBe(true);
  });

  it('enforces EC2’s rules for private addresses before changing anything', async () => {
    await expect(vpc.assignPrivateIps(nodeA, ['10.42.1.21'])).rejects.toThrow(/already in use by ENI/);
    await expect(vpc.assignPrivateIps(nodeA, ['10.42.1.100'])).rejects.toThrow(/already in use by ENI/);
    await expect(vpc.assignPrivateIps(nodeA, ['10.42.2.5'])).rejects.toThrow(/outside subnet/);
    await expect(vpc.assignPrivateIps(nodeA, ['10.42.1.3'])).rejects.toThrow(/reserved/);
    await expect(vpc.assignPrivateIps(nodeA, ['10.42.1.255'])).rejects.toThrow(/reserved/);
    await expect(vpc.assignPrivateIps(nodeA, ['10.42.1.110', '10.42.1.110'])).rejects.toThrow(/twice/);
    await expect(vpc.assignPrivateIps('nope', ['10.42.1.110'])).rejects.toThrow(/no ENI/);
    await expect(vpc.unassignPrivateIps(nodeA, ['10.42.1.20'])).rejects.toThrow(/primary/);
    await expect(vpc.unassignPrivateIps(nodeA, ['10.42.1.102'])).rejects.toThrow(/not assigned/);
    await expect(
      vpc.attachEni({
        id: 'dup',
        subnet: 'provider',
        mac: '02:00:00:ee:00:01',
        ips: ['10.42.1.30', '10.42.1.100'],
        sourceDestCheck: true,
        netns: nodeB,
        ifname: 'eth9',
      }),
    ).rejects.toThrow(/already in use by ENI/);
    expect(vpc.enis().map((e) => e.id)).toEqual([nodeA, nodeB]);
    expect(vpc.enis()[0].ips).toEqual(['10.42.1.20', '10.42.1.100']);
  });

  it('an ENI created with secondary addresses (CreateNetworkInterface with several) has them all', async () => {
    const ns = `${prefix}c`;
    await addNodeNamespace(ns);
    try {
      await vpc.attachEni({
        id: ns,
        subnet: 'provider',
        mac: '02:00:00:cc:00:01',
        ips: ['10.42.1.40', '10.42.1.140'],
        sourceDestCheck: true,
        netns: ns,
        ifname: 'eth0',
      });
      await run(ns, ['ip', 'addr', 'add', '10.42.1.40/24', 'dev', 'eth0']);
      await run(ns, ['ip', 'addr', 'add', '10.42.1.140/32', 'dev', 'eth0']);
      await run(ns, ['ip', 'route', 'add', 'default', 'via', '10.42.1.1']);
      expect(await pings(ns, '10.42.1.1', { source: '10.42.1.140' })).toBe(true);
      const eip = await vpc.associateElasticIp('10.42.1.140');
      expect(await whoami(ns, '10.42.1.140')).toBe(`internet ${eip}`);
      await vpc.detachEni(ns);
      expect(vpc.elasticIps().has(eip)).toBe(false);
    } finally {
      await deleteNamespace(ns);
    }
  });
});
