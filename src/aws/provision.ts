// up(): the Plan becomes EC2 resources. Preflight checks first (nothing exists yet; a stack id that
// is taken is refused), then a graph
// of creates where every step waits only for what it really needs, so independent resources are
// created side by side and the instances launch together. Every step records its id the moment EC2
// returns it. When a step fails, the rest stop creating, everything in flight settles, and the
// first real error is thrown: the caller then tears down what the ledger and the tags show.

import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import type { Plan, PlannedNic } from '../plan/types';
import { controllerOf } from '../plan/plan';
import type { Environment, ProviderContext } from '../provider';
import type { Ec2 } from './client';
import { refuseExistingStack } from './collision';
import { markCreatedNothing } from '../core/errors';
import { CancelledError } from './errors';
import {
  addDefaultRoute,
  allocateAddress,
  associateAddress,
  associateRouteTable,
  attachInternetGateway,
  authorizeIngress,
  createInternetGateway,
  createRouteTable,
  createSecurityGroup,
  createVpc,
  importKeyPair,
  UpContext,
} from './network';
import { place, Placement, settleAll } from './placement';
import { allocatePoolAddress, associatePoolAddress, poolElasticAddresses } from './secondary-addresses';
import { bootImagesFor, describeBoot } from './boot-images';
import { checkInstanceTypes, ingressCidrs, zonesOfferingAll } from './preflight';
import { waitForRunning, WaitOptions } from './wait';

interface UpDeps {
  ec2: Ec2;
  fetchRunnerIp: () => Promise<string>;
  wait: WaitOptions;
  /** Makes every later call of `ec2` refuse to start: called when a step fails. */
  stopCreating: () => void;
}

function eipKey(node: string, nic: string) {
  return `${node}/${nic}`;
}

