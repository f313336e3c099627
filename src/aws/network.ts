// The VPC-wide pieces of a stack: VPC, internet gateway, route tables and routes, security groups,
// elastic IPs and the key pair. Each function records the new id in the ledger the moment EC2
// returns it, before anything waits on it.

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
  ImportKeyPairCommand,
  IpPermission,
} from '@aws-sdk/client-ec2';
import type { Io } from '../core/io';
import { PRODUCT } from '../core/names';
import type { Plan, PlannedSecurityGroup, SecurityRule } from '../plan/types';
import type { Ec2 } from './client';
import { isNotFound } from './errors';
import { Kind, KindName } from './kinds';
import { tagSpec } from './tags';

export interface UpContext {
  ec2: Ec2;
  plan: Plan;
  io: Pick<Io, 'info' | 'warning'>;
  record(kind: KindName, id: string, node?: string): void;
}

/** Right after a create, EC2 may not know the new id yet for a moment. */
export const FRESH = { retryAlso: isNotFound };

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null || value === '') throw new Error(`EC2 returned no ${what}`);
  return value;
}

export async function createVpc(u: UpContext): Promise<string> {
  const out = await u.ec2.call('CreateVpc', (c) =>
    c.send(
      new CreateVpcCommand({
        CidrBlock: u.plan.vpcCidr,
        TagSpecifications: tagSpec('vpc', u.plan.tags, `${u.plan.stackId}-vpc`),
      }),
    ),
  );
  const id = required(out.Vpc?.VpcId, 'VPC id');
  u.record(Kind.Vpc, id);
  return id;
}

export async function createInternetGateway(u: UpContext): Promise<string> {
  const out = await u.ec2.call('CreateInternetGateway', (c) =>
    c.send(
      new CreateInternetGatewayCommand({
        TagSpecifications: tagSpec('internet-gateway', u.plan.tags, `${u.plan.stackId}-igw`),
      }),
    ),
  );
  const id = required(out.InternetGateway?.InternetGatewayId, 'internet gateway id');
  u.record(Kind.InternetGateway, id);
  return id;
}

export async function attachInternetGateway(u: UpContext, igwId: string, vpcId: string): Promise<void> {
  await u.ec2.call(
    'AttachInternetGateway',
    (c) => c.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId })),
    FRESH,
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
    FRESH,
  );
}

export async function associateRouteTable(u: UpContext, tableId: string, subnetId: string): Promise<void> {
  await u.ec2.call(
    'AssociateRouteTable',
    (c) => c.send(new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId })),
    FRESH,
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
  const out = await u.ec2.call(
    'CreateSecurityGroup',
    (c) =>
      c.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          Description: ec2Description(group.description) || name,
          VpcId: vpcId,
          TagSpecifications: tagSpec('security-group', u.plan.tags, `${u.plan.stackId}-${group.name}`),
        }),
      ),
    FRESH,
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
    FRESH,
  );
}

export async function allocateAddress(
  u: UpContext,
  node: string,
  nic: string,
): Promise<{ allocationId: string; publicIp: string }> {
  const out = await u.ec2.call('AllocateAddress', (c) =>
    c.send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: tagSpec('elastic-ip', u.plan.tags, `${u.plan.stackId}-${node}-${nic}`, node),
      }),
    ),
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
  const out = await u.ec2.call('ImportKeyPair', (c) =>
    c.send(
      new ImportKeyPairCommand({
        KeyName: name,
        PublicKeyMaterial: Buffer.from(publicKey.trim(), 'utf8'),
        TagSpecifications: tagSpec('key-pair', u.plan.tags, `${u.plan.stackId}-key`),
      }),
    ),
  );
  const id = required(out.KeyPairId, 'key pair id');
  u.record(Kind.KeyPair, id);
  return name;
}

function keyPairName(stackId: string): string {
  return `${PRODUCT}-${stackId}`;
}
