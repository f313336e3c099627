// The EC2 side of the fix (seed 000 step 11): which NICs must have source/dest check off. The AWS
// provider sets it at provisioning from the Plan; nothing is called here, the list is for the log
// and for the local provider's emulated VPC.

import type { Plan } from '../plan/types';

interface SourceDestCheckOff {
  node: string;
  nic: string;
  ip: string;
  why: string;
}

/**
 * Every plan NIC with source/dest check off, and why. In the decided design that is the
 * controller's eth0: the management subnet's default route targets it, so it receives frames
 * addressed to the internet (not to its own IP) and forwards them out eth2 masqueraded. eth2 keeps
 * the check (after MASQUERADE its frames carry its own address) and so does eth1 (the router gateway
 * uses eth1's registered address).
 */
export function sourceDestCheckOff(plan: Plan): SourceDestCheckOff[] {
  return plan.nodes.flatMap((node) =>
    node.nics
      .filter((nic) => !nic.sourceDestCheck)
      .map((nic) => ({ node: node.name, nic: nic.name, ip: nic.ip, why: nic.why })),
  );
}
