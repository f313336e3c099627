// Names and validation for the emulated VPC. Interface names must fit IFNAMSIZ (15 chars); inside
// the VPC's own namespaces they are short fixed names, so only the host link needs a derived name.

import { createHash } from 'crypto';
import { isIpv4, parseCidr } from '../../core/net';

export const NAME_PREFIX = 'ooa-';

/** The four namespaces every VPC owns. */
export const VPC_NAMESPACE_ROLES = ['sw', 'rtr', 'igw', 'inet'] as const;

export function checkVpcId(id: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,23}$/.test(id)) {
    throw new Error(`vpc id '${id}' must be 1-24 chars of lowercase letters, digits and '-'`);
  }
}

export function namespaceName(id: string, role: (typeof VPC_NAMESPACE_ROLES)[number]): string {
  return `${NAME_PREFIX}${id}-${role}`;
}

/** The root namespace's nft table for the host link (nft table names may be long). */
export function hostTableName(id: string): string {
  return `${NAME_PREFIX}${id}-host`;
}

/** Root-namespace interface of the host link: 'ooa' + 8 hex of the id's hash + 'h' (12 chars). */
export function hostIfname(id: string): string {
  return `ooa${createHash('sha256').update(id).digest('hex').slice(0, 8)}h`;
}

/** A stable locally administered unicast MAC derived from a label (bridges, router ports). */
export function derivedMac(label: string): string {
  const h = createHash('sha256').update(label).digest();
  const bytes = [0x02, h[0], h[1], h[2], h[3], h[4]];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function checkIfname(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`'${name}' is not a valid interface name (≤ 15 chars)`);
}

export function checkNetnsName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(name)) throw new Error(`'${name}' is not a valid network namespace name`);
}

export function normalizeMac(mac: string): string {
  const m = mac.trim().toLowerCase();
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m)) throw new Error(`'${mac}' is not a MAC address`);
  if (parseInt(m.slice(0, 2), 16) & 1) throw new Error(`'${mac}' is a multicast MAC; an ENI needs a unicast one`);
  return m;
}

export function checkIp(ip: string): void {
  if (!isIpv4(ip)) throw new Error(`'${ip}' is not an IPv4 address`);
}

export function checkCidr(cidr: string): void {
  if (!parseCidr(cidr)) throw new Error(`'${cidr}' is not an IPv4 CIDR block`);
}

export function checkEniId(id: string): void {
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) throw new Error(`ENI id '${id}' has characters other than [A-Za-z0-9_.:-]`);
}
