// createVpc: builds the emulated VPC described in index.ts and returns the handle that changes it.
//
// Known traps, handled here (each one cost a debugging session somewhere):
// - br_netfilter is built in and on by default in every new namespace (bridge-nf-call-iptables=1):
//   bridged frames would also traverse the ip-family hooks (conntrack, NAT) of the switch/internet
//   namespaces. We turn it off there, so the only thing that filters on a switch is our bridge table.
//   (Node namespaces are the caller's: a controller with a Linux bridge keeps it on, like on EC2.)
// - rp_filter (and the rest of net.ipv4.conf.*) is copied from the host into new namespaces
//   (net.core.devconf_inherit_init_net=0 means "inherit" for IPv4): set all/default explicitly to 0
//   before creating interfaces, because the router routes by ingress interface (policy routing) and
//   a NAT instance makes paths asymmetric.
// - A Linux bridge takes the lowest MAC of its ports and changes it when ports come and go: every
//   bridge gets an explicit MAC, so nothing in the VPC changes its MAC behind the ARP caches' back.
// - nf_conntrack_tcp_loose=1 (the default) lets conntrack pick up a TCP flow in the middle and NAT
//   it as if it were new (e.g. replies of a connection that started before an elastic IP was
//   associated get masqueraded): 0 in the router and internet gateway.
// - The router forwards management traffic to a NAT instance in the same subnet it came from, which
//   makes Linux send ICMP redirects (nodes would then bypass the route table): send_redirects=0.
// - IPv6 is off in the VPC's namespaces (AWS subnets here are IPv4-only; no DAD/RS noise).
// - Serving something inside these namespaces (an internet host, a listener for a test): not with
//   python's http.server, which does a reverse DNS lookup per request that stalls for seconds where
//   there is no resolver; use a tiny node/socat listener (test/helpers/netns.ts has one).

import { cidrContains, intToIp, ipToInt, parseCidr } from '../../core/net';
import { destroyById, listNamespaces } from './cleanup';
import {
  checkCidr,
  checkEniId,
  checkIfname,
  checkIp,
  checkNetnsName,
  checkVpcId,
  derivedMac,
  hostIfname,
  hostTableName,
  namespaceName,
  normalizeMac,
} from './names';
import { ipBatch, nftLoad, run, sysctls } from './run';
import { hostLinkRules, igwRules, routerArpRules, switchRules } from './rules';
import {
  AttachedEni,
  ELASTIC_IP_POOL,
  EniSpec,
  HOST_LINK_IP,
  IGW_INTERNET_IP,
  INTERNET_CIDR,
  INTERNET_HOST_IP,
  Vpc,
  VpcNamespaces,
  VpcSpec,
} from './types';

/** Router ⇄ internet gateway transit link (inside the VPC's own namespaces only). */
const TRANSIT = { router: '100.64.0.1', igw: '100.64.0.2', prefix: 30 };
/** Interface names inside the VPC namespaces (each namespace is private, so they are short and fixed). */
const IF = {
  bridge: (i: number) => `br${i}`,
  switchRouterPort: (i: number) => `r${i}`,
  routerSubnetPort: (i: number) => `s${i}`,
  routerToIgw: 'igw',
  igwToRouter: 'rtr',
  igwToInternet: 'inet',
  internetToIgw: 'igw',
  internetBridge: 'br0',
  internetToHost: 'host',
};
const tableOf = (i: number) => 100 + i;

const COMMON_SYSCTLS = {
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv6.conf.all.disable_ipv6': 1,
  'net.ipv6.conf.default.disable_ipv6': 1,
};
const NO_BRIDGE_NETFILTER = {
  'net.bridge.bridge-nf-call-iptables': 0,
  'net.bridge.bridge-nf-call-ip6tables': 0,
  'net.bridge.bridge-nf-call-arptables': 0,
};
const ROUTER_SYSCTLS = {
  'net.ipv4.ip_forward': 1,
  'net.ipv4.conf.all.send_redirects': 0,
  'net.ipv4.conf.default.send_redirects': 0,
  'net.netfilter.nf_conntrack_tcp_loose': 0,
};

