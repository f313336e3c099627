// The run's estimated cost: instance-hours × on-demand price, elastic IPs and EBS volumes for the
// same time. Billing is per second with a one-minute minimum for Linux instances.

import type { Plan } from '../plan/types';
import { GP3_GB_MONTH_USD, HOURS_PER_MONTH, INSTANCE_HOURLY_USD, PUBLIC_IPV4_HOURLY_USD } from './prices';

interface CostLine {
  item: string;
  quantity: string;
  /** undefined when the price is not in the table ('n/a'). */
  usd?: number;
}

interface CostEstimate {
  lines: CostLine[];
  /** Sum of the known lines. */
  totalUsd: number;
  /** True when a line has no price: the total is then a lower bound. */
  incomplete: boolean;
  hours: number;
}

/** What the estimate needs of the Plan; the main step saves it in the State for the post step. */
export type CostBasis = Pick<Plan, 'provider' | 'region' | 'nodes'> & {
  /** The routed network fix's pool addresses with an elastic IP (absent: none, or saved by an older run). */
  poolElasticIps?: number;
};

/** What main saves for post's cost table: the nodes, and how many pool addresses get an elastic IP. */
export function costBasisOf(plan: Plan): CostBasis {
  return {
    provider: plan.provider,
    region: plan.region,
    nodes: plan.nodes,
    poolElasticIps: plan.networks.external.pool.filter((p) => p.elasticIp).length,
  };
}

const money = (n: number) => Math.round(n * 10000) / 10000;

/**
 * Every node is billed for `seconds` (from its launch to its termination: the caller measures it),
 * the elastic IPs of the Plan's NICs and routed pool likewise, and the volumes for their size over the same time.
 */
export function estimateCost(
  plan: Pick<CostBasis, 'nodes' | 'poolElasticIps'>,
  seconds: number,
  prices: Readonly<Record<string, number>> = INSTANCE_HOURLY_USD,
): CostEstimate {
  const hours = Math.max(seconds, 60) / 3600;
  const lines: CostLine[] = [];
  const byType = new Map<string, number>();
  for (const n of plan.nodes) byType.set(n.instanceType, (byType.get(n.instanceType) ?? 0) + 1);
  for (const [type, count] of byType) {
    const price = prices[type];
    lines.push({
      item: `${count} × ${type}`,
      quantity: `${(count * hours).toFixed(2)} instance-h`,
      usd: price === undefined ? undefined : money(count * hours * price),
    });
  }
  // The NICs' elastic IPs and, with the routed network fix, those of the pool's addresses.
  const eips = plan.nodes.flatMap((n) => n.nics).filter((nic) => nic.elasticIp).length + (plan.poolElasticIps ?? 0);
  if (eips > 0)
    lines.push({
      item: `${eips} public IPv4 (elastic IPs)`,
      quantity: `${(eips * hours).toFixed(2)} address-h`,
      usd: money(eips * hours * PUBLIC_IPV4_HOURLY_USD),
    });
  const gib = plan.nodes.flatMap((n) => n.disks).reduce((a, d) => a + d.sizeGiB, 0);
  lines.push({
    item: `${gib} GiB gp3 volumes`,
    quantity: `${((gib * hours) / HOURS_PER_MONTH).toFixed(3)} GB-month`,
    usd: money((gib * hours * GP3_GB_MONTH_USD) / HOURS_PER_MONTH),
  });
  const known = lines.filter((l) => l.usd !== undefined);
  return {
    lines,
    totalUsd: money(known.reduce((a, l) => a + (l.usd ?? 0), 0)),
    incomplete: known.length < lines.length,
    hours,
  };
}

export function formatUsd(usd: number | undefined): string {
  if (usd === undefined) return 'n/a';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
