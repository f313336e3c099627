// A flavor, a self-service network with its subnet, a router with that subnet attached and a
// security group that lets ping and SSH in: found, or created when missing (running it twice
// changes nothing). The router itself normally comes from the network fix, which sets its gateway.

import { shq } from '../shell';
import type { CheckContext } from '../context';

interface WithId {
  id: string;
}

interface Router extends WithId {
  interfaces_info?: unknown;
  external_gateway_info?: unknown;
}

interface RuleRow {
  'IP Protocol'?: string | null;
  'Port Range'?: string;
}

const NEUTRON_HINT =
  'check /var/log/neutron/neutron-server.log (Debian: neutron-api) on the controller and that the neutron agents are alive (openstack network agent list)';

/** Shows a resource, creating it when the show fails (the resource is missing). */
async function ensure(ctx: CheckContext, what: string, show: string, create: string, hint: string): Promise<WithId> {
  const found = await ctx.cli.run(show);
  if (found.code === 0) return JSON.parse(found.stdout) as WithId;
  ctx.io.info(`  creating ${what}`);
  return ctx.cli.json<WithId>(create, `${what} could not be created`, hint);
}

export async function checkTenantNetwork(ctx: CheckContext): Promise<void> {
  const n = ctx.names;
  const tenant = ctx.plan.networks.tenant;
  const flavor = await ensure(
    ctx,
    `flavor ${n.flavor}`,
    `openstack flavor show ${shq(n.flavor)} -f json`,
    `openstack flavor create --vcpus 1 --ram 512 --disk 1 --public ${shq(n.flavor)} -f json`,
    'check /var/log/nova/nova-api.log on the controller',
  );
  // Shared, so Tempest's per-test projects can boot on it too (they cannot have their own routers
  // reach the outside: there is one registered address on AWS).
  const network = await ensure(
    ctx,
    `network ${n.network}`,
    `openstack network show ${shq(n.network)} -f json`,
    `openstack network create --share ${shq(n.network)} -f json`,
    NEUTRON_HINT,
  );
  const subnet = await ensure(
    ctx,
    `subnet ${n.subnet} ${tenant.cidr}`,
    `openstack subnet show ${shq(n.subnet)} -f json`,
    `openstack subnet create --network ${shq(network.id)} --subnet-range ${shq(tenant.cidr)} --gateway ${shq(tenant.gateway)} ${shq(n.subnet)} -f json`,
    NEUTRON_HINT,
  );
  const router = (await ensure(
    ctx,
    `router ${n.router}`,
    `openstack router show ${shq(n.router)} -f json`,
    `openstack router create ${shq(n.router)} -f json`,
    NEUTRON_HINT,
  )) as Router;
  if (!JSON.stringify(router.interfaces_info ?? '').includes(subnet.id)) {
    ctx.io.info(`  attaching ${n.subnet} to router ${n.router}`);
    await ctx.cli.must(
      `openstack router add subnet ${shq(router.id)} ${shq(subnet.id)}`,
      `subnet ${n.subnet} could not be attached to router ${n.router}`,
      NEUTRON_HINT,
    );
  }
  if (!router.external_gateway_info)
    ctx.note(`router ${n.router} has no external gateway yet (the network fix sets it)`);
  const group = await ensure(
    ctx,
    `security group ${n.securityGroup}`,
    `openstack security group show ${shq(n.securityGroup)} -f json`,
    `openstack security group create --description ${shq('openstack-on-aws smoke checks: ping and SSH')} ${shq(n.securityGroup)} -f json`,
    NEUTRON_HINT,
  );
  const rulesCommand = `openstack security group rule list ${shq(group.id)} -f json`;
  const rules = await ctx.cli.json<RuleRow[]>(
    rulesCommand,
    'the security group rules could not be listed',
    NEUTRON_HINT,
  );
  const has = (proto: string, ports?: string) =>
    rules.some((r) => r['IP Protocol'] === proto && (ports === undefined || r['Port Range'] === ports));
  if (!has('icmp'))
    await ctx.cli.must(
      `openstack security group rule create --ingress --protocol icmp ${shq(group.id)}`,
      'the ping rule could not be added',
      NEUTRON_HINT,
    );
  if (!has('tcp', '22:22'))
    await ctx.cli.must(
      `openstack security group rule create --ingress --protocol tcp --dst-port 22 ${shq(group.id)}`,
      'the SSH rule could not be added',
      NEUTRON_HINT,
    );
  Object.assign(ctx.state, {
    flavorId: flavor.id,
    networkId: network.id,
    subnetId: subnet.id,
    routerId: router.id,
    securityGroupId: group.id,
  });
  ctx.note(`flavor ${flavor.id}, network ${network.id}, subnet ${subnet.id}, router ${router.id}`);
}
