// The verification's verdict (pure): the probe's facts against what the fix must have achieved.
// Each failure names the step that did not take, as the seeds would check it by hand.

import { ETH1_ORIGINAL_MAC_PATH } from '../core/node-paths';
import type { NetfixFacts, NetworkFixExpectation } from './types';

const one = (f: NetfixFacts, k: string): string | undefined => f[k]?.[0];

export function judgeNetworkFix(f: NetfixFacts, e: NetworkFixExpectation): string[] {
  const failures: string[] = [];
  const providerMac = one(f, 'provider_mac');
  if (!one(f, 'provider_if')) {
    failures.push(`eth1 not found: no NIC has its original MAC ${e.originalMac} or the recorded new one`);
  } else if (providerMac === e.originalMac) {
    failures.push(`eth1 still has its original MAC ${e.originalMac} (the step giving eth1 a new MAC did not take)`);
  }
  if (one(f, 'recorded_original_mac') !== e.originalMac) {
    failures.push(`eth1's original MAC ${e.originalMac} is not on record (${ETH1_ORIGINAL_MAC_PATH})`);
  }
  if (one(f, 'ip_forward') !== '1') failures.push('IP forwarding is off on the controller');
  if (!one(f, 'public_if')) failures.push('eth2 not found by its MAC');
  else if (one(f, 'masquerade') !== 'yes') failures.push(`no MASQUERADE out eth2 (${one(f, 'public_if')})`);

  if (!e.qrouterNamespace) return failures;
  if (one(f, 'qrouter') !== 'present') {
    failures.push(`the router namespace ${e.qrouterNamespace} does not exist`);
    return failures;
  }
  const gw = one(f, 'gateway_if');
  if (!gw) {
    failures.push(`the router has no gateway port in ${e.externalCidr}`);
  } else {
    const ips = (f.gateway_ip ?? []).map((a) => a.split('/')[0]);
    if (!ips.includes(e.registeredIp)) {
      failures.push(
        `router gateway IP is not eth1's registered address ${e.registeredIp} (${gw} has ${ips.join(', ') || 'none'})`,
      );
    }
    const mac = one(f, 'gateway_mac');
    if (mac !== e.originalMac) {
      failures.push(`router gateway MAC is not eth1's original MAC ${e.originalMac} (${gw} has ${mac ?? 'none'})`);
    }
  }
  const forwards = f.portforward ?? [];
  for (const pf of e.portForwards) {
    const want = `${pf.publicPort}>${pf.targetIp}:${pf.targetPort}@${e.registeredIp}`;
    if (!forwards.includes(want)) {
      failures.push(
        `no port-forward for ${pf.publicPort} (${e.registeredIp}:${pf.publicPort} -> ${pf.targetIp}:${pf.targetPort})`,
      );
    }
  }
  if (e.portForwards.length && one(f, 'portforward_jump') !== 'yes') {
    failures.push('the port-forward chain is not hooked into PREROUTING in the router namespace');
  }
  if (one(f, 'ping') !== 'ok') failures.push(`the router namespace cannot reach ${e.pingTarget}`);
  const state = one(f, 'neighbour_state') ?? '';
  const neighbourMac = one(f, 'neighbour_mac') ?? '';
  if (!neighbourMac || /INCOMPLETE|FAILED/.test(state)) {
    failures.push(
      `the router's neighbour entry for the subnet gateway ${e.externalGateway} is ${state || 'missing'}, not its MAC`,
    );
  }
  return failures;
}