function validate(spec: VpcSpec): void {
  checkVpcId(spec.id);
  if (!spec.subnets.length) throw new Error('a VPC needs at least one subnet');
  const names = new Set<string>();
  for (const s of spec.subnets) {
    if (names.has(s.name)) throw new Error(`subnet name '${s.name}' is used twice`);
    names.add(s.name);
    checkCidr(s.cidr);
    checkIp(s.gateway);
    if (!cidrContains(s.cidr, s.gateway)) throw new Error(`gateway ${s.gateway} is outside ${s.cidr}`);
    if (s.defaultRoute !== 'igw') {
      checkIp(s.defaultRoute.viaIp);
      if (!spec.subnets.some((t) => cidrContains(t.cidr, (s.defaultRoute as { viaIp: string }).viaIp))) {
        throw new Error(`subnet ${s.name}: default route target ${s.defaultRoute.viaIp} is in no subnet`);
      }
    }
  }
}

/**
 * EC2 reserves five addresses of every subnet: the network address, .1 (the VPC router), .2 (DNS),
 * .3 (future use) and the broadcast address. No ENI may have one.
 */
function reservedAddresses(cidr: string): string[] {
  const c = parseCidr(cidr)!;
  const start = ipToInt(c.network);
  const last = start + 2 ** (32 - c.prefix) - 1;
  return [start, start + 1, start + 2, start + 3, last].map(intToIp);
}

/** A promise chain: state changes (port numbering, rule rendering) never interleave. */
function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

export async function createVpc(spec: VpcSpec): Promise<Vpc> {
  validate(spec);
  const id = spec.id;
  const ns: VpcNamespaces = {
    switch: namespaceName(id, 'sw'),
    router: namespaceName(id, 'rtr'),
    igw: namespaceName(id, 'igw'),
    internet: namespaceName(id, 'inet'),
  };
  const existing = await listNamespaces();
  const clash = Object.values(ns).filter((n) => existing.includes(n));
  if (clash.length) {
    throw new Error(`VPC ${id} already exists (${clash.join(', ')}); a crashed run? destroyById('${id}') first`);
  }
  if (spec.hostLink) {
    const routes = await run('ip', ['-o', 'route', 'show', INTERNET_CIDR]);
    if (routes.stdout.trim()) {
      throw new Error(
        `the host already routes ${INTERNET_CIDR} (another VPC has the host link): ${routes.stdout.trim()}`,
      );
    }
  }
  try {
    await build(spec, ns);
  } catch (err) {
    await destroyById(id).catch(() => undefined);
    throw err;
  }
  return handle(spec, ns);
}

