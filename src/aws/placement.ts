// The zone-bound part of a stack: subnets, network interfaces with the Plan's fixed addresses, and
// the instances, all in one availability zone. Spot capacity missing → the node goes on-demand;
// on-demand capacity missing → everything zone-bound is taken apart and placed in the next zone.

import {
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  DescribeSubnetsCommand,
  InstanceNetworkInterface,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
  RunInstancesCommandInput,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { errorMessage } from '../core/errors';
import type { Plan, PlannedNic, PlannedNode, SubnetName, SecurityGroupName } from '../plan/types';
import { answeredBy, ec2Description, FRESH, UpContext } from './network';
import { CancelledError, isSpotCapacity, isZoneCapacity } from './errors';
import { emptyFound, Kind } from './kinds';
import { interfaceAddresses, recordSecondaryAddresses } from './secondary-addresses';
import type { BootImage, TypeFacts } from './preflight';
import { clientToken, ownFilters, tagSpec } from './tags';
import { deleteFound } from './teardown';
import type { SshKeyPair } from '../core/secrets';
import { instanceUserData, toBase64 } from './user-data';
import type { WaitOptions } from './wait';

interface LaunchSpec {
  /** Node name → what it boots (its role's baked image, or the OS image). */
  images: Record<string, BootImage>;
  keyName: string;
  hostKeys: Record<string, SshKeyPair>;
  types: Map<string, TypeFacts>;
  securityGroups: Record<SecurityGroupName, string>;
  spot: boolean;
}

/** What the zone-bound part waits for from the VPC-wide part; each is awaited only where needed. */
interface PendingLaunch {
  images: Record<string, BootImage>;
  types: Map<string, TypeFacts>;
  spot: boolean;
  keyName: Promise<string>;
  securityGroups: Promise<Record<SecurityGroupName, string>>;
  /** Node name → the host key it boots with (cloud-init's ssh_keys). */
  hostKeys: Record<string, SshKeyPair>;
}

interface PlacedNic {
  nic: PlannedNic;
  eniId: string;
  mac: string;
}

interface PlacedNode {
  node: PlannedNode;
  instanceId: string;
  nics: PlacedNic[];
  market: 'spot' | 'on-demand';
}

export interface Placement {
  zone: string;
  subnets: Record<SubnetName, string>;
  nodes: PlacedNode[];
  /** Attribute changes still in flight (source/dest check, DeleteOnTermination): off the critical path. */
  finishing: Promise<void>;
}

/**
 * Settles every promise before deciding, so nothing is still creating when the caller moves on;
 * throws the first real error (a step stopped because another failed is not the cause).
 */
export async function settleAll<T extends readonly unknown[]>(
  promises: [...T],
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) throw (failed.find((r) => !(r.reason instanceof CancelledError)) ?? failed[0]).reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** Work that finishes later; marked handled now so a failure waits for whoever settles `later`. */
function defer(later: Array<Promise<unknown>>, work: Promise<unknown>): void {
  work.catch(() => undefined);
  later.push(work);
}

async function createSubnet(u: UpContext, name: SubnetName, zone: string, vpcId: string): Promise<string> {
  const planned = u.plan.subnets.find((s) => s.name === name)!;
  const tagName = `${u.plan.stackId}-${name}`;
  const out = await u.ec2.call(
    'CreateSubnet',
    (c) =>
      c.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: planned.cidr,
          AvailabilityZone: zone,
          TagSpecifications: tagSpec('subnet', u.plan.tags, tagName),
        }),
      ),
    {
      ...FRESH,
      // After a lost answer, our own subnet is what the CIDR conflicts with.
      tookEffect: answeredBy('InvalidSubnet.Conflict'),
      findCreated: async () => {
        const found = await u.ec2.call('DescribeSubnets', (c) =>
          c.send(
            new DescribeSubnetsCommand({
              Filters: [
                ...ownFilters(u.plan.tags, tagName),
                { Name: 'vpc-id', Values: [vpcId] },
                { Name: 'availability-zone', Values: [zone] },
              ],
            }),
          ),
        );
        const subnet = found.Subnets?.[0];
        return subnet ? { $metadata: {}, Subnet: subnet } : undefined;
      },
    },
  );
  const id = out.Subnet?.SubnetId;
  if (!id) throw new Error('EC2 returned no subnet id');
  u.record(Kind.Subnet, id);
  return id;
}

