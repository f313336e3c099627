// The router namespace pings `ping-target`: the network fix works (seed 000's final test). Aims at
// plan.pingTarget only.

import { shq } from '../shell';
import type { CheckContext } from '../context';
import { outputOf } from '../admin-cli';
import { inRouterNamespace, routerId } from './router';

export async function checkRouterPing(ctx: CheckContext): Promise<void> {
  const id = await routerId(ctx);
  const target = ctx.plan.pingTarget;
  const command = inRouterNamespace(id, `ping -c 3 -W 2 ${shq(target)}`);
  const r = await ctx.cli.run(command, { timeoutMs: 30_000 });
  if (r.code === 0) {
    const loss = /(\d+(?:\.\d+)?)% packet loss/.exec(r.stdout)?.[1];
    ctx.note(`qrouter-${id} reached ${target}${loss !== undefined ? ` (${loss}% loss)` : ''}`);
    return;
  }
  // What the seeds look at when the ping fails: the neighbour entry of the subnet gateway
  // (INCOMPLETE = AWS drops the router's frames) and the namespace's routes and addresses.
  const diag = await ctx.cli.run(inRouterNamespace(id, 'sh -c "ip -br addr; ip route; ip neigh"'), {
    timeoutMs: 30_000,
  });
  const gw = ctx.plan.networks.external.gateway;
  throw ctx.cli.failure(
    `the router namespace cannot reach ${target}`,
    command,
    `${outputOf(r)}\n--- ip addr / route / neigh in qrouter-${id}:\n${outputOf(diag)}`,
    ctx.plan.networkFix === 'routed'
      ? `the network fix did not take: the gateway port must carry ${ctx.plan.networks.external.routerGatewayIp} (the pool's first address, a secondary address of eth1), the controller must route it to br-provider and answer ARP for ${gw} there (proxy ARP), and the neighbour entry for ${gw} must not be INCOMPLETE; check source/dest check and security groups on AWS`
      : `the network fix did not take: the gateway port must carry ${ctx.plan.networks.external.routerGatewayIp} (eth1's registered address) and eth1's original MAC, and the neighbour entry for ${gw} must not be INCOMPLETE; check source/dest check and security groups on AWS`,
  );
}