async function build(spec: VpcSpec, ns: VpcNamespaces): Promise<void> {
  const id = spec.id;
  for (const n of Object.values(ns)) await run('ip', ['netns', 'add', n]);
  await sysctls(ns.switch, { ...COMMON_SYSCTLS, ...NO_BRIDGE_NETFILTER });
  await sysctls(ns.internet, { ...COMMON_SYSCTLS, ...NO_BRIDGE_NETFILTER });
  await sysctls(ns.router, { ...COMMON_SYSCTLS, ...ROUTER_SYSCTLS });
  await sysctls(ns.igw, { ...COMMON_SYSCTLS, ...ROUTER_SYSCTLS });

  // Switch: one bridge per subnet, with the router's port in it.
  const sw: string[] = [];
  spec.subnets.forEach((_, i) => {
    sw.push(`link add ${IF.bridge(i)} address ${derivedMac(`${id}/switch/${i}`)} type bridge`);
    sw.push(`link set ${IF.bridge(i)} up`);
    sw.push(`link add ${IF.switchRouterPort(i)} type veth peer name ${IF.routerSubnetPort(i)} netns ${ns.router}`);
    sw.push(`link set ${IF.switchRouterPort(i)} master ${IF.bridge(i)}`);
    sw.push(`link set ${IF.switchRouterPort(i)} up`);
  });
  sw.push(`link add ${IF.internetToIgw} type veth peer name ${IF.igwToInternet} netns ${ns.igw}`);
  sw.push(`link set ${IF.internetToIgw} netns ${ns.internet}`);
  await ipBatch(ns.switch, sw);
  // Rules before any ENI exists; the router's ARP filter before its ports come up.
  await nftLoad(ns.switch, switchRules([]));
  await nftLoad(ns.router, routerArpRules([], IF.routerToIgw));
  await nftLoad(ns.igw, igwRules(new Map(), IF.igwToRouter, IF.igwToInternet));

  // Router: .1 in each subnet, one route table per subnet chosen by ingress interface.
  const rt: string[] = ['link set lo up'];
  spec.subnets.forEach((s, i) => {
    const prefix = parseCidr(s.cidr)!.prefix;
    rt.push(`link set ${IF.routerSubnetPort(i)} address ${derivedMac(`${id}/router/${i}`)}`);
    rt.push(`addr add ${s.gateway}/${prefix} dev ${IF.routerSubnetPort(i)}`);
    rt.push(`link set ${IF.routerSubnetPort(i)} up`);
  });
  rt.push(`link add ${IF.routerToIgw} type veth peer name ${IF.igwToRouter} netns ${ns.igw}`);
  rt.push(`addr add ${TRANSIT.router}/${TRANSIT.prefix} dev ${IF.routerToIgw}`);
  rt.push(`link set ${IF.routerToIgw} up`);
  spec.subnets.forEach((s, i) => {
    const table = tableOf(i);
    // Every AWS route table has the VPC's "local" routes.
    spec.subnets.forEach((t, j) =>
      rt.push(
        `route add ${parseCidr(t.cidr)!.network}/${parseCidr(t.cidr)!.prefix} dev ${IF.routerSubnetPort(j)} table ${table}`,
      ),
    );
    if (s.defaultRoute === 'igw') {
      rt.push(`route add default via ${TRANSIT.igw} dev ${IF.routerToIgw} table ${table}`);
    } else {
      const via = s.defaultRoute.viaIp;
      const j = spec.subnets.findIndex((t) => cidrContains(t.cidr, via));
      rt.push(`route add default via ${via} dev ${IF.routerSubnetPort(j)} table ${table}`);
    }
    rt.push(`rule add iif ${IF.routerSubnetPort(i)} lookup ${table} pref ${1000 + i}`);
  });
  await ipBatch(ns.router, rt);

  // Internet gateway: back to the subnets through the router; out to the internet segment.
  const igw: string[] = ['link set lo up', `addr add ${TRANSIT.igw}/${TRANSIT.prefix} dev ${IF.igwToRouter}`];
  igw.push(`link set ${IF.igwToRouter} up`, `addr add ${IGW_INTERNET_IP}/24 dev ${IF.igwToInternet}`);
  igw.push(`link set ${IF.igwToInternet} up`);
  for (const s of spec.subnets) {
    const c = parseCidr(s.cidr)!;
    igw.push(`route add ${c.network}/${c.prefix} via ${TRANSIT.router} dev ${IF.igwToRouter}`);
  }
  await ipBatch(ns.igw, igw);

  // Internet: a bridge holding the internet host's address, the IGW's port and (maybe) the host's.
  await ipBatch(ns.internet, [
    'link set lo up',
    `link add ${IF.internetBridge} address ${derivedMac(`${id}/internet`)} type bridge`,
    `addr add ${INTERNET_HOST_IP}/24 dev ${IF.internetBridge}`,
    `link set ${IF.internetBridge} up`,
    `link set ${IF.internetToIgw} master ${IF.internetBridge}`,
    `link set ${IF.internetToIgw} up`,
    `route add ${ELASTIC_IP_POOL} via ${IGW_INTERNET_IP}`,
  ]);

  if (spec.hostLink) await buildHostLink(id, ns);
}

/** Root namespace ⇄ internet. Forwarding from it is off twice: per interface and by an nft drop. */
async function buildHostLink(id: string, ns: VpcNamespaces): Promise<void> {
  const hv = hostIfname(id);
  const table = hostTableName(id);
  // The drop rules exist before the link does.
  await nftLoad(undefined, hostLinkRules(table, hv));
  await run('ip', ['link', 'add', hv, 'type', 'veth', 'peer', 'name', IF.internetToHost, 'netns', ns.internet]);
  // The alias carries the VPC's prefix so findLeftovers('ooa-<id>-') sees the root end too.
  await run('ip', ['link', 'set', hv, 'alias', table]);
  await run('sysctl', [
    '-q',
    '-w',
    `net.ipv4.conf.${hv}.forwarding=0`,
    `net.ipv6.conf.${hv}.disable_ipv6=1`,
    `net.ipv4.conf.${hv}.rp_filter=0`,
  ]);
  await ipBatch(undefined, [
    `addr add ${HOST_LINK_IP}/24 dev ${hv}`,
    `link set ${hv} up`,
    `route add ${ELASTIC_IP_POOL} via ${IGW_INTERNET_IP} dev ${hv}`,
  ]);
  await ipBatch(ns.internet, [
    `link set ${IF.internetToHost} master ${IF.internetBridge}`,
    `link set ${IF.internetToHost} up`,
  ]);
}

interface EniState extends AttachedEni {
  subnetIndex: number;
}

