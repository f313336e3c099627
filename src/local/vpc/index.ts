// The emulated AWS VPC: one implementation shared by the network-fix tests and the local provider.
//
// It builds, in network namespaces it creates (all named `ooa-<vpc id>-…`), what an EC2 instance sees
// of a VPC, with the rules that make the seeds' network fix necessary:
//
//   node netns ──veth(ENI)── switch netns: one Linux bridge per subnet, nftables bridge rules per port
//                                  │ (router port, trusted)
//                            router netns: .1 in each subnet, route table per subnet (policy routing
//                                  │         by ingress interface), answers ARP only for registered pairs
//                            igw netns: 1:1 NAT elastic IP ⇄ private IP, drops private sources without one
//                                  │
//                            internet netns: 203.0.113.0/24, is itself the internet host 203.0.113.10
//                                  │ (optional)
//                            host root netns: 203.0.113.1 (SSH to elastic IPs, the apt cache on :3142)
//
// AWS rules per ENI (switch port), as the seeds describe them:
//   - a frame from an ENI passes only if its source MAC is the ENI's MAC (also the ARP sender MAC);
//   - its source IPv4 / ARP sender IP must be one of the ENI's IPs, unless source/dest check is off
//     (which frees the IP, never the MAC); anything but IPv4 and ARP is dropped;
//   - with source/dest check on, unicast IPv4 frames to the ENI must be addressed to one of its IPs.
//
// Every command is run with execFile-style argument vectors (no shell); names, MACs and addresses are
// validated before they reach a command line or an nft script.

export * from './types';
export { createVpc } from './vpc';
export { destroyById, findLeftovers, vpcNamespaceNames } from './cleanup';
export { vpcSpecFromPlan } from './from-plan';
export { nsExec } from './run';
export type { RunResult } from './run';
