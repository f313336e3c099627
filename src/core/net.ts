// Small IPv4 helpers: the Plan computes subnets and fixed addresses with these, and the inputs
// validate CIDRs with them. No I/O.

interface Cidr {
  address: string;
  network: string;
  prefix: number;
  octets: number[];
}

export function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return (
    parts.length === 4 &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && (p === '0' || !p.startsWith('0')))
  );
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m || !isIpv4(m[1]) || Number(m[2]) > 32) return undefined;
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  const network = intToIp(Math.floor(ipToInt(m[1]) / size) * size);
  return { address: m[1], network, prefix, octets: m[1].split('.').map(Number) };
}

/** The n-th /24 inside a block (n = 0 is the first). */
export function subnet24(block: string, n: number): string {
  const c = parseCidr(block);
  if (!c || c.prefix > 24) throw new Error(`cannot carve /24 subnets out of ${block}`);
  return `${intToIp(ipToInt(c.network) + n * 256)}/24`;
}

/** The address at offset `host` inside a CIDR block. */
export function hostIn(cidr: string, host: number): string {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not a CIDR block: ${cidr}`);
  if (host <= 0 || host >= 2 ** (32 - c.prefix) - 1) throw new Error(`host ${host} is outside ${cidr}`);
  return intToIp(ipToInt(c.network) + host);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  if (!c || !isIpv4(ip)) return false;
  const size = 2 ** (32 - c.prefix);
  const start = ipToInt(c.network);
  const n = ipToInt(ip);
  return n >= start && n < start + size;
}
