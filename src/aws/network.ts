// The VPC-wide pieces of a stack: VPC, internet gateway, route tables and routes, security groups,
// elastic IPs and the key pair. Each function records the new id in the ledger the moment EC2
// returns it, before anything waits on it. Each create survives a lost answer without a duplicate:
// a ClientToken where EC2 takes one, elsewhere a lookup by this run's tags before the resend, and a
// Duplicate (or "already") answer after a lost one is taken as the lost attempt's success.

import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  ImportKeyPairCommand,
  IpPermission,
} from '@aws-sdk/client-ec2';
import type { Io } from '../core/io';
import { PRODUCT } from '../core/names';
import type { Plan, PlannedSecurityGroup, SecurityRule } from '../plan/types';
import type { Ec2 } from './client';
import { errorCode, isNotFound } from './errors';
import { Kind, KindName } from './kinds';
import { clientToken, ownFilters, tagSpec } from './tags';

export interface UpContext {
  ec2: Ec2;
  plan: Plan;
  io: Pick<Io, 'info' | 'warning'>;
  record(kind: KindName, id: string, node?: string): void;
}

/** Right after a create, EC2 may not know the new id yet for a moment. */
export const FRESH = { retryAlso: isNotFound };

/** The error codes that, after a lost answer, mean the lost attempt took effect. */
export const answeredBy =
  (...codes: string[]) =>
  (err: unknown) =>
    codes.includes(errorCode(err));

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null || value === '') throw new Error(`EC2 returned no ${what}`);
  return value;
}

export async function createVpc(u: UpContext): Promise<string> {
  const name = `${u.plan.stackId}-vpc`;
  const out = await u.ec2.call(
    'CreateVpc',
    (c) =>
      c.send(new CreateVpcCommand({ CidrBlock: u.plan.vpcCidr, TagSpecifications: tagSpec('vpc', u.plan.tags, name) })),
    {
      findCreated: async () => {
        const found = await u.ec2.call('DescribeVpcs', (c) =>
          c.send(new DescribeVpcsCommand({ Filters: ownFilters(u.plan.tags, name) })),
        );
        const vpc = found.Vpcs?.[0];
        return vpc ? { $metadata: {}, Vpc: vpc } : undefined;
      },
    },
  );
  const id = required(out.Vpc?.VpcId, 'VPC id');
  u.record(Kind.Vpc, id);
  return id;
}

export async function createInternetGateway(u: UpContext): Promise<string> {
  const name = `${u.plan.stackId}-igw`;
  const out = await u.ec2.call(
    'CreateInternetGateway',
    (c) =>
      c.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', u.plan.tags, name) })),
    {
      findCreated: async () => {
        const found = await u.ec2.call('DescribeInternetGateways', (c) =>
          c.send(new DescribeInternetGatewaysCommand({ Filters: ownFilters(u.plan.tags, name) })),
        );
        const igw = found.InternetGateways?.[0];
        return igw ? { $metadata: {}, InternetGateway: igw } : undefined;
      },
    },
  );
  const id = required(out.InternetGateway?.InternetGatewayId, 'internet gateway id');
  u.record(Kind.InternetGateway, id);
  return id;
}

export async function attachInternetGateway(u: UpContext, igwId: string, vpcId: string): Promise<void> {
  await u.ec2.call(
    'AttachInternetGateway',
    (c) => c.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId })),
    { ...FRESH, tookEffect: answeredBy('Resource.AlreadyAssociated') },
  );
}

export async function createRouteTable(u: UpContext, vpcId: string, subnet: string): Promise<string> {
  const out = await u.ec2.call(
    'CreateRouteTable',
    (c) =>
      c.send(
        new CreateRouteTableCommand({
          VpcId: vpcId,
          TagSpecifications: tagSpec('route-table', u.plan.tags, `${u.plan.stackId}-${subnet}`),
          ClientToken: clientToken(u.plan.tags, 'route-table', vpcId, subnet),
        }),
      ),
    FRESH,
  );
  const id = required(out.RouteTable?.RouteTableId, 'route table id');
  u.record(Kind.RouteTable, id);
  return id;
}

export async function addDefaultRoute(
  u: UpContext,
  tableId: string,
  target: { gatewayId: string } | { networkInterfaceId: string },
): Promise<void> {
  await u.ec2.call(
    'CreateRoute',
    (c) =>
      c.send(
        new CreateRouteCommand({
          RouteTableId: tableId,
          DestinationCidrBlock: '0.0.0.0/0',
          ...('gatewayId' in target
            ? { GatewayId: target.gatewayId }
            : { NetworkInterfaceId: target.networkInterfaceId }),
        }),
      ),
    { ...FRESH, tookEffect: answeredBy('RouteAlreadyExists') },
  );
}

export async function associateRouteTable(u: UpContext, tableId: string, subnetId: string): Promise<void> {
  await u.ec2.call(
    'AssociateRouteTable',
    (c) => c.send(new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId })),
    { ...FRESH, tookEffect: answeredBy('Resource.AlreadyAssociated') },
  );
}