function handle(spec: VpcSpec, ns: VpcNamespaces): Vpc {
  const enis = new Map<string, EniState>();
  const eips = new Map<string, string>(); // public → private
  const exclusive = serial();
  let nextPort = 0;

  const renderSwitch = () =>
    nftLoad(
      ns.switch,
      switchRules(
        [...enis.values()].map((e) => ({
          port: e.switchPort,
          mac: e.mac,
          ips: e.ips,
          sourceDestCheck: e.sourceDestCheck,
        })),
      ),
    );
  const renderRouter = () =>
    nftLoad(
      ns.router,
      routerArpRules(
        [...enis.values()].flatMap((e) => e.ips.map((ip) => ({ ip, mac: e.mac }))),
        IF.routerToIgw,
      ),
    );
  const renderIgw = () => nftLoad(ns.igw, igwRules(eips, IF.igwToRouter, IF.igwToInternet));
  /** The router forgets what it learnt for addresses that left an ENI (no stale delivery to it). */
  const flushRouterNeighbours = async (ips: string[]) => {
    for (const ip of ips) await run('ip', ['-n', ns.router, 'neigh', 'flush', 'to', ip], { allowFailure: true });
  };
  const eni = (id: string) => {
    const e = enis.get(id);
    if (!e) throw new Error(`VPC ${spec.id} has no ENI '${id}'`);
    return e;
  };
  /** EC2's rules for a private IP of an ENI: in its subnet, not reserved, used nowhere (nor twice). */
  const checkAssignable = (ips: string[], subnetIndex: number, eniId: string) => {
    const subnet = spec.subnets[subnetIndex];
    const reserved = reservedAddresses(subnet.cidr);
    const seen = new Set<string>();
    for (const ip of ips) {
      checkIp(ip);
      if (!cidrContains(subnet.cidr, ip)) throw new Error(`${ip} is outside subnet ${subnet.name}`);
      if (reserved.includes(ip)) throw new Error(`${ip} is reserved in subnet ${subnet.name} (${subnet.cidr})`);
      if (seen.has(ip)) throw new Error(`${ip} is given twice for ENI '${eniId}'`);
      seen.add(ip);
      const owner = [...enis.values()].find((o) => o.ips.includes(ip));
      if (owner) throw new Error(`${ip} is already in use by ENI '${owner.id}'`);
    }
  };
  const publicOf = (e: EniState): AttachedEni => {
    const { subnetIndex: _s, ...attached } = e;
    return { ...attached, ips: [...e.ips] };
  };

  return {
    id: spec.id,
    spec,
    namespaces: ns,
    internetHostIp: INTERNET_HOST_IP,
    hostIp: spec.hostLink ? HOST_LINK_IP : undefined,
    hostIfname: spec.hostLink ? hostIfname(spec.id) : undefined,

    attachEni: (e: EniSpec) =>
      exclusive(async () => {
        checkEniId(e.id);
        if (enis.has(e.id)) throw new Error(`ENI '${e.id}' is already attached`);
        const subnetIndex = spec.subnets.findIndex((s) => s.name === e.subnet);
        if (subnetIndex < 0) throw new Error(`VPC ${spec.id} has no subnet '${e.subnet}'`);
        const mac = normalizeMac(e.mac);
        if (!e.ips.length) throw new Error(`ENI '${e.id}' needs at least one private IP`);
        checkAssignable(e.ips, subnetIndex, e.id);
        checkIfname(e.ifname);
        const target = typeof e.netns === 'string' ? e.netns : String(e.netns.pid);
        if (typeof e.netns === 'string') checkNetnsName(e.netns);
        else if (!Number.isInteger(e.netns.pid) || e.netns.pid <= 0)
          throw new Error('netns pid must be a positive integer');
        const port = `e${nextPort++}`;
        await run('ip', [
          '-n',
          ns.switch,
          'link',
          'add',
          port,
          'type',
          'veth',
          'peer',
          'name',
          e.ifname,
          'address',
          mac,
          'netns',
          target,
        ]);
        const state: EniState = {
          id: e.id,
          subnet: e.subnet,
          mac,
          ips: [...e.ips],
          sourceDestCheck: e.sourceDestCheck,
          switchPort: port,
          subnetIndex,
        };
        enis.set(e.id, state);
        try {
          // Rules first, then the port joins the bridge: no frame passes unfiltered.
          await renderSwitch();
          await renderRouter();
          await ipBatch(ns.switch, [`link set ${port} master ${IF.bridge(subnetIndex)}`, `link set ${port} up`]);
          if (typeof e.netns === 'string') await run('ip', ['-n', e.netns, 'link', 'set', e.ifname, 'up']);
          else await run('nsenter', ['-t', target, '-n', 'ip', 'link', 'set', e.ifname, 'up']);
        } catch (err) {
          enis.delete(e.id);
          await run('ip', ['-n', ns.switch, 'link', 'del', port], { allowFailure: true });
          throw err;
        }
        return publicOf(state);
      }),

    detachEni: (eniId: string) =>
      exclusive(async () => {
        const e = eni(eniId);
        await run('ip', ['-n', ns.switch, 'link', 'del', e.switchPort], { allowFailure: true });
        enis.delete(eniId);
        // As when EC2 deletes an interface: its elastic IPs are disassociated.
        const freed = [...eips.entries()].filter(([, priv]) => e.ips.includes(priv)).map(([pub]) => pub);
        for (const pub of freed) eips.delete(pub);
        await renderSwitch();
        await renderRouter();
        if (freed.length) await renderIgw();
        await flushRouterNeighbours(e.ips);
      }),

    setSourceDestCheck: (eniId: string, on: boolean) =>
      exclusive(async () => {
        eni(eniId).sourceDestCheck = on;
        await renderSwitch();
      }),

    assignPrivateIps: (eniId: string, ips: string[]) =>
      exclusive(async () => {
        const e = eni(eniId);
        if (!ips.length) throw new Error(`no private IPs to assign to ENI '${eniId}'`);
        checkAssignable(ips, e.subnetIndex, eniId);
        const before = e.ips;
        e.ips = [...before, ...ips];
        try {
          // Both tables change in one step each; the router's pairs first, so the new addresses
          // are never allowed out before the router would answer them.
          await renderRouter();
          await renderSwitch();
        } catch (err) {
          e.ips = before;
          await renderRouter().catch(() => undefined);
          await renderSwitch().catch(() => undefined);
          throw err;
        }
        return publicOf(e);
      }),

    unassignPrivateIps: (eniId: string, ips: string[]) =>
      exclusive(async () => {
        const e = eni(eniId);
        for (const ip of ips) {
          checkIp(ip);
          if (ip === e.ips[0])
            throw new Error(`${ip} is the primary private IP of ENI '${eniId}': it cannot be unassigned`);
          if (!e.ips.includes(ip)) throw new Error(`${ip} is not assigned to ENI '${eniId}'`);
        }
        e.ips = e.ips.filter((ip) => !ips.includes(ip));
        const freed = [...eips.entries()].filter(([, priv]) => ips.includes(priv)).map(([pub]) => pub);
        for (const pub of freed) eips.delete(pub);
        // Closing: the switch first (no frame from them leaves any more), then the router and the IGW.
        await renderSwitch();
        await renderRouter();
        if (freed.length) await renderIgw();
        await flushRouterNeighbours(ips);
        return publicOf(e);
      }),

    associateElasticIp: (privateIp: string, publicIp?: string) =>
      exclusive(async () => {
        checkIp(privateIp);
        if (![...enis.values()].some((e) => e.ips.includes(privateIp))) {
          throw new Error(`${privateIp} is no attached ENI's private IP`);
        }
        const current = [...eips.entries()].find(([, priv]) => priv === privateIp)?.[0];
        if (current && (!publicIp || publicIp === current)) return current;
        if (current) throw new Error(`${privateIp} already has elastic IP ${current}`);
        let pub = publicIp;
        if (pub) {
          checkIp(pub);
          if (!cidrContains(ELASTIC_IP_POOL, pub))
            throw new Error(`${pub} is outside the elastic IP pool ${ELASTIC_IP_POOL}`);
          if (eips.has(pub)) throw new Error(`elastic IP ${pub} is already associated`);
        } else {
          const base = ELASTIC_IP_POOL.split('.').slice(0, 3).join('.');
          for (let h = 10; h < 255 && !pub; h++) if (!eips.has(`${base}.${h}`)) pub = `${base}.${h}`;
          if (!pub) throw new Error('the elastic IP pool is exhausted');
        }
        eips.set(pub, privateIp);
        try {
          await renderIgw();
        } catch (err) {
          eips.delete(pub);
          throw err;
        }
        return pub;
      }),

    disassociateElasticIp: (publicIp: string) =>
      exclusive(async () => {
        checkIp(publicIp);
        const priv = eips.get(publicIp);
        if (!priv) throw new Error(`elastic IP ${publicIp} is not associated`);
        eips.delete(publicIp);
        try {
          await renderIgw();
        } catch (err) {
          eips.set(publicIp, priv);
          throw err;
        }
      }),

    elasticIps: () => new Map(eips),
    enis: () => [...enis.values()].map(publicOf),
    destroy: () => exclusive(() => destroyById(spec.id)),
  };
}
