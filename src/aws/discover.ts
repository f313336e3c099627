// Finds the resources of a stack: by the ids the ledger recorded AND by the stack tag AND by VPC, so
// teardown works after a crash, a cancel (a create whose answer never arrived), or from another run.
// With a run scope (the post step) it keeps only what that run created: resources whose tags name
// another run of the same stack id are never taken, not even when a stale ledger lists them.

import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  Filter,
  Tag,
} from '@aws-sdk/client-ec2';
import type { Io } from '../core/io';
import type { ResourceRecord, RunScope } from '../provider';
import type { Ec2 } from './client';
import { emptyFound, Found, Kind, KindName } from './kinds';
import { stackFilter } from './tags';

export const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** One resource as a Describe call showed it, with what teardown needs of it. */
export interface Seen {
  kind: KindName;
  id: string;
  tags: Record<string, string>;
  /** The VPC it lives in (subnets, groups, tables), if any. */
  vpcId?: string;
  into(f: Found): void;
}

function merge<T>(into: T[], items: T[], key: (t: T) => string): void {
  for (const item of items) if (!into.some((x) => key(x) === key(item))) into.push(item);
}

function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

const VPC_FILTER: Record<string, string> = {
  instance: 'vpc-id',
  eni: 'vpc-id',
  rt: 'vpc-id',
  igw: 'attachment.vpc-id',
  subnet: 'vpc-id',
  sg: 'vpc-id',
};

/**
 * One round of Describe calls (in parallel): by tag filters (every kind) or inside VPCs (the kinds
 * that live in one). The main route table and the default group come and go with their VPC.
 */
async function describeSeen(ec2: Ec2, by: { tags: Filter[] } | { vpcIds: string[] }): Promise<Seen[]> {
  const isTag = 'tags' in by;
  const filters = (kind: string): Filter[] =>
    'tags' in by ? by.tags : [{ Name: VPC_FILTER[kind], Values: by.vpcIds }];
  const [instances, enis, tables, igws, subnets, groups, vpcs, addresses, keys] = await Promise.all([
    ec2.call('DescribeInstances', (c) =>
      c.send(
        new DescribeInstancesCommand({
          Filters: [...filters('instance'), { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES }],
        }),
      ),
    ),
    ec2.call('DescribeNetworkInterfaces', (c) =>
      c.send(new DescribeNetworkInterfacesCommand({ Filters: filters('eni') })),
    ),
    ec2.call('DescribeRouteTables', (c) => c.send(new DescribeRouteTablesCommand({ Filters: filters('rt') }))),
    ec2.call('DescribeInternetGateways', (c) =>
      c.send(new DescribeInternetGatewaysCommand({ Filters: filters('igw') })),
    ),
    ec2.call('DescribeSubnets', (c) => c.send(new DescribeSubnetsCommand({ Filters: filters('subnet') }))),
    ec2.call('DescribeSecurityGroups', (c) => c.send(new DescribeSecurityGroupsCommand({ Filters: filters('sg') }))),
    isTag ? ec2.call('DescribeVpcs', (c) => c.send(new DescribeVpcsCommand({ Filters: by.tags }))) : undefined,
    isTag
      ? ec2.call('DescribeAddresses', (c) => c.send(new DescribeAddressesCommand({ Filters: by.tags })))
      : undefined,
    isTag ? ec2.call('DescribeKeyPairs', (c) => c.send(new DescribeKeyPairsCommand({ Filters: by.tags }))) : undefined,
  ]);
  const seen: Seen[] = [];
  const add = (kind: KindName, id: string | undefined, tags: Tag[] | undefined, into: Seen['into'], vpcId?: string) => {
    if (id) seen.push({ kind, id, tags: tagMap(tags), vpcId, into });
  };
  for (const i of (instances.Reservations ?? []).flatMap((r) => r.Instances ?? []))
    add(Kind.Instance, i.InstanceId, i.Tags, (f) => merge(f.instances, [i.InstanceId!], (x) => x));
  for (const n of enis.NetworkInterfaces ?? [])
    add(
      Kind.NetworkInterface,
      n.NetworkInterfaceId,
      n.TagSet,
      (f) => merge(f.networkInterfaces, [n.NetworkInterfaceId!], (x) => x),
      n.VpcId,
    );
  for (const t of tables.RouteTables ?? []) {
    if ((t.Associations ?? []).some((a) => a.Main)) continue;
    const associationIds = (t.Associations ?? []).flatMap((a) =>
      a.RouteTableAssociationId ? [a.RouteTableAssociationId] : [],
    );
    add(
      Kind.RouteTable,
      t.RouteTableId,
      t.Tags,
      (f) => merge(f.routeTables, [{ id: t.RouteTableId!, associationIds }], (x) => x.id),
      t.VpcId,
    );
  }
  for (const g of igws.InternetGateways ?? []) {
    const vpcIds = (g.Attachments ?? []).flatMap((a) => (a.VpcId ? [a.VpcId] : []));
    add(Kind.InternetGateway, g.InternetGatewayId, g.Tags, (f) =>
      merge(f.internetGateways, [{ id: g.InternetGatewayId!, vpcIds }], (x) => x.id),
    );
  }
  for (const s of subnets.Subnets ?? [])
    add(Kind.Subnet, s.SubnetId, s.Tags, (f) => merge(f.subnets, [s.SubnetId!], (x) => x), s.VpcId);
  for (const g of groups.SecurityGroups ?? []) {
    if (g.GroupName === 'default') continue;
    add(Kind.SecurityGroup, g.GroupId, g.Tags, (f) => merge(f.securityGroups, [g.GroupId!], (x) => x), g.VpcId);
  }
  for (const v of vpcs?.Vpcs ?? []) add(Kind.Vpc, v.VpcId, v.Tags, (f) => merge(f.vpcs, [v.VpcId!], (x) => x));
  for (const a of addresses?.Addresses ?? [])
    add(Kind.ElasticIp, a.AllocationId, a.Tags, (f) =>
      merge(f.addresses, [{ allocationId: a.AllocationId!, associationId: a.AssociationId }], (x) => x.allocationId),
    );
  for (const k of keys?.KeyPairs ?? [])
    add(Kind.KeyPair, k.KeyPairId, k.Tags, (f) => merge(f.keyPairs, [k.KeyPairId!], (x) => x));
  return seen;
}

