// The instance answers through the DNAT port-forward, from the runner: <router public IP>:<public
// port> → instance:22. Aims only at the stack's own public address.

import * as net from 'net';
import type { CheckContext } from '../context';
import { CheckSkipped } from '../check-failure';
import { pollUntil } from '../poll';
import type { TcpConnect } from '../types';

/** Connects, waits briefly for a banner (an SSH server speaks first), and closes. */
export const tcpConnect: TcpConnect = (host, port, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let connected = false;
    let banner = '';
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err && !connected) reject(err);
      else resolve(banner ? { banner: banner.split(/\r?\n/)[0] } : {});
    };
    const timer = setTimeout(
      () => finish(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', () => {
      connected = true;
      // The banner is a bonus: a connection that opens is the proof; wait a moment for one line.
      clearTimeout(timer);
      setTimeout(() => finish(), Math.min(2000, timeoutMs));
    });
    socket.on('data', (d) => {
      banner += d.toString('latin1');
      if (banner.includes('\n')) finish();
    });
    socket.once('error', (e) => finish(e));
  });

export async function checkPortForward(ctx: CheckContext): Promise<void> {
  const instance = ctx.state.instance;
  if (!instance) throw new CheckSkipped('needs the booted instance (instance-boot did not pass)');
  const forward = ctx.plan.portForwards[0];
  if (!forward) throw new CheckSkipped('the plan has no port-forward');
  const host = ctx.env.routerPublicIp;
  if (!host)
    throw ctx.cli.failure(
      'the environment has no router public IP',
      '',
      '',
      'the provider must report the elastic IP of the controller eth1',
    );
  await ctx.options.beforePortForward?.(instance);
  const connect = ctx.options.connect ?? tcpConnect;
  const target = `${host}:${forward.publicPort}`;
  const result = await pollUntil(ctx, {
    what: `${target} (→ ${instance.fixedIp}:${forward.targetPort}) to accept a connection from the runner`,
    boundMs: ctx.bounds.portForwardMs,
    hint: `check the DNAT rule in the router namespace (ip netns exec qrouter-<id> iptables -t nat -S | grep ${forward.publicPort}), that it targets ${instance.fixedIp}:${forward.targetPort}, and that allowed-cidrs includes the runner's address`,
    probe: async () => {
      try {
        return { done: true, value: await connect(host, forward.publicPort, 10_000) };
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        return { done: false, status: msg, command: `TCP connect from the runner to ${target}`, output: msg };
      }
    },
  });
  ctx.note(`connected from the runner to ${target}${result.banner ? `: ${result.banner}` : ''}`);
}
