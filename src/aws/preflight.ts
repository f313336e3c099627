// Everything up() must know before it creates anything: that each instance type exists, is x86_64,
// has enough network interfaces and (where the Plan says kvm) offers nested virtualization; which
// availability zones offer all types; which OS image to boot (a baked image instead: boot-images.ts);
// who may connect. A refusal here leaves nothing behind.

import {
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  Image,
  InstanceTypeInfo,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import * as https from 'https';
import { AwsError, InputError } from '../core/errors';
import { Inputs } from '../core/names';
import { isIpv4 } from '../core/net';
import type { Plan, PlannedImage, PlannedNode } from '../plan/types';
import type { Ec2 } from './client';

export interface TypeFacts {
  /** Guests get KVM: the CPU option must be switched on (not needed on metal). */
  enableNestedVirtualization: boolean;
}

const ROLE_INPUT = {
  controller: Inputs.ControllerInstanceType,
  compute: Inputs.ComputeInstanceType,
  block: Inputs.BlockInstanceType,
  object: Inputs.ObjectInstanceType,
} as const;

function checkType(node: PlannedNode, info: InstanceTypeInfo | undefined): TypeFacts {
  const input = ROLE_INPUT[node.role];
  const type = node.instanceType;
  if (!info)
    throw new InputError(input, type, 'an instance type offered in the region', 'EC2 does not know this type here');
  const archs = info.ProcessorInfo?.SupportedArchitectures ?? [];
  if (!archs.includes('x86_64'))
    throw new InputError(
      input,
      type,
      'an x86_64 instance type',
      `the images are x86_64 and ${type} is ${archs.join('/')}`,
    );
  const max = info.NetworkInfo?.MaximumNetworkInterfaces ?? 0;
  if (max < node.nics.length)
    throw new InputError(
      input,
      type,
      `an instance type with at least ${node.nics.length} network interfaces`,
      `${node.name} needs ${node.nics.length} and ${type} supports ${max}`,
    );
  const addresses = Math.max(0, ...node.nics.map((n) => 1 + (n.secondaryIps?.length ?? 0)));
  const perEni = info.NetworkInfo?.Ipv4AddressesPerInterface;
  if (perEni !== undefined && addresses > perEni)
    throw new InputError(
      Inputs.ExternalPoolSize,
      String(addresses - 1),
      `at most ${perEni - 1} with ${type} (it allows ${perEni} private IPv4 addresses per network interface)`,
      `the ${node.name}'s provider NIC needs ${addresses} addresses`,
    );
  const metal = info.BareMetal === true;
  const nested = (info.ProcessorInfo?.SupportedFeatures ?? []).includes('nested-virtualization');
  if (node.virt === 'kvm' && !metal && !nested)
    throw new InputError(
      input,
      type,
      'a type with nested virtualization (c8i, m8i, r8i) or a metal type',
      `the plan runs ${node.name}'s instances on KVM, but EC2 says ${type} offers no nested virtualization`,
    );
  return { enableNestedVirtualization: node.virt === 'kvm' && !metal };
}

/** DescribeInstanceTypes for every type of the Plan; throws before anything is created. */
export async function checkInstanceTypes(ec2: Ec2, plan: Plan): Promise<Map<string, TypeFacts>> {
  const types = [...new Set(plan.nodes.map((n) => n.instanceType))];
  let infos: InstanceTypeInfo[];
  try {
    const out = await ec2.call('DescribeInstanceTypes', (c) =>
      c.send(new DescribeInstanceTypesCommand({ InstanceTypes: types as _InstanceType[] })),
    );
    infos = out.InstanceTypes ?? [];
  } catch (err) {
    if (err instanceof AwsError && err.code === 'InvalidInstanceType') {
      const node = plan.nodes.find((n) => err.message.includes(n.instanceType)) ?? plan.nodes[0];
      throw new InputError(
        ROLE_INPUT[node.role],
        node.instanceType,
        'an EC2 instance type offered in the region',
        err.message,
      );
    }
    throw err;
  }
  const facts = new Map<string, TypeFacts>();
  for (const node of plan.nodes)
    facts.set(
      node.name,
      checkType(
        node,
        infos.find((i) => i.InstanceType === node.instanceType),
      ),
    );
  return facts;
}

/** Zones that offer every type of the Plan, in name order (the order capacity fallback walks). */
export async function zonesOfferingAll(ec2: Ec2, plan: Plan): Promise<string[]> {
  const types = [...new Set(plan.nodes.map((n) => n.instanceType))];
  const out = await ec2.call('DescribeInstanceTypeOfferings', (c) =>
    c.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [{ Name: 'instance-type', Values: types }],
      }),
    ),
  );
  const byZone = new Map<string, Set<string>>();
  for (const o of out.InstanceTypeOfferings ?? []) {
    if (!o.Location || !o.InstanceType) continue;
    byZone.set(o.Location, (byZone.get(o.Location) ?? new Set()).add(o.InstanceType));
  }
  const zones = [...byZone].filter(([, offered]) => types.every((t) => offered.has(t))).map(([z]) => z);
  if (zones.length === 0)
    throw new AwsError(
      'DescribeInstanceTypeOfferings',
      'NoZone',
      `no availability zone of ${plan.region} offers all of ${types.join(', ')}`,
    );
  return zones.sort();
}

