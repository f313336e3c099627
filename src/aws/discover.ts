// Finds everything of a stack: by the ids the ledger recorded AND by the stack tag AND by VPC, so
// teardown works after a crash, a cancel (a create whose answer never arrived), or from another run.

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
} from '@aws-sdk/client-ec2';
import type { ResourceRecord } from '../provider';
import type { Ec2 } from './client';
import { emptyFound, Found, Kind } from './kinds';
import { stackFilter } from './tags';

const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

function merge<T>(into: T[], items: T[], key: (t: T) => string): void {
  for (const item of items) if (!into.some((x) => key(x) === key(item))) into.push(item);
}

/** One round of Describe calls (in parallel) for one filter; adds what they find. */
async function describeAll(ec2: Ec2, filter: Filter, vpcFilterName: (kind: string) => string, f: Found): Promise<void> {
  const by = (kind: string): Filter[] => [{ Name: vpcFilterName(kind), Values: filter.Values }];
  const isTag = filter.Name?.startsWith('tag:') ?? false;
  const filters = (kind: string): Filter[] => (isTag ? [filter] : by(kind));
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
    isTag ? ec2.call('DescribeVpcs', (c) => c.send(new DescribeVpcsCommand({ Filters: [filter] }))) : undefined,
    isTag
      ? ec2.call('DescribeAddresses', (c) => c.send(new DescribeAddressesCommand({ Filters: [filter] })))
      : undefined,
    isTag ? ec2.call('DescribeKeyPairs', (c) => c.send(new DescribeKeyPairsCommand({ Filters: [filter] }))) : undefined,
  ]);
  merge(
    f.instances,
    (instances.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
    (x) => x,
  );
  merge(
    f.networkInterfaces,
    (enis.NetworkInterfaces ?? []).flatMap((n) => (n.NetworkInterfaceId ? [n.NetworkInterfaceId] : [])),
    (x) => x,
  );
  merge(
    f.routeTables,
    (tables.RouteTables ?? [])
      // The main table comes and goes with its VPC and cannot be deleted on its own.
      .filter((t) => t.RouteTableId && !(t.Associations ?? []).some((a) => a.Main))
      .map((t) => ({
        id: t.RouteTableId!,
        associationIds: (t.Associations ?? []).flatMap((a) =>
          a.RouteTableAssociationId ? [a.RouteTableAssociationId] : [],
        ),
      })),
    (x) => x.id,
  );
  merge(
    f.internetGateways,
    (igws.InternetGateways ?? []).flatMap((g) =>
      g.InternetGatewayId
        ? [{ id: g.InternetGatewayId, vpcIds: (g.Attachments ?? []).flatMap((a) => (a.VpcId ? [a.VpcId] : [])) }]
        : [],
    ),
    (x) => x.id,
  );
  merge(
    f.subnets,
    (subnets.Subnets ?? []).flatMap((s) => (s.SubnetId ? [s.SubnetId] : [])),
    (x) => x,
  );
  merge(
    f.securityGroups,
    // Every VPC has a "default" group that goes with the VPC and cannot be deleted on its own.
    (groups.SecurityGroups ?? [])
      .filter((g) => g.GroupName !== 'default')
      .flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    (x) => x,
  );
  if (vpcs) {
    // Our subnets, groups and tables live only in our VPC: theirs is ours even if its own tag is missing.
    const parents = [...(subnets.Subnets ?? []), ...(groups.SecurityGroups ?? []), ...(tables.RouteTables ?? [])].map(
      (x) => x.VpcId,
    );
    merge(
      f.vpcs,
      parents.filter((v): v is string => !!v),
      (x) => x,
    );
  }
  if (vpcs)
    merge(
      f.vpcs,
      (vpcs.Vpcs ?? []).flatMap((v) => (v.VpcId ? [v.VpcId] : [])),
      (x) => x,
    );
  if (addresses)
    merge(
      f.addresses,
      (addresses.Addresses ?? []).flatMap((a) =>
        a.AllocationId ? [{ allocationId: a.AllocationId, associationId: a.AssociationId }] : [],
      ),
      (x) => x.allocationId,
    );
  if (keys)
    merge(
      f.keyPairs,
      (keys.KeyPairs ?? []).flatMap((k) => (k.KeyPairId ? [k.KeyPairId] : [])),
      (x) => x,
    );
}

const VPC_FILTER: Record<string, string> = {
  instance: 'vpc-id',
  eni: 'vpc-id',
  rt: 'vpc-id',
  igw: 'attachment.vpc-id',
  subnet: 'vpc-id',
  sg: 'vpc-id',
};

/** Addresses the ledger knows, with their current association (which Describe-by-tag may lag behind). */
async function describeAddresses(ec2: Ec2, allocationIds: string[], f: Found): Promise<void> {
  if (allocationIds.length === 0) return;
  const out = await ec2.call('DescribeAddresses', (c) =>
    c.send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: allocationIds }] })),
  );
  merge(
    f.addresses,
    (out.Addresses ?? []).flatMap((a) =>
      a.AllocationId ? [{ allocationId: a.AllocationId, associationId: a.AssociationId }] : [],
    ),
    (x) => x.allocationId,
  );
}

export async function discover(ec2: Ec2, stackId: string, known: ResourceRecord[]): Promise<Found> {
  const f = emptyFound();
  const ids = (kind: string) => known.filter((r) => r.kind === kind).map((r) => r.id);
  const knownVpcs = ids(Kind.Vpc);
  const byVpc = (vpcIds: string[]) =>
    vpcIds.length ? describeAll(ec2, { Name: 'vpc-id', Values: vpcIds }, (k) => VPC_FILTER[k], f) : Promise.resolve();
  await Promise.all([
    describeAll(ec2, stackFilter(stackId), () => '', f),
    byVpc(knownVpcs),
    describeAddresses(ec2, ids(Kind.ElasticIp), f),
  ]);
  // VPCs found only by tag (the run died before recording them): look inside them too.
  await byVpc(f.vpcs.filter((v) => !knownVpcs.includes(v)));
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
    ids(Kind.InternetGateway).map((id) => ({ id, vpcIds: knownVpcs })),
    (x) => x.id,
  );
  merge(f.subnets, ids(Kind.Subnet), (x) => x);
  merge(f.securityGroups, ids(Kind.SecurityGroup), (x) => x);
  merge(f.vpcs, knownVpcs, (x) => x);
  merge(f.keyPairs, ids(Kind.KeyPair), (x) => x);
  return f;
}