async function createInterface(
  u: UpContext,
  node: PlannedNode,
  nic: PlannedNic,
  subnetId: string,
  groups: Record<SecurityGroupName, string>,
  later: Array<Promise<unknown>>,
): Promise<PlacedNic> {
  const out = await u.ec2.call(
    'CreateNetworkInterface',
    (c) =>
      c.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnetId,
          ...interfaceAddresses(nic),
          Groups: nic.securityGroups.map((g) => groups[g]),
          Description: ec2Description(`${u.plan.stackId} ${node.name} ${nic.name} ${nic.purpose}`),
          TagSpecifications: tagSpec(
            'network-interface',
            u.plan.tags,
            `${u.plan.stackId}-${node.name}-${nic.name}`,
            node.name,
          ),
          ClientToken: clientToken(u.plan.tags, 'network-interface', subnetId, node.name, nic.name),
        }),
      ),
    FRESH,
  );
  const eniId = out.NetworkInterface?.NetworkInterfaceId;
  if (!eniId) throw new Error('EC2 returned no network interface id');
  u.record(Kind.NetworkInterface, eniId, node.name);
  recordSecondaryAddresses(u, node.name, nic, eniId);
  if (!nic.sourceDestCheck) {
    // The controller forwards (NAT instance, Neutron router): frames not to or from its own address.
    // An interface attribute: it need not hold the launch up.
    defer(
      later,
      u.ec2.call(
        'ModifyNetworkInterfaceAttribute',
        (c) =>
          c.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: eniId,
              SourceDestCheck: { Value: false },
            }),
          ),
        FRESH,
      ),
    );
  }
  return { nic, eniId, mac: out.NetworkInterface?.MacAddress ?? '' };
}

function hostKeyOf(spec: LaunchSpec, node: string): SshKeyPair {
  const key = spec.hostKeys[node];
  if (!key) throw new Error(`no host key was made for ${node}: it would boot with a key the runner cannot pin`);
  return key;
}

function runInstancesInput(
  plan: Plan,
  node: PlannedNode,
  nics: PlacedNic[],
  spec: LaunchSpec,
  market: 'spot' | 'on-demand',
  zone: string,
): RunInstancesCommandInput {
  const nested = spec.types.get(node.name)?.enableNestedVirtualization ?? false;
  const image = spec.images[node.name];
  return {
    ImageId: image.imageId,
    InstanceType: node.instanceType as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    KeyName: spec.keyName,
    NetworkInterfaces: nics.map((n) => ({ DeviceIndex: n.nic.deviceIndex, NetworkInterfaceId: n.eniId })),
    BlockDeviceMappings: node.disks.map((d) => ({
      DeviceName: d.purpose === 'root' ? image.rootDeviceName : d.device,
      Ebs: { VolumeSize: d.sizeGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
    })),
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    InstanceInitiatedShutdownBehavior: 'terminate',
    UserData: toBase64(instanceUserData(plan.stackId, plan.expiresAt, hostKeyOf(spec, node.name))),
    ...(nested ? { CpuOptions: { NestedVirtualization: 'enabled' } } : {}),
    ...(market === 'spot'
      ? {
          InstanceMarketOptions: {
            MarketType: 'spot',
            SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
          },
        }
      : {}),
    TagSpecifications: [
      ...tagSpec('instance', plan.tags, `${plan.stackId}-${node.name}`, node.name),
      ...tagSpec('volume', plan.tags, `${plan.stackId}-${node.name}`, node.name),
      ...(market === 'spot'
        ? tagSpec('spot-instances-request', plan.tags, `${plan.stackId}-${node.name}`, node.name)
        : []),
    ],
    // A retried call (throttled, or its answer lost) must not start a second instance; a later run
    // of the same stack id (a replaced PR environment) must not get this run's instance back.
    ClientToken: clientToken(plan.tags, 'instance', node.name, zone, market),
  };
}

async function runOne(
  u: UpContext,
  node: PlannedNode,
  nics: PlacedNic[],
  spec: LaunchSpec,
  market: 'spot' | 'on-demand',
  zone: string,
) {
  const out = await u.ec2.call(
    'RunInstances',
    (c) => c.send(new RunInstancesCommand(runInstancesInput(u.plan, node, nics, spec, market, zone))),
    FRESH,
  );
  const instance = out.Instances?.[0];
  if (!instance?.InstanceId) throw new Error('EC2 returned no instance id');
  u.record(Kind.Instance, instance.InstanceId, node.name);
  return instance;
}

async function launch(
  u: UpContext,
  node: PlannedNode,
  nics: PlacedNic[],
  spec: LaunchSpec,
  zone: string,
  later: Array<Promise<unknown>>,
): Promise<PlacedNode> {
  let market: 'spot' | 'on-demand' = spec.spot ? 'spot' : 'on-demand';
  let instance;
  try {
    instance = await runOne(u, node, nics, spec, market, zone);
  } catch (err) {
    if (market !== 'spot' || !isSpotCapacity(err)) throw err;
    u.io.warning(
      `no spot capacity for ${node.name} (${node.instanceType}) in ${zone}: ${errorMessage(err)}; launching it on-demand`,
    );
    market = 'on-demand';
    instance = await runOne(u, node, nics, spec, market, zone);
  }
  defer(later, deleteOnTermination(u, instance.NetworkInterfaces ?? []));
  return { node, instanceId: instance.InstanceId!, nics, market };
}

/** Interfaces created before the instance are kept at termination unless told otherwise: tell them. */
async function deleteOnTermination(u: UpContext, attached: InstanceNetworkInterface[]): Promise<void> {
  await settleAll(
    attached.map((n) =>
      u.ec2.call(
        'ModifyNetworkInterfaceAttribute',
        (c) =>
          c.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: n.NetworkInterfaceId,
              Attachment: { AttachmentId: n.Attachment?.AttachmentId, DeleteOnTermination: true },
            }),
          ),
        FRESH,
      ),
    ),
  );
}

