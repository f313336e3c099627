// The network fix's inputs (issue 15): which procedure (`seeds`, the write-ups' MAC move, or
// `routed`, a pool of secondary addresses the controller routes), how big the routed pool is and
// how many of its floating addresses get an elastic IP. Validated before anything is created: the
// pool must fit the controller's instance type (private IPv4 addresses per network interface).

import { InputError } from '../core/errors';
import { Inputs } from '../core/names';
import { DEFAULT_INSTANCE_TYPES, knownIpv4PerEni, MAX_SECONDARY_IPV4_PER_ENI } from './instance-types';

export type NetworkFixMode = 'seeds' | 'routed';
const NETWORK_FIX_MODES: readonly NetworkFixMode[] = ['seeds', 'routed'];
/** `routed` since it passed every check `seeds` passes on real Neutron (and floating-ip, second-router). */
const DEFAULT_NETWORK_FIX: NetworkFixMode = 'routed';
/** Router gateway, a second router, a public floating IP and one spare. */
const DEFAULT_EXTERNAL_POOL_SIZE = 4;
/**
 * With Tempest (routed): each test project gets a network and a router with an external gateway,
 * and the network scenarios make routers and floating IPs of their own, two classes at a time
 * (concurrency 2), beside the stack's router: m7i.xlarge's most (the default controller's).
 */
const DEFAULT_EXTERNAL_POOL_SIZE_TEMPEST = 14;
const DEFAULT_FLOATING_ELASTIC_IPS = 1;
/** The smoke checks of the routed mode need the router's gateway, one public floating IP and a second router. */
const SMOKE_MIN_POOL = 3;

export interface NetworkFixSettings {
  networkFix: NetworkFixMode;
  /** Secondary private addresses on the controller's provider NIC (0 in seeds mode). */
  externalPoolSize: number;
  /** Of the pool's addresses after the router gateway's, how many get an elastic IP (0 in seeds mode). */
  floatingElasticIps: number;
}

type Read = (name: (typeof Inputs)[keyof typeof Inputs]) => string;

function wholeNumber(name: string, raw: string, min: number, max: number, accepted: string): number {
  const v = raw.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new InputError(name, raw, accepted);
  return n;
}

/**
 * The pool's upper bound: what the controller's instance type allows per interface minus the
 * primary address. The local provider's emulated VPC has no per-type limit; the largest EC2 one holds.
 */
function maxExternalPool(provider: string, controllerType: string): { max: number; why: string } {
  if (provider === 'local') return { max: MAX_SECONDARY_IPV4_PER_ENI, why: 'the most any EC2 instance type allows' };
  const perEni = knownIpv4PerEni(controllerType);
  if (perEni === undefined)
    return { max: MAX_SECONDARY_IPV4_PER_ENI, why: `${controllerType} is checked with EC2 before anything is created` };
  return { max: perEni - 1, why: `${controllerType} allows ${perEni} private IPv4 addresses per network interface` };
}

export function readNetworkFixSettings(
  read: Read,
  provider: string,
  smoke: boolean,
  tempest: boolean,
): NetworkFixSettings {
  const rawMode = read(Inputs.NetworkFix);
  const mode = rawMode.trim().toLowerCase() || DEFAULT_NETWORK_FIX;
  if (!(NETWORK_FIX_MODES as readonly string[]).includes(mode))
    throw new InputError(Inputs.NetworkFix, rawMode, NETWORK_FIX_MODES.join(', '));
  const rawPool = read(Inputs.ExternalPoolSize);
  const rawEips = read(Inputs.FloatingElasticIps);
  if (mode === 'seeds') {
    for (const [name, raw] of [
      [Inputs.ExternalPoolSize, rawPool],
      [Inputs.FloatingElasticIps, rawEips],
    ] as const)
      if (raw.trim() !== '')
        throw new InputError(
          name,
          raw,
          "empty with network-fix 'seeds'",
          "only the 'routed' network fix has a pool of addresses (the seeds' fix has one: the provider NIC's)",
        );
    return { networkFix: 'seeds', externalPoolSize: 0, floatingElasticIps: 0 };
  }
  const controllerType = read(Inputs.ControllerInstanceType).trim() || DEFAULT_INSTANCE_TYPES.controller;
  const bound = maxExternalPool(provider, controllerType);
  const min = smoke ? SMOKE_MIN_POOL : 1;
  const poolAccepted =
    `a whole number from ${min} to ${bound.max} (${bound.why})` +
    (smoke ? `; the smoke checks need ${SMOKE_MIN_POOL}: the router, a floating IP, a second router` : '');
  const pool =
    rawPool.trim() === ''
      ? Math.min(Math.max(tempest ? DEFAULT_EXTERNAL_POOL_SIZE_TEMPEST : DEFAULT_EXTERNAL_POOL_SIZE, min), bound.max)
      : wholeNumber(Inputs.ExternalPoolSize, rawPool, min, bound.max, poolAccepted);
  if (pool < min)
    throw new InputError(
      Inputs.ControllerInstanceType,
      controllerType,
      poolAccepted,
      'too few addresses per interface',
    );
  // The router's gateway always has one (the port-forwards land there); the rest are floating addresses.
  const floating = pool - 1;
  const minEips = smoke ? 1 : 0;
  const eips =
    rawEips.trim() === ''
      ? Math.min(DEFAULT_FLOATING_ELASTIC_IPS, floating)
      : rawEips.trim().toLowerCase() === 'all'
        ? floating
        : wholeNumber(
            Inputs.FloatingElasticIps,
            rawEips,
            minEips,
            floating,
            `a whole number from ${minEips} to ${floating} (the pool's addresses after the router gateway's), or all` +
              (smoke ? '; the floating-ip smoke check needs one' : ''),
          );
  if (eips < minEips)
    throw new InputError(
      Inputs.FloatingElasticIps,
      rawEips,
      'at least 1 with smoke checks on',
      'the floating-ip check needs one',
    );
  return { networkFix: 'routed', externalPoolSize: pool, floatingElasticIps: eips };
}