/** Everything that carries the stack tag, whoever created it. */
export function describeStack(ec2: Ec2, stackId: string): Promise<Seen[]> {
  return describeSeen(ec2, { tags: [stackFilter(stackId)] });
}

/** True when the resource carries every tag of the scope (an empty scope claims nothing by tag). */
function inScope(tags: Record<string, string>, run: RunScope): boolean {
  const wanted = Object.entries(run.tags);
  return wanted.length > 0 && wanted.every(([k, v]) => tags[k] === v);
}

/** Addresses the ledger knows, with their current association (which Describe-by-tag may lag behind). */
async function describeAddresses(ec2: Ec2, allocationIds: string[]): Promise<Seen[]> {
  if (allocationIds.length === 0) return [];
  const out = await ec2.call('DescribeAddresses', (c) =>
    c.send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: allocationIds }] })),
  );
  return (out.Addresses ?? []).flatMap((a) =>
    a.AllocationId
      ? [
          {
            kind: Kind.ElasticIp,
            id: a.AllocationId,
            tags: tagMap(a.Tags),
            into: (f: Found) =>
              merge(
                f.addresses,
                [{ allocationId: a.AllocationId!, associationId: a.AssociationId }],
                (x) => x.allocationId,
              ),
          },
        ]
      : [],
  );
}

export async function discover(
  ec2: Ec2,
  stackId: string,
  known: ResourceRecord[],
  run?: RunScope,
  io?: Pick<Io, 'info'>,
): Promise<Found> {
  const knownVpcs = known.filter((r) => r.kind === Kind.Vpc).map((r) => r.id);
  // One round for what the ledger and the tags show, the inside of each recorded VPC included (kept
  // only if that VPC turns out to be this run's); a second only for VPCs the ledger did not know.
  const [tagged, knownAddresses, ...insideKnown] = await Promise.all([
    describeStack(ec2, stackId),
    describeAddresses(
      ec2,
      known.filter((r) => r.kind === Kind.ElasticIp).map((r) => r.id),
    ),
    ...knownVpcs.map((v) => describeSeen(ec2, { vpcIds: [v] })),
  ]);
  // What another run of this stack id created: never deleted by this run, whatever its ledger says.
  const foreign = new Set(
    run ? [...tagged, ...knownAddresses].filter((s) => !inScope(s.tags, run)).map((s) => s.id) : [],
  );
  const theirs = known.filter((r) => foreign.has(r.id));
  if (theirs.length > 0)
    io?.info(
      `Keeping ${theirs.map((r) => `${r.kind} ${r.id}`).join(', ')}: created by another run of stack ${stackId}`,
    );
  const mine = known.filter((r) => !foreign.has(r.id));
  const ids = (kind: string) => mine.filter((r) => r.kind === kind).map((r) => r.id);

  const f = emptyFound();
  const own = [...tagged, ...knownAddresses].filter((s) => !foreign.has(s.id));
  for (const s of own) s.into(f);
  // Our subnets, groups and tables live only in our VPC: theirs is ours even if its own tag is missing.
  merge(
    f.vpcs,
    own.flatMap((s) => (s.vpcId ? [s.vpcId] : [])).filter((v) => !foreign.has(v)),
    (x) => x,
  );
  merge(f.vpcs, ids(Kind.Vpc), (x) => x);
  // Inside our VPCs everything is ours (another run cannot create in them): found even untagged.
  knownVpcs.forEach((v, i) => {
    if (!foreign.has(v)) for (const s of insideKnown[i]) s.into(f);
  });
  const unrecorded = f.vpcs.filter((v) => !knownVpcs.includes(v));
  if (unrecorded.length > 0) for (const s of await describeSeen(ec2, { vpcIds: unrecorded })) s.into(f);

  // Recorded ids that Describe did not show (eventual consistency, or already gone): deleting them
  // costs one call each and answers NotFound when they are gone.
  merge(f.instances, ids(Kind.Instance), (x) => x);
  merge(f.networkInterfaces, ids(Kind.NetworkInterface), (x) => x);
  merge(
    f.routeTables,
    ids(Kind.RouteTable).map((id) => ({ id, associationIds: [] })),
    (x) => x.id,
  );
  merge(
    f.internetGateways,
    ids(Kind.InternetGateway).map((id) => ({ id, vpcIds: ids(Kind.Vpc) })),
    (x) => x.id,
  );
  merge(f.subnets, ids(Kind.Subnet), (x) => x);
  merge(f.securityGroups, ids(Kind.SecurityGroup), (x) => x);
  merge(
    f.addresses,
    ids(Kind.ElasticIp).map((allocationId) => ({ allocationId })),
    (x) => x.allocationId,
  );
  merge(f.keyPairs, ids(Kind.KeyPair), (x) => x);
  return f;
}