/** EC2 accepts only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* in security group descriptions. */
export function ec2Description(text: string): string {
  return text
    .replace(/[’']/g, '')
    .replace(/[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255);
}

function ipPermissions(rules: SecurityRule[], vpcCidr: string, allowedCidrs: string[]): IpPermission[] {
  return rules.map((r) => {
    const cidrs = r.source === 'vpc' ? [vpcCidr] : allowedCidrs;
    return {
      IpProtocol: r.protocol === 'all' ? '-1' : r.protocol,
      ...(r.protocol === 'all' ? {} : { FromPort: r.fromPort ?? -1, ToPort: r.toPort ?? -1 }),
      IpRanges: cidrs.map((CidrIp) => ({ CidrIp, Description: ec2Description(r.description) })),
    };
  });
}

export async function createSecurityGroup(u: UpContext, vpcId: string, group: PlannedSecurityGroup): Promise<string> {
  const name = `${PRODUCT}-${u.plan.stackId}-${group.name}`;
  const tagName = `${u.plan.stackId}-${group.name}`;
  const out = await u.ec2.call(
    'CreateSecurityGroup',
    (c) =>
      c.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          Description: ec2Description(group.description) || name,
          VpcId: vpcId,
          TagSpecifications: tagSpec('security-group', u.plan.tags, tagName),
        }),
      ),
    {
      ...FRESH,
      tookEffect: answeredBy('InvalidGroup.Duplicate'),
      findCreated: async () => {
        const found = await u.ec2.call('DescribeSecurityGroups', (c) =>
          c.send(
            new DescribeSecurityGroupsCommand({
              Filters: [...ownFilters(u.plan.tags, tagName), { Name: 'vpc-id', Values: [vpcId] }],
            }),
          ),
        );
        const id = found.SecurityGroups?.[0]?.GroupId;
        return id ? { $metadata: {}, GroupId: id } : undefined;
      },
    },
  );
  const id = required(out.GroupId, 'security group id');
  u.record(Kind.SecurityGroup, id);
  return id;
}

export async function authorizeIngress(
  u: UpContext,
  groupId: string,
  group: PlannedSecurityGroup,
  allowedCidrs: string[],
): Promise<void> {
  const permissions = ipPermissions(group.ingress, u.plan.vpcCidr, allowedCidrs);
  if (permissions.length === 0) return;
  await u.ec2.call(
    'AuthorizeSecurityGroupIngress',
    (c) =>
      c.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: permissions,
          TagSpecifications: tagSpec('security-group-rule', u.plan.tags, `${u.plan.stackId}-${group.name}`),
        }),
      ),
    // The group is this run's own, just created: rules already in it after a lost answer are ours.
    { ...FRESH, tookEffect: answeredBy('InvalidPermission.Duplicate') },
  );
}

export async function allocateAddress(
  u: UpContext,
  node: string,
  nic: string,
): Promise<{ allocationId: string; publicIp: string }> {
  const name = `${u.plan.stackId}-${node}-${nic}`;
  const out = await u.ec2.call(
    'AllocateAddress',
    (c) =>
      c.send(
        new AllocateAddressCommand({
          Domain: 'vpc',
          TagSpecifications: tagSpec('elastic-ip', u.plan.tags, name, node),
        }),
      ),
    {
      findCreated: async () => {
        const found = await u.ec2.call('DescribeAddresses', (c) =>
          c.send(new DescribeAddressesCommand({ Filters: ownFilters(u.plan.tags, name, node) })),
        );
        const a = found.Addresses?.[0];
        return a ? { $metadata: {}, AllocationId: a.AllocationId, PublicIp: a.PublicIp } : undefined;
      },
    },
  );
  const allocationId = required(out.AllocationId, 'allocation id');
  u.record(Kind.ElasticIp, allocationId, node);
  return { allocationId, publicIp: required(out.PublicIp, 'public IP') };
}

export async function associateAddress(
  u: UpContext,
  allocationId: string,
  eniId: string,
  privateIp: string,
): Promise<void> {
  await u.ec2.call(
    'AssociateAddress',
    (c) =>
      c.send(
        new AssociateAddressCommand({
          AllocationId: allocationId,
          NetworkInterfaceId: eniId,
          PrivateIpAddress: privateIp,
        }),
      ),
    FRESH,
  );
}

/** Only the public half of the key the action generated ever leaves the runner. */
export async function importKeyPair(u: UpContext, publicKey: string): Promise<string> {
  const name = keyPairName(u.plan.stackId);
  const tagName = `${u.plan.stackId}-key`;
  const out = await u.ec2.call(
    'ImportKeyPair',
    (c) =>
      c.send(
        new ImportKeyPairCommand({
          KeyName: name,
          PublicKeyMaterial: Buffer.from(publicKey.trim(), 'utf8'),
          TagSpecifications: tagSpec('key-pair', u.plan.tags, tagName),
        }),
      ),
    {
      // Another run's key of this name (a race past the preflight) carries other tags: not found, so
      // its Duplicate stays an error.
      tookEffect: answeredBy('InvalidKeyPair.Duplicate'),
      findCreated: async () => {
        const found = await u.ec2.call('DescribeKeyPairs', (c) =>
          c.send(new DescribeKeyPairsCommand({ Filters: ownFilters(u.plan.tags, tagName) })),
        );
        const k = found.KeyPairs?.[0];
        return k ? { $metadata: {}, KeyPairId: k.KeyPairId, KeyName: k.KeyName } : undefined;
      },
    },
  );
  const id = required(out.KeyPairId, 'key pair id');
  u.record(Kind.KeyPair, id);
  return name;
}

function keyPairName(stackId: string): string {
  return `${PRODUCT}-${stackId}`;
}
