// The emulated internet uses 203.0.113.0/24, and the VPC's host link puts that whole range on a
// host interface. Where the host's own Debian mirror resolves into that range (or into the elastic
// IP pool), the host link would swallow apt-cacher-ng's upstream traffic. A /32 route per mirror
// address, via the path the host used before, keeps the mirror where it was. Removed at `down`.

import { promises as dns } from 'dns';
import { cidrContains } from '../core/net';
import type { Run } from './exec';
import type { DebianMirror } from './host-mirror';
import { ELASTIC_IP_POOL, INTERNET_CIDR } from './vpc';

async function mirrorAddresses(mirror: DebianMirror): Promise<string[]> {
  const hosts = new Set(
    [mirror.archive, mirror.security].filter((u): u is string => !!u).map((u) => new URL(u).hostname),
  );
  const ips = new Set<string>();
  for (const h of hosts) {
    try {
      for (const a of await dns.lookup(h, { all: true, family: 4 })) ips.add(a.address);
    } catch {
      // Unresolvable here: nothing to protect (the cache will report the mirror as unreachable).
    }
  }
  return [...ips];
}

/** `ip route get` → the route spec ("via 192.0.2.1 dev eth0" or "dev eth0") the host uses now. */
export function routeSpec(routeGet: string): string[] | undefined {
  const via = /\bvia (\S+)/.exec(routeGet)?.[1];
  const dev = /\bdev (\S+)/.exec(routeGet)?.[1];
  if (!dev) return undefined;
  return via ? ['via', via, 'dev', dev] : ['dev', dev];
}

interface PlannedRoute {
  /** "ip/32" */
  destination: string;
  /** What `ip route` needs after the destination, e.g. ['via', '192.0.2.1', 'dev', 'eth0']. */
  spec: string[];
}

/**
 * The host's current path to every mirror address inside the emulated ranges. Must run BEFORE the
 * host link exists: afterwards `ip route get` would answer with the host link itself.
 */
export async function mirrorRoutesToPin(run: Run, mirror: DebianMirror): Promise<PlannedRoute[]> {
  const planned: PlannedRoute[] = [];
  for (const ip of await mirrorAddresses(mirror)) {
    if (!cidrContains(INTERNET_CIDR, ip) && !cidrContains(ELASTIC_IP_POOL, ip)) continue;
    const got = await run('ip', ['-o', 'route', 'get', ip], { allowFailure: true });
    const spec = routeSpec(got.stdout);
    if (got.code !== 0 || !spec) continue;
    planned.push({ destination: `${ip}/32`, spec });
  }
  return planned;
}

/** Adds the /32 routes (once the host link exists). Returns the destinations it added. */
export async function pinMirrorRoutes(run: Run, planned: PlannedRoute[]): Promise<string[]> {
  for (const r of planned) await run('ip', ['route', 'replace', r.destination, ...r.spec]);
  return planned.map((r) => r.destination);
}

export async function unpinMirrorRoutes(run: Run, routes: string[]): Promise<void> {
  for (const r of routes) await run('ip', ['route', 'del', r], { allowFailure: true });
}