interface ZoneAttempt {
  placement?: Placement;
  error?: unknown;
  created: { instances: string[]; networkInterfaces: string[]; subnets: string[] };
}

async function tryZone(u: UpContext, zone: string, vpcId: string, pending: PendingLaunch): Promise<ZoneAttempt> {
  const created: ZoneAttempt['created'] = { instances: [], networkInterfaces: [], subnets: [] };
  const later: Array<Promise<unknown>> = [];
  const subnet = (name: SubnetName) => createSubnet(u, name, zone, vpcId).then((id) => (created.subnets.push(id), id));
  const subnets = { management: subnet('management'), provider: subnet('provider') };
  const launched = u.plan.nodes.map(async (node) => {
    const nics = await settleAll(
      node.nics.map(async (nic) => {
        const [subnetId, groups] = await Promise.all([subnets[nic.subnet], pending.securityGroups]);
        const placed = await createInterface(u, node, nic, subnetId, groups, later);
        created.networkInterfaces.push(placed.eniId);
        return placed;
      }),
    );
    const spec: LaunchSpec = {
      ...pending,
      keyName: await pending.keyName,
      securityGroups: await pending.securityGroups,
    };
    const placed = await launch(u, node, nics, spec, zone, later);
    created.instances.push(placed.instanceId);
    return placed;
  });
  // Every node launches as soon as its own interfaces exist; all launches run side by side.
  const settled = await Promise.allSettled([subnets.management, subnets.provider, ...launched]);
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await Promise.allSettled(later);
    const cause =
      failures.find((r) => isZoneCapacity(r.reason)) ??
      failures.find((r) => !(r.reason instanceof CancelledError)) ??
      failures[0];
    return { error: cause.reason, created };
  }
  return {
    created,
    placement: {
      zone,
      subnets: { management: await subnets.management, provider: await subnets.provider },
      nodes: await Promise.all(launched),
      finishing: settleAll(later).then(() => undefined),
    },
  };
}

/** Tries each zone in turn until every node has capacity. */
export async function place(
  u: UpContext,
  zones: string[],
  vpcId: string,
  pending: PendingLaunch,
  wait: WaitOptions,
): Promise<Placement> {
  for (let i = 0; ; i++) {
    const attempt = await tryZone(u, zones[i], vpcId, pending);
    if (attempt.placement) return attempt.placement;
    if (!isZoneCapacity(attempt.error) || i + 1 >= zones.length) throw attempt.error;
    u.io.warning(
      `no capacity in ${zones[i]} (${errorMessage(attempt.error)}); moving the stack's subnets and instances to ${zones[i + 1]}`,
    );
    const undo = await deleteFound(u.ec2, { ...emptyFound(), ...attempt.created }, u.io, wait);
    if (undo.leftovers.length > 0)
      throw new Error(`could not clear ${zones[i]} before moving on: ${undo.leftovers.map((r) => r.id).join(', ')}`);
  }
}
