// network-fix routed only: the smoke instance gets a floating IP from the pool (the first floating
// address with an elastic IP, fixed in the Plan) and answers on it from outside the cloud: the
// runner connects to that address's elastic IP (locally: through the emulated internet). Aims only
// at the stack's own elastic IP.

import { EXTERNAL_NETWORK } from '../../netfix';
import type { Plan } from '../../plan/types';
import { shq } from '../shell';
import type { CheckContext } from '../context';
import { CheckSkipped } from '../check-failure';
import { pollUntil } from '../poll';
import { tcpConnect } from './port-forward';

/** The pool address the smoke floating IP takes: the first floating one with an elastic IP. */
function smokeFloatingAddress(plan: Plan): string | undefined {
  return plan.networks.external.pool.find((p) => p.use === 'floating' && p.elasticIp)?.ip;
}

/** How long the control waits for an answer that must not come. */
const CONTROL_MS = 3_000;

interface FloatingRow {
  ID: string;
  'Floating IP Address': string;
  Port: string | null;
}

export async function checkFloatingIp(ctx: CheckContext): Promise<void> {
  if (ctx.plan.networkFix !== 'routed') throw new CheckSkipped("floating IPs need network-fix 'routed'");
  const instance = ctx.state.instance;
  if (!instance) throw new CheckSkipped('needs the booted instance (instance-boot did not pass)');
  const address = smokeFloatingAddress(ctx.plan);
  if (!address) throw new CheckSkipped('no floating address of the pool has an elastic IP (floating-elastic-ips: 0)');
  const publicIp = ctx.env.poolElasticIps?.[address];
  if (!publicIp)
    throw ctx.cli.failure(
      `the provider reported no elastic IP for the pool address ${address}`,
      '',
      '',
      'the provider associates an elastic IP with every pool address the Plan marks: see the provisioning log',
    );
  const hint = `the network fix routes ${address} to the router (ip route get ${address} on the controller: dev br-provider), and ${address} must be a secondary address of the controller's provider ENI with elastic IP ${publicIp}`;
  const listed = await ctx.cli.json<FloatingRow[]>(
    `openstack floating ip list --floating-ip-address ${shq(address)} -f json`,
    'the floating IPs could not be listed',
    hint,
  );
  const id =
    listed[0]?.ID ??
    (
      await ctx.cli.json<{ id: string }>(
        `openstack floating ip create --floating-ip-address ${shq(address)} ${shq(EXTERNAL_NETWORK)} -f json`,
        `floating IP ${address} could not be created on ${EXTERNAL_NETWORK}`,
        `${address} must be in the external subnet's allocation pool (the network fix sets it) and free`,
      )
    ).id;
  const connect = ctx.options.connect ?? tcpConnect;
  // The control: while the floating IP points nowhere, nothing may answer on its elastic IP. Only
  // then does the connection below prove the path to the instance, and not, say, a service of the
  // controller holding the pool address itself. (A floating IP already associated, from an
  // earlier attempt, has no such moment.)
  if (!listed[0]?.Port) {
    const early = await connect(publicIp, 22, CONTROL_MS).catch(() => undefined);
    if (early)
      throw ctx.cli.failure(
        `${publicIp}:22 answered before floating IP ${address} was associated with the instance${early.banner ? ` (${early.banner})` : ''}: something other than the instance holds ${address}`,
        '',
        '',
        `only the router's namespace may hold a pool address: look for ${address} on the controller (ip -br addr | grep -F ${address}; ip netns exec <each namespace> ip -br addr)`,
      );
  }
  const ports = await ctx.cli.json<Array<{ ID: string }>>(
    `openstack port list --server ${shq(instance.id)} -f json`,
    `the ports of server ${instance.id} could not be listed`,
    hint,
  );
  if (!ports[0]) throw ctx.cli.failure(`server ${instance.id} has no port`, '', '', hint);
  await ctx.cli.must(
    `openstack floating ip set --port ${shq(ports[0].ID)} ${shq(id)}`,
    `floating IP ${address} could not be associated with the instance's port`,
    'the router must have the tenant subnet and an external gateway (tenant-network, network fix)',
  );
  const result = await pollUntil(ctx, {
    what: `${publicIp}:22 (elastic IP of floating IP ${address} → ${instance.fixedIp}:22) to accept a connection from the runner`,
    boundMs: ctx.bounds.portForwardMs,
    hint,
    probe: async () => {
      try {
        return { done: true, value: await connect(publicIp, 22, 10_000) };
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        return { done: false, status: msg, command: `TCP connect from the runner to ${publicIp}:22`, output: msg };
      }
    },
  });
  ctx.note(
    `floating IP ${address} (elastic IP ${publicIp}) → ${instance.fixedIp}: connected from the runner${result.banner ? `: ${result.banner}` : ''}`,
  );
}
