// The verification's verdict (pure): the probe's facts against what the fix must have achieved.
// Each failure names the step that did not take, as the seeds would check it by hand.

import { ETH1_ORIGINAL_MAC_PATH } from '../core/node-paths';
import type { NetfixFacts, NetworkFixExpectation } from './types';

const one = (f: NetfixFacts, k: string): string | undefined => f[k]?.[0];

export function judgeNetworkFix(f: NetfixFacts, e: NetworkFixExpectation): string[] {
  if (e.mode === 'routed') return judgeRouted(f, e);
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

/** The host side of the routed fix (network-fix.sh R1-R4), then the router as for seeds, minus the MAC. */
function judgeRouted(f: NetfixFacts, e: NetworkFixExpectation): string[] {
  const failures: string[] = [];
  const all = (k: string) => f[k] ?? [];
  const bridge = e.externalBridge ?? 'the external bridge';
  const nic = one(f, 'provider_if');
  if (!nic) failures.push(`eth1 not found: no NIC has the ENI's MAC ${e.originalMac}`);
  else {
    if (one(f, 'provider_mac') !== e.originalMac)
      failures.push(
        `eth1 (${nic}) does not have the ENI's MAC ${e.originalMac} (routed keeps it: AWS forwards only that MAC)`,
      );
    const master = one(f, 'provider_master');
    if (master)
      failures.push(
        `eth1 (${nic}) is still a port of ${master} (routed: the controller routes, it does not bridge eth1)`,
      );
    if (!all('provider_addr').includes(`${e.providerIp}/32`))
      failures.push(`eth1 (${nic}) does not hold the ENI's primary ${e.providerIp}/32 (its own ARP requests need it)`);
  }
  if (one(f, 'ip_forward') !== '1') failures.push('IP forwarding is off on the controller');
  if (!one(f, 'public_if')) failures.push('eth2 not found by its MAC');
  else if (one(f, 'masquerade') !== 'yes') failures.push(`no MASQUERADE out eth2 (${one(f, 'public_if')})`);
  if (one(f, 'bridge') !== 'present') failures.push(`the external bridge ${bridge} does not exist`);
  else {
    if (one(f, 'bridge_proxy_arp') !== '1')
      failures.push(`proxy ARP is off on ${bridge} (the routers cannot resolve their gateway ${e.externalGateway})`);
    const routes = all('pool_route');
    const missing = (e.pool ?? []).filter((a) => !routes.includes(a));
    if (missing.length) failures.push(`no host route towards ${bridge} for pool address(es) ${missing.join(', ')}`);
  }
  const proxies = all('pool_proxy');
  const unanswered = (e.pool ?? []).filter((a) => !proxies.includes(a));
  if (unanswered.length) failures.push(`no proxy ARP entry on eth1 for pool address(es) ${unanswered.join(', ')}`);
  const rules = all('pool_rule');
  const notOut = (e.poolPublic ?? []).filter((a) => !rules.includes(a));
  if (notOut.length)
    failures.push(
      `pool address(es) with an elastic IP do not leave through eth1: ${notOut.join(', ')} (no rule to table 220)`,
    );
  if (nic && one(f, 'routed_default') !== `${e.externalGateway}@${nic}`)
    failures.push(`table 220 has no default route via ${e.externalGateway} on eth1 (${nic})`);

  if (!e.qrouterNamespace) return failures;
  if (one(f, 'qrouter') !== 'present') {
    failures.push(`the router namespace ${e.qrouterNamespace} does not exist`);
    return failures;
  }
  const gw = one(f, 'gateway_if');
  if (!gw) failures.push(`the router has no gateway port in ${e.externalCidr}`);
  else {
    const ips = all('gateway_ip').map((a) => a.split('/')[0]);
    if (!ips.includes(e.registeredIp))
      failures.push(`router gateway IP is not the pool's ${e.registeredIp} (${gw} has ${ips.join(', ') || 'none'})`);
  }
  const forwards = all('portforward');
  for (const pf of e.portForwards) {
    if (!forwards.includes(`${pf.publicPort}>${pf.targetIp}:${pf.targetPort}@${e.registeredIp}`))
      failures.push(
        `no port-forward for ${pf.publicPort} (${e.registeredIp}:${pf.publicPort} -> ${pf.targetIp}:${pf.targetPort})`,
      );
  }
  if (e.portForwards.length && one(f, 'portforward_jump') !== 'yes')
    failures.push('the port-forward chain is not hooked into PREROUTING in the router namespace');
  if (one(f, 'ping') !== 'ok') failures.push(`the router namespace cannot reach ${e.pingTarget}`);
  const state = one(f, 'neighbour_state') ?? '';
  if (!one(f, 'neighbour_mac') || /INCOMPLETE|FAILED/.test(state))
    failures.push(
      `the router's neighbour entry for its gateway ${e.externalGateway} is ${state || 'missing'} (proxy ARP on ${bridge})`,
    );
  return failures;
}
