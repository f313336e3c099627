// Types of the network fix (src/netfix): what the host script needs, what the fix did, what the
// verification found.

import type { NetworkDriver } from '../settings/matrix';
import type { NetworkFixMode } from '../settings/network-fix-inputs';

/** One DNAT in the qrouter namespace: <registered IP>:publicPort → targetIp:targetPort. */
export interface PortForwardRule {
  name: string;
  publicPort: number;
  targetIp: string;
  targetPort: number;
}

/** Inputs of src/stages/network-fix.sh (its environment variables). */
export interface HostFixInputs {
  /** eth1's original MAC: the one AWS registered to the provider ENI (MAC_PROVIDER). */
  providerMac: string;
  /** eth2's MAC (MAC_PUBLIC): MASQUERADE goes out of the NIC that has it. */
  publicMac: string;
  /** eth1's AWS-registered IP, which the router gateway takes (ROUTER_GATEWAY_IP). */
  registeredIp: string;
  /** The provider subnet and its gateway (the VPC router's .1). */
  externalCidr: string;
  externalGateway: string;
  networkDriver: NetworkDriver;
  /** qrouter-<router id>; without it no port-forwards are set and the probe skips the router. */
  qrouterNamespace?: string;
  portForwards: PortForwardRule[];
  /** What the router namespace must reach (the probe pings it). */
  pingTarget: string;
  /** seeds (default): the MAC move; routed: the pool fields below are required. */
  mode?: NetworkFixMode;
  /** routed: eth1's primary private address (PROVIDER_IP). */
  providerIp?: string;
  /** routed: the provider ENI's secondary addresses, the external subnet's pool (POOL). */
  pool?: string[];
  /** routed: the pool addresses with an elastic IP (POOL_PUBLIC): they leave through eth1. */
  poolPublic?: string[];
  /** routed: the bridge Neutron's external network is on, without eth1 (EXTERNAL_BRIDGE). */
  externalBridge?: string;
}

export interface HostFixOptions {
  /**
   * File system prefix for everything the script writes (tests run it in a namespace on the
   * runner's own file system). '' on a node.
   */
  root?: string;
  timeoutMs?: number;
  /** Pings (2 s each) the probe tries before it reports the target unreachable (default 3). */
  pingAttempts?: number;
}

/** How the gateway port got eth1's original MAC. */
export type GatewayMacMethod = 'already-set' | 'api' | 'database' | 'not-moved';

export interface NeutronFixResult {
  networkId: string;
  subnetId: string;
  routerId: string;
  qrouterNamespace: string;
  gatewayPortId: string;
  gatewayMacMethod: GatewayMacMethod;
}

/** A published port-forward, for the outputs: "<router EIP>:522 → 192.168.100.5:22". */
export interface PublishedPortForward {
  name: string;
  publicIp: string;
  publicPort: number;
  target: string;
}

export interface NetworkFixResult {
  neutron: NeutronFixResult;
  /** NICs whose source/dest check must be off (done at provisioning; listed for the log). */
  sourceDestCheckOff: Array<{ node: string; nic: string; why: string }>;
  portForwards: PublishedPortForward[];
  /** The host script's "changed:" lines, both runs. */
  hostChanges: string[];
}

/** key → values, from `network-fix.sh probe` (a key may repeat, e.g. portforward). */
export type NetfixFacts = Record<string, string[]>;

export interface NetworkFixExpectation {
  mode?: NetworkFixMode;
  providerIp?: string;
  pool?: string[];
  poolPublic?: string[];
  externalBridge?: string;
  originalMac: string;
  registeredIp: string;
  externalCidr: string;
  externalGateway: string;
  pingTarget: string;
  qrouterNamespace?: string;
  portForwards: PortForwardRule[];
}

export interface VerifyResult {
  ok: boolean;
  /** One line per step that did not take, naming it (empty when ok). */
  failures: string[];
  facts: NetfixFacts;
}
