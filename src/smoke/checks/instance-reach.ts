// The instance answers from the router namespace: a ping of its fixed address, or (when the guest
// does not answer ICMP) a TCP connection to its port 22.

import { shq } from '../shell';
import type { CheckContext } from '../context';
import { CheckSkipped } from '../check-failure';
import { pollUntil } from '../poll';
import { inRouterNamespace, routerId } from './router';

export async function checkInstanceReach(ctx: CheckContext): Promise<void> {
  const instance = ctx.state.instance;
  if (!instance) throw new CheckSkipped('needs the booted instance (instance-boot did not pass)');
  const id = await routerId(ctx);
  const ip = instance.fixedIp;
  const ping = inRouterNamespace(id, `ping -c 3 -W 2 ${shq(ip)}`);
  // bash's /dev/tcp needs no nc on the node; timeout bounds a SYN that is never answered.
  const tcp = inRouterNamespace(id, `timeout 5 bash -c ${shq(`exec 3<>/dev/tcp/${ip}/22`)}`);
  const how = await pollUntil(ctx, {
    what: `instance ${ip} to answer from qrouter-${id}`,
    boundMs: ctx.bounds.reachMs,
    hint: `the guest may still be booting or lack a DHCP lease: check the console output in the log bundle, 'ip netns exec qdhcp-<network id> ip addr', and that security group ${ctx.names.securityGroup} allows icmp and tcp/22`,
    probe: async () => {
      const p = await ctx.cli.run(ping, { timeoutMs: 30_000 });
      if (p.code === 0) return { done: true, value: 'ping' };
      const t = await ctx.cli.run(tcp, { timeoutMs: 30_000 });
      if (t.code === 0) return { done: true, value: 'tcp/22' };
      return {
        done: false,
        status: 'no answer to ping nor tcp/22',
        command: `${ping}; ${tcp}`,
        output: `${p.stdout}${p.stderr}\n${t.stderr}`,
      };
    },
  });
  ctx.note(`instance ${ip} answered ${how} from qrouter-${id}`);
}
