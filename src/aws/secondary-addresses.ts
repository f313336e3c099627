// network-fix routed on EC2 (issue 15): the controller's provider ENI is created with the Plan's
// pool as secondary private addresses (fixed, like every other address), and the pool addresses
// the Plan marks get an elastic IP associated with exactly that private address. Each elastic IP
// is tagged at creation and recorded the moment it exists; the secondary addresses are recorded
// with their interface and go with it (post, down and sweep delete the interface, and release
// every tagged elastic IP after disassociating it).

import type { CreateNetworkInterfaceCommandInput } from '@aws-sdk/client-ec2';
import type { Plan, PlannedNic } from '../plan/types';
import { controllerOf } from '../plan/plan';
import { Kind } from './kinds';
import { allocateAddress, associateAddress, UpContext } from './network';

/**
 * CreateNetworkInterface's address parameters for a NIC: the primary alone, or (with secondary
 * addresses) every address listed with the primary marked, so EC2 assigns exactly the Plan's.
 */
export function interfaceAddresses(
  nic: PlannedNic,
): Pick<CreateNetworkInterfaceCommandInput, 'PrivateIpAddress' | 'PrivateIpAddresses'> {
  if (!nic.secondaryIps?.length) return { PrivateIpAddress: nic.ip };
  return {
    PrivateIpAddresses: [
      { PrivateIpAddress: nic.ip, Primary: true },
      ...nic.secondaryIps.map((ip) => ({ PrivateIpAddress: ip, Primary: false })),
    ],
  };
}

/** Records the secondary addresses of an interface that was just created (State shows them). */
export function recordSecondaryAddresses(u: UpContext, node: string, nic: PlannedNic, eniId: string): void {
  for (const ip of nic.secondaryIps ?? []) u.record(Kind.SecondaryAddress, `${eniId}/${ip}`, node);
}

interface PoolElasticIp {
  privateIp: string;
  allocationId: string;
  publicIp: string;
}

/** The pool addresses that get an elastic IP, in Plan order (the router gateway's first). */
export function poolElasticAddresses(plan: Plan): string[] {
  return plan.networks.external.pool.filter((p) => p.elasticIp).map((p) => p.ip);
}

/** AllocateAddress for one pool address: tagged with the stack and the address it is for. */
export async function allocatePoolAddress(u: UpContext, privateIp: string): Promise<PoolElasticIp> {
  const node = controllerOf(u.plan).name;
  const a = await allocateAddress(u, node, `pool-${privateIp.replace(/\./g, '-')}`);
  return { privateIp, ...a };
}

/**
 * AssociateAddress with the chosen secondary private address of the provider ENI (EC2 refuses an
 * address the interface does not have).
 */
export async function associatePoolAddress(u: UpContext, eip: PoolElasticIp, providerEniId: string): Promise<void> {
  await associateAddress(u, eip.allocationId, providerEniId, eip.privateIp);
}