export interface BootImage {
  imageId: string;
  rootDeviceName: string;
  name: string;
}

/** The Plan's AMI, or the newest available x86_64 image of the OS's official owner and name pattern. */
export async function findImage(ec2: Ec2, image: PlannedImage): Promise<BootImage> {
  const q = image.query;
  const out = await ec2.call('DescribeImages', (c) =>
    c.send(
      new DescribeImagesCommand(
        image.ami
          ? { ImageIds: [image.ami] }
          : {
              Owners: [q.owner],
              IncludeDeprecated: q.includeDeprecated ?? false,
              Filters: [
                { Name: 'name', Values: [q.namePattern] },
                { Name: 'architecture', Values: ['x86_64'] },
                { Name: 'state', Values: ['available'] },
              ],
            },
      ),
    ),
  );
  const newest = [...(out.Images ?? [])]
    .filter((i: Image) => i.ImageId && i.State !== 'deregistered')
    .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
  if (!newest) {
    if (image.ami)
      throw new InputError(Inputs.Ami, image.ami, 'an AMI id visible in the region', 'EC2 does not know it');
    throw new AwsError('DescribeImages', 'NoImage', `no image of owner ${q.owner} matches '${q.namePattern}'`);
  }
  return {
    imageId: newest.ImageId!,
    rootDeviceName: newest.RootDeviceName ?? '/dev/sda1',
    name: newest.Name ?? newest.ImageId!,
  };
}

/** The runner's public IPv4 address, as AWS sees it. Only production code calls it; tests inject one. */
export function fetchRunnerIpFromAws(timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get('https://checkip.amazonaws.com/', { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const ip = body.trim();
        if (isIpv4(ip)) resolve(ip);
        else reject(new Error(`checkip.amazonaws.com answered '${ip.slice(0, 40)}', not an IPv4 address`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out asking checkip.amazonaws.com for the runner address')));
    req.on('error', reject);
  });
}

/** allowed-cidrs, or the runner's own address /32. Never 0.0.0.0/0 unless the user asked for it. */
export async function ingressCidrs(ingress: Plan['ingress'], fetchRunnerIp: () => Promise<string>): Promise<string[]> {
  if (ingress.allowedCidrs.length > 0) return ingress.allowedCidrs;
  const ip = await fetchRunnerIp();
  if (!isIpv4(ip)) throw new Error(`the runner's public address '${ip}' is not an IPv4 address; set allowed-cidrs`);
  return [`${ip}/32`];
}
