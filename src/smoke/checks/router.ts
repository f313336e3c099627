// Finds the Neutron router's id (for its qrouter-<id> namespace on the controller).

import { shq } from '../shell';
import type { CheckContext } from '../context';

export async function routerId(ctx: CheckContext): Promise<string> {
  if (ctx.state.routerId) return ctx.state.routerId;
  const r = await ctx.cli.json<{ id: string }>(
    `openstack router show ${shq(ctx.names.router)} -f json`,
    `router ${ctx.names.router} not found`,
    'the network fix creates the router and sets its gateway: see its step in the log',
  );
  ctx.state.routerId = r.id;
  return r.id;
}

export function inRouterNamespace(id: string, command: string): string {
  return `ip netns exec ${shq(`qrouter-${id}`)} ${command}`;
}