export async function provision(plan: Plan, ctx: ProviderContext, deps: UpDeps): Promise<Environment> {
  const { ec2, wait } = deps;
  const u: UpContext = {
    ec2,
    plan,
    io: ctx.io,
    record: (kind, id, node) => ctx.ledger.record({ kind, id, ...(node ? { node } : {}) }),
  };

  // Preflight: nothing is created until every answer is in; a refusal here is marked as such.
  const [types, , zones, images, cidrs] = await settleAll([
    checkInstanceTypes(ec2, plan),
    // Refused here when the stack id is taken: nothing of ours exists yet, nothing of theirs is touched.
    refuseExistingStack(ec2, plan, wait.sleep, ctx.io),
    zonesOfferingAll(ec2, plan),
    // Per node: its baked image (checked still available) or the OS image.
    bootImagesFor(ec2, plan, ctx.bootImages),
    ingressCidrs(plan.ingress, deps.fetchRunnerIp),
  ]).catch((err: unknown) => {
    throw markCreatedNothing(err);
  });
  ctx.io.info(
    `EC2: ${plan.nodes.length} instance(s) from ${describeBoot(plan, images, ctx.bootImages)} in ${zones[0]}` +
      `${zones.length > 1 ? ` (then ${zones.slice(1).join(', ')})` : ''}; ingress from ${cidrs.join(', ')}`,
  );
  if (ctx.signal?.aborted) throw markCreatedNothing(new CancelledError('creating anything'));

  const eipNics = plan.nodes.flatMap((n) => n.nics.filter((c) => c.elasticIp).map((c) => ({ node: n.name, nic: c })));
  const steps: Array<Promise<unknown>> = [];
  const step = <T>(p: Promise<T>): Promise<T> => {
    steps.push(p);
    return p;
  };

  const vpc = step(createVpc(u));
  const igw = step(createInternetGateway(u));
  const keyName = step(importKeyPair(u, ctx.sshPublicKey));
  const addresses = eipNics.map(({ node, nic }) =>
    step(allocateAddress(u, node, nic.name).then((a) => ({ key: eipKey(node, nic.name), nic, ...a }))),
  );
  const poolAddresses = poolElasticAddresses(plan).map((ip) => step(allocatePoolAddress(u, ip)));
  const attached = step(Promise.all([igw, vpc]).then(([g, v]) => attachInternetGateway(u, g, v)));
  const groups = Object.fromEntries(
    plan.securityGroups.map((g) => [g.name, step(vpc.then((v) => createSecurityGroup(u, v, g)))]),
  ) as Record<string, Promise<string>>;
  for (const g of plan.securityGroups) step(groups[g.name].then((id) => authorizeIngress(u, id, g, cidrs)));
  const tables = Object.fromEntries(
    plan.subnets.map((s) => [s.name, step(vpc.then((v) => createRouteTable(u, v, s.name)))]),
  ) as Record<string, Promise<string>>;
  for (const s of plan.subnets) {
    if (s.defaultRoute.target === 'internet-gateway')
      step(Promise.all([tables[s.name], igw, attached]).then(([t, g]) => addDefaultRoute(u, t, { gatewayId: g })));
  }

  const securityGroups = step(
    Promise.all([groups.internal, groups.public]).then(([internal, pub]) => ({ internal, public: pub })),
  );
  // Subnets need only the VPC; interfaces wait for their groups, launches for the key pair.
  const placement: Promise<Placement> = step(
    vpc.then((v) =>
      place(u, zones, v, { images, types, spot: plan.spot, keyName, securityGroups, hostKeys: ctx.hostKeys }, wait),
    ),
  );
  step(placement.then((p) => p.finishing));

  const eniOf = (p: Placement, node: string, nic: PlannedNic['name']) =>
    p.nodes.find((n) => n.node.name === node)!.nics.find((n) => n.nic.name === nic)!.eniId;
  // Zone-bound wiring waits for the final placement (a zone fallback replaces subnets and interfaces).
  for (const s of plan.subnets) {
    step(Promise.all([tables[s.name], placement]).then(([t, p]) => associateRouteTable(u, t, p.subnets[s.name])));
    const route = s.defaultRoute;
    if (route.target === 'nic')
      step(
        Promise.all([tables[s.name], placement]).then(([t, p]) =>
          addDefaultRoute(u, t, { networkInterfaceId: eniOf(p, route.node, route.nic) }),
        ),
      );
  }
  for (const a of addresses)
    step(
      Promise.all([a, placement, attached]).then(([addr, p]) => {
        const [node, nic] = addr.key.split('/');
        return associateAddress(u, addr.allocationId, eniOf(p, node, nic as PlannedNic['name']), addr.nic.ip);
      }),
    );
  for (const a of poolAddresses)
    step(
      Promise.all([a, placement, attached]).then(([eip, p]) =>
        associatePoolAddress(u, eip, eniOf(p, controllerOf(plan).name, 'eth1')),
      ),
    );
  step(
    placement.then((p) =>
      waitForRunning(
        ec2,
        p.nodes.map((n) => n.instanceId),
        wait,
      ),
    ),
  );
  const macs = step(
    placement.then(async (p) => {
      const ids = p.nodes.flatMap((n) => n.nics.map((c) => c.eniId));
      const out = await ec2.call('DescribeNetworkInterfaces', (c) =>
        c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: ids }] })),
      );
      return new Map((out.NetworkInterfaces ?? []).map((n) => [n.NetworkInterfaceId ?? '', n.MacAddress ?? '']));
    }),
  );

  // A failing step makes the others stop creating (the caller's Ec2 checks the same signal).
  for (const s of steps) s.catch(() => deps.stopCreating());
  await settleAll(steps);

  const p = await placement;
  const macById = await macs;
  const publicIps = new Map((await Promise.all(addresses)).map((a) => [a.key, a.publicIp]));
  const controller = controllerOf(plan);
  const publicNic = controller.nics.find((n) => n.purpose === 'public' && n.elasticIp)!;
  const routerNic = controller.nics.find((n) => n.purpose === 'provider' && n.elasticIp);
  const pool = await Promise.all(poolAddresses);
  ctx.io.info(
    `EC2: ${p.nodes.length} instance(s) running in ${p.zone} (${p.nodes.map((n) => `${n.node.name} ${n.market}`).join(', ')})`,
  );
  return {
    stackId: plan.stackId,
    nodes: p.nodes.map((n) => ({
      name: n.node.name,
      instanceId: n.instanceId,
      managementIp: n.node.managementIp,
      nics: n.nics.map((c) => ({
        name: c.nic.name,
        mac: (macById.get(c.eniId) || c.mac).toLowerCase(),
        ip: c.nic.ip,
        eniId: c.eniId,
      })),
      disks: n.node.disks.map((d) => ({ device: d.device })),
    })),
    controllerPublicIp: publicIps.get(eipKey(controller.name, publicNic.name))!,
    routerPublicIp: routerNic
      ? publicIps.get(eipKey(controller.name, routerNic.name))!
      : pool.find((a) => a.privateIp === plan.networks.external.routerGatewayIp)!.publicIp,
    poolElasticIps: Object.fromEntries(pool.map((a) => [a.privateIp, a.publicIp])),
    sshUser: plan.os.sshUser,
    sshPort: 22,
    privateKeyPath: ctx.privateKeyPath,
  };
}
