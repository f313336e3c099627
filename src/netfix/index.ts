// The AWS network fix, as code (issue 5; the seeds' procedure). For the pipeline:
//   applyNetworkFix  host side (network-fix.sh: eth1 MAC, NAT, boot unit) → Neutron side (external
//                    network, router gateway on eth1's registered IP with eth1's original MAC) →
//                    host side again with the router namespace (port-forwards). Idempotent: call it
//                    again with instanceIp once the smoke instance exists to add its port-forwards.
//   verifyNetworkFix what seed 000 steps 8-10 and 13 check by hand; each failure names its step.
// The EC2 side (source/dest check) is set at provisioning from the Plan: sourceDestCheckOff lists it.

import type { Io } from '../core/io';
import { ADMIN_OPENRC } from '../core/node-paths';
import { controllerOf } from '../plan/plan';
import type { Plan } from '../plan/types';
import type { Environment } from '../provider';
import type { RemoteSession } from '../remote/types';
import { probeHost, runHostFix } from './host';
import { judgeNetworkFix } from './judge';
import { configureNeutron } from './neutron';
import { sourceDestCheckOff } from './source-dest-check';
import type { HostFixInputs, HostFixOptions, NetworkFixResult, PortForwardRule, VerifyResult } from './types';

export * from './types';
export { sourceDestCheckOff } from './source-dest-check';
export { judgeNetworkFix } from './judge';
export { hostFixEnv, parseFacts, runHostFix } from './host';
export { allocationPools, configureNeutron, openstackCommand } from './neutron';

export const EXTERNAL_NETWORK = 'provider';
export const EXTERNAL_SUBNET = 'provider-subnet';
/**
 * network-fix routed: the bridge the external network is on, without eth1 (src/stages/lib-services.sh
 * makes it under this name for both drivers: a Linux bridge or an OVS bridge).
 */
export const ROUTED_EXTERNAL_BRIDGE = 'br-provider';

interface NetworkFixContext {
  plan: Plan;
  env: Environment;
  controller: RemoteSession;
  io: Io;
  /** The smoke instance's tenant address: the port-forwards point at it (none without it). */
  instanceIp?: string;
  /** Admin credentials file on the controller (0600). */
  adminRc?: string;
  host?: HostFixOptions;
}

/** The Plan's port-forwards aimed at the instance. */
function portForwardRules(plan: Plan, instanceIp: string | undefined): PortForwardRule[] {
  if (!instanceIp) return [];
  return plan.portForwards.map((p) => ({
    name: p.name,
    publicPort: p.publicPort,
    targetIp: instanceIp,
    targetPort: p.targetPort,
  }));
}

/** The host script's inputs from the Plan and the provider's Environment (MACs as the ENIs report them). */
export function hostFixInputs(
  plan: Plan,
  env: Environment,
  qrouterNamespace?: string,
  instanceIp?: string,
): HostFixInputs {
  const planned = controllerOf(plan);
  const node = env.nodes.find((n) => n.name === planned.name);
  if (!node) throw new Error('network fix: the environment has no controller node');
  const macOf = (nic: string) => {
    const found = node.nics.find((n) => n.name === nic);
    if (!found) throw new Error(`network fix: the controller has no ${nic} in the environment`);
    return found.mac.toLowerCase();
  };
  const ext = plan.networks.external;
  const routed =
    plan.networkFix === 'routed'
      ? {
          mode: 'routed' as const,
          providerIp: planned.nics.find((n) => n.name === 'eth1')!.ip,
          pool: ext.pool.map((p) => p.ip),
          poolPublic: ext.pool.filter((p) => p.elasticIp).map((p) => p.ip),
          externalBridge: ROUTED_EXTERNAL_BRIDGE,
        }
      : {};
  return {
    ...routed,
    providerMac: macOf('eth1'),
    publicMac: macOf('eth2'),
    registeredIp: ext.routerGatewayIp,
    externalCidr: ext.cidr,
    externalGateway: ext.gateway,
    networkDriver: plan.networkDriver,
    qrouterNamespace,
    portForwards: portForwardRules(plan, instanceIp),
    pingTarget: plan.pingTarget,
  };
}

