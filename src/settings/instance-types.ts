// What we know about EC2 instance types without calling AWS: enough to refuse an impossible choice
// before anything is created. The AWS provider re-checks every type with DescribeInstanceTypes
// (network interfaces, architecture, nested virtualization) before it launches.

export type Role = 'controller' | 'compute' | 'block' | 'object';
export const ROLES: readonly Role[] = ['controller', 'compute', 'block', 'object'];

/** The seeds' names for a node's NICs; the OS names (eth0, ens5, enX0) are found on the node by MAC. */
export type NicName = 'eth0' | 'eth1' | 'eth2';

/**
 * The NICs each role has (the seeds' EC2 table): the Plan builds exactly these, and the inputs
 * refuse an instance type that cannot carry as many.
 */
export const ROLE_NICS: Record<Role, readonly NicName[]> = {
  controller: ['eth0', 'eth1', 'eth2'],
  compute: ['eth0', 'eth1'],
  block: ['eth0'],
  object: ['eth0'],
};

/** The seeds' EC2 table (t2.xlarge / t2.medium) moved to current families. */
export const DEFAULT_INSTANCE_TYPES: Record<Role, string> = {
  controller: 'm7i.xlarge', // 4 vCPU, 16 GiB, up to 4 NICs (the seeds' t2.xlarge)
  compute: 'm8i.xlarge', // 4 vCPU, 16 GiB; offers nested virtualization, so instances run on KVM
  block: 't3.medium', // 2 vCPU, 4 GiB (the seeds' t2.medium)
  object: 't3.medium',
};

/** Sizes of the t2/t3 burstable families, where the limit does not follow the size rule below. */
const BURSTABLE_ENIS: Record<string, number> = {
  nano: 2,
  micro: 2,
  small: 3,
  medium: 3,
  large: 3,
  xlarge: 3,
  '2xlarge': 3,
};

/** Nitro general/compute/memory families: the limit grows with the size. */
const SIZE_ENIS: Record<string, number> = {
  medium: 2,
  large: 3,
  xlarge: 4,
  '2xlarge': 4,
  '4xlarge': 8,
  '8xlarge': 8,
  '12xlarge': 8,
  '16xlarge': 15,
  '24xlarge': 15,
  '32xlarge': 15,
  '48xlarge': 15,
  metal: 15,
  'metal-24xl': 15,
  'metal-48xl': 15,
};

// The plain Nitro families and their a/i/g processor and d local-disk variants (m5, m5ad, m6id,
// m7i-flex, c7gd, ...), whose limits follow the size tables above. The network-optimized (n),
// high-frequency (z) and other variants differ at the large sizes (m5zn.12xlarge: 15 interfaces of
// 50 addresses, not 8 of 30), so for them only AWS's DescribeInstanceTypes decides.
const NITRO_FAMILY = /^(m|c|r)[5-8](a|i|g)?d?(-flex)?$/;

export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

/** Maximum network interfaces for a type, or undefined when only AWS can tell. */
export function knownMaxNics(instanceType: string): number | undefined {
  const [family, size] = instanceType.split('.');
  if (!family || !size) return undefined;
  if (family === 't2' || family === 't3' || family === 't3a') {
    // t3(a).xlarge/2xlarge allow 4, t2 stays at 3
    if (family !== 't2' && (size === 'xlarge' || size === '2xlarge')) return 4;
    return BURSTABLE_ENIS[size];
  }
  if (NITRO_FAMILY.test(family)) return SIZE_ENIS[size];
  return undefined;
}

/**
 * Whether guests can use KVM on this type: bare metal, or the 8th-generation Intel families that
 * offer nested virtualization as a CPU option. Everything else runs instances under QEMU (TCG).
 */
export function offersNestedVirtualization(instanceType: string): boolean {
  const [family, size] = instanceType.split('.');
  if (!family || !size) return false;
  if (size.startsWith('metal')) return true;
  return /^(c8i|m8i|r8i)(-flex)?$/.test(family);
}

/** Private IPv4 addresses per network interface (primary included) of the t2/t3 burstable sizes. */
const BURSTABLE_IPV4_PER_ENI: Record<string, number> = {
  nano: 2,
  micro: 2,
  small: 4,
  medium: 6,
  large: 12,
  xlarge: 15,
  '2xlarge': 15,
};

/** The same for the Nitro general/compute/memory families (m5…m8, c5…c8, r5…r8): it grows with the size. */
const SIZE_IPV4_PER_ENI: Record<string, number> = {
  medium: 4,
  large: 10,
  xlarge: 15,
  '2xlarge': 15,
  '4xlarge': 30,
  '8xlarge': 30,
  '12xlarge': 30,
  '16xlarge': 50,
  '24xlarge': 50,
  '32xlarge': 50,
  '48xlarge': 50,
  metal: 50,
  'metal-24xl': 50,
  'metal-48xl': 50,
};

/**
 * Private IPv4 addresses one network interface of this type may hold (its primary included), or
 * undefined when only AWS can tell (DescribeInstanceTypes' Ipv4AddressesPerInterface, which the
 * provider's preflight reads). Bounds the routed network fix's pool of secondary addresses.
 */
export function knownIpv4PerEni(instanceType: string): number | undefined {
  const [family, size] = instanceType.split('.');
  if (!family || !size) return undefined;
  if (family === 't2' || family === 't3' || family === 't3a') return BURSTABLE_IPV4_PER_ENI[size];
  if (NITRO_FAMILY.test(family)) return SIZE_IPV4_PER_ENI[size];
  return undefined;
}

/** The most any instance type allows per interface (minus the primary): the bound where the type is unknown. */
export const MAX_SECONDARY_IPV4_PER_ENI = 49;
