// network-fix routed only: a second router gets an external gateway from the pool (the last pool
// address without an elastic IP, fixed in the Plan) and its namespace pings the ping target, i.e.
// more than one router gets out (the seeds' fix has one address for one router). On success it is
// deleted again, so its address is free for what runs next (Tempest's router tests).

import { EXTERNAL_NETWORK, EXTERNAL_SUBNET } from '../../netfix';
import type { Plan } from '../../plan/types';
import { outputOf } from '../admin-cli';
import { shq } from '../shell';
import type { CheckContext } from '../context';
import { CheckSkipped } from '../check-failure';
import { pollUntil } from '../poll';
import { inRouterNamespace } from './router';

/** The second router's gateway address: the pool's last floating address without an elastic IP (or its last). */
function secondRouterAddress(plan: Plan): string | undefined {
  const floating = plan.networks.external.pool.filter((p) => p.use === 'floating');
  return ([...floating].reverse().find((p) => !p.elasticIp) ?? floating[floating.length - 1])?.ip;
}

function secondRouterName(plan: Plan): string {
  return `${plan.stackId}-smoke-router2`;
}

export async function checkSecondRouter(ctx: CheckContext): Promise<void> {
  if (ctx.plan.networkFix !== 'routed') throw new CheckSkipped("a second router needs network-fix 'routed'");
  const address = secondRouterAddress(ctx.plan);
  if (!address) throw new CheckSkipped('the pool has no address for a second router (external-pool-size: 1)');
  const name = secondRouterName(ctx.plan);
  const hint = `Neutron must hand out ${address} (the external subnet's pool is the provider ENI's secondary addresses) and the network fix route it (ip route get ${address} on the controller: dev br-provider)`;
  const shown = await ctx.cli.run(`openstack router show ${shq(name)} -f json`);
  const router =
    shown.code === 0
      ? (JSON.parse(shown.stdout) as { id: string })
      : await ctx.cli.json<{ id: string }>(
          `openstack router create ${shq(name)} -f json`,
          `router ${name} could not be created`,
          hint,
        );
  await ctx.cli.must(
    `openstack router set --external-gateway ${shq(EXTERNAL_NETWORK)} --fixed-ip ${shq(`subnet=${EXTERNAL_SUBNET},ip-address=${address}`)} ${shq(router.id)}`,
    `router ${name} could not get an external gateway on ${address}`,
    hint,
  );
  const target = ctx.plan.pingTarget;
  const command = inRouterNamespace(router.id, `ping -c 3 -W 2 ${shq(target)}`);
  await pollUntil(ctx, {
    what: `qrouter-${router.id} (gateway ${address}) to reach ${target}`,
    boundMs: ctx.bounds.reachMs,
    hint,
    probe: async () => {
      const r = await ctx.cli.run(command, { timeoutMs: 30_000 });
      if (r.code === 0) return { done: true, value: undefined };
      return { done: false, status: `ping exit code ${r.code}`, command, output: outputOf(r) };
    },
  });
  ctx.note(`${name} (gateway ${address}) reached ${target}; deleted again`);
  await ctx.cli.must(
    `openstack router unset --external-gateway ${shq(router.id)}`,
    `router ${name}: gateway not removed`,
    hint,
  );
  await ctx.cli.must(`openstack router delete ${shq(router.id)}`, `router ${name} not deleted`, hint);
}
