// The kinds of resource a local stack records in the ledger and reports at teardown: one typed
// list, so up, down and the tests name them the same way (the EC2 provider's is aws/kinds.ts).

import type { ResourceRecord } from '../provider';

export const LocalKind = {
  StackDir: 'local-stack-dir',
  AptCacheProcess: 'apt-cache-process',
  Vpc: 'vpc',
  HostRoute: 'host-route',
  NodeRoot: 'node-root',
  Netns: 'netns',
  LoopDevice: 'loop-device',
  /** A node's systemd-nspawn process. */
  Process: 'process',
  /** The machine's init (PID 1 inside), which can outlive its nspawn. */
  ProcessLeader: 'process-leader',
  ElasticIp: 'elastic-ip',
  Mount: 'mount',
  Link: 'link',
  NftTable: 'nft-table',
} as const;
type LocalKindName = (typeof LocalKind)[keyof typeof LocalKind];

/** A ledger or teardown record of the local provider. */
export interface LocalRecord extends ResourceRecord {
  kind: LocalKindName;
}

/** The ids the ledger holds of one kind (and node, when given), from what a run saved. */
export function idsOf(known: readonly ResourceRecord[], kind: LocalKindName, node?: string): string[] {
  return known.filter((r) => r.kind === kind && (node === undefined || r.node === node)).map((r) => r.id);
}
