// MAC addresses for the nodes' NICs: locally administered, unicast, and the same for the same stack,
// node and NIC on every run, so a re-run after a crash and the network fix see the same ENIs.

import { createHash } from 'crypto';

export function nicMac(stackId: string, node: string, nic: string): string {
  const h = createHash('sha256').update(`${stackId}/${node}/${nic}`).digest();
  // 0x02: locally administered, unicast (bit 0 clear). The rest comes from the hash.
  const bytes = [0x02, h[0], h[1], h[2], h[3], h[4]];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