export async function applyNetworkFix(ctx: NetworkFixContext): Promise<NetworkFixResult> {
  const { plan, env, controller, io } = ctx;
  const routed = plan.networkFix === 'routed';
  const title = routed
    ? 'Network fix (routed: the pool of secondary addresses)'
    : 'Network fix (the seeds’ AWS workaround)';
  return io.group(title, async () => {
    const sdc = sourceDestCheckOff(plan);
    for (const s of sdc) io.info(`network fix: source/dest check off on ${s.node} ${s.nic} (${s.ip}): ${s.why}`);
    // Host first: eth1 gives up its original MAC before the router gateway port takes it.
    const first = await runHostFix(controller, hostFixInputs(plan, env), ctx.host);
    const inputs = hostFixInputs(plan, env);
    const ext = plan.networks.external;
    const neutron = await configureNeutron({
      session: controller,
      io,
      adminRc: ctx.adminRc ?? ADMIN_OPENRC,
      externalNetwork: EXTERNAL_NETWORK,
      externalSubnet: EXTERNAL_SUBNET,
      physicalNetwork: ext.physicalNetwork,
      routerName: plan.networks.routerName,
      cidr: ext.cidr,
      gateway: ext.gateway,
      registeredIp: ext.routerGatewayIp,
      originalMac: inputs.providerMac,
      // routed: the pool is the subnet's, and the gateway port keeps Neutron's own MAC.
      ...(routed ? { allocationPool: ext.pool.map((p) => p.ip), moveMac: false } : {}),
    });
    io.info(
      routed
        ? `network fix: router ${neutron.routerId} gateway ${ext.routerGatewayIp} from the pool of ${ext.pool.length} (${ext.pool.filter((p) => p.elasticIp).length} with an elastic IP), routed by the controller`
        : `network fix: router ${neutron.routerId} gateway ${ext.routerGatewayIp}, MAC ${inputs.providerMac} (${neutron.gatewayMacMethod})`,
    );
    const second = await runHostFix(
      controller,
      hostFixInputs(plan, env, neutron.qrouterNamespace, ctx.instanceIp),
      ctx.host,
    );
    const portForwards = portForwardRules(plan, ctx.instanceIp).map((p) => ({
      name: p.name,
      publicIp: env.routerPublicIp,
      publicPort: p.publicPort,
      target: `${p.targetIp}:${p.targetPort}`,
    }));
    for (const p of portForwards) io.info(`network fix: port-forward ${p.publicIp}:${p.publicPort} -> ${p.target}`);
    return {
      neutron,
      sourceDestCheckOff: sdc.map(({ node, nic, why }) => ({ node, nic, why })),
      portForwards,
      hostChanges: [...first.changes, ...second.changes],
    };
  });
}

interface VerifyContext {
  controller: RemoteSession;
  inputs: HostFixInputs;
  host?: HostFixOptions;
}

/** Probes the controller and judges; never throws for a failed check (see failures). */
export async function verifyNetworkFix(ctx: VerifyContext): Promise<VerifyResult> {
  const facts = await probeHost(ctx.controller, ctx.inputs, ctx.host);
  const failures = judgeNetworkFix(facts, {
    mode: ctx.inputs.mode,
    providerIp: ctx.inputs.providerIp,
    pool: ctx.inputs.pool,
    poolPublic: ctx.inputs.poolPublic,
    externalBridge: ctx.inputs.externalBridge,
    originalMac: ctx.inputs.providerMac,
    registeredIp: ctx.inputs.registeredIp,
    externalCidr: ctx.inputs.externalCidr,
    externalGateway: ctx.inputs.externalGateway,
    pingTarget: ctx.inputs.pingTarget,
    qrouterNamespace: ctx.inputs.qrouterNamespace,
    portForwards: ctx.inputs.portForwards,
  });
  return { ok: failures.length === 0, failures, facts };
}

/** The one-line verdict for a thrown error or the job summary. */
export function describeVerify(r: VerifyResult): string {
  return r.ok ? 'network fix verified' : `network fix incomplete: ${r.failures.join('; ')}`;
}
