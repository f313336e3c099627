// The Plan for people: plain text for the log and the terminal, markdown for the job summary.

import type { Plan } from '../plan/types';

function nicLine(n: Plan['nodes'][number]['nics'][number]): string {
  const flags = [
    n.hostAddress ? n.ip : `no host address (AWS registers ${n.ip})`,
    n.elasticIp ? 'elastic IP' : '',
    n.sourceDestCheck ? '' : 'source/dest check off',
    `groups ${n.securityGroups.join('+')}`,
  ].filter(Boolean);
  return `${n.name} [${n.purpose}, ${n.subnet}] ${flags.join(', ')}`;
}

function stageWaits(plan: Plan, id: string): string {
  const s = plan.stages.find((x) => x.id === id)!;
  const cross = s.after.filter((a) => !a.startsWith(`${s.node}:`));
  return cross.length ? ` (waits for ${cross.join(', ')})` : '';
}

export function renderPlanText(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`Stack ${plan.stackId} on ${plan.provider}${plan.provider === 'aws' ? ` in ${plan.region}` : ''}`);
  lines.push(
    `OpenStack ${plan.release.label} on ${plan.os.label} (packages: ${plan.packageSource}), Neutron ${plan.networkDriver} self-service, topology ${plan.topology}`,
  );
  if (plan.os.legacy) lines.push(`Legacy: ${plan.os.legacy}`);
  lines.push(`Lifetime ${plan.lifetimeMinutes} min: expires ${plan.expiresAt}; teardown ${plan.teardown}`);
  lines.push('', `VPC ${plan.vpcCidr}`);
  for (const s of plan.subnets) {
    const route =
      s.defaultRoute.target === 'internet-gateway'
        ? 'internet gateway'
        : `${s.defaultRoute.node} ${s.defaultRoute.nic}`;
    lines.push(`  subnet ${s.name} ${s.cidr}, gateway ${s.gateway}, default route → ${route}`);
  }
  for (const g of plan.securityGroups) {
    lines.push(
      `  security group ${g.name}: ${g.ingress.map((r) => `${r.protocol}${r.fromPort !== undefined && r.fromPort >= 0 ? `/${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}` : ''} from ${r.source}`).join(', ')}`,
    );
  }
  lines.push('', 'Nodes');
  for (const n of plan.nodes) {
    lines.push(
      `  ${n.name} (${n.role}) ${n.instanceType}${n.virt ? `, instances on ${n.virt}` : ''}, management ${n.managementIp}`,
    );
    lines.push(
      `    disks: ${n.disks.map((d) => `${d.device} ${d.sizeGiB} GiB ${d.purpose}${d.label ? ` ${d.label}` : ''}`).join('; ')}`,
    );
    for (const nic of n.nics) lines.push(`    ${nicLine(nic)}`);
  }
  lines.push('', 'Install stages (per node in order; nodes run side by side)');
  for (const n of plan.nodes) {
    const ids = plan.stages.filter((s) => s.node === n.name);
    lines.push(`  ${n.name}: ${ids.map((s) => `${s.stage}${stageWaits(plan, s.id)}`).join(' → ')}`);
  }
  const x = plan.networks.external;
  lines.push(
    '',
    'Network fix',
    ...(plan.networkFix === 'routed'
      ? [
          `  routed: eth1 keeps its MAC; its ${x.pool.length} secondary addresses are the external subnet's pool, routed by the controller`,
          ...x.pool.map(
            (p) =>
              `    ${p.ip} ${p.use === 'router-gateway' ? 'router gateway' : 'floating'}${p.elasticIp ? ' (elastic IP)' : ' (reachable inside the VPC only)'}`,
          ),
        ]
      : [
          `  seeds: router gateway on ${x.routerGatewayIp} (controller eth1's registered address) with eth1's original MAC; eth1 gets a new MAC`,
        ]),
    `  external subnet ${x.cidr} via ${x.gateway}; tenant network ${plan.networks.tenant.cidr}`,
    ...plan.portForwards.map(
      (p) => `  port-forward ${p.publicPort} → instance port ${p.targetPort} (${p.description})`,
    ),
  );
  lines.push('', plan.checks.length ? 'Smoke checks' : 'Smoke checks: skipped');
  for (const c of plan.checks) lines.push(`  ${c.id}: ${c.description}`);
  if (plan.warnings.length) lines.push('', 'Warnings', ...plan.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}

export function renderPlanMarkdown(plan: Plan): string {
  const rows = plan.nodes.map(
    (n) =>
      `| ${n.name} | ${n.role} | ${n.instanceType} | ${n.virt ?? ''} | ${n.nics.map((nic) => `${nic.name} ${nic.subnet} ${nic.ip}${nic.hostAddress ? '' : ' (no host IP)'}`).join('<br>')} | ${n.disks.map((d) => `${d.sizeGiB} GiB ${d.purpose}`).join('<br>')} |`,
  );
  return [
    `### Plan for stack \`${plan.stackId}\``,
    '',
    `OpenStack **${plan.release.label}** on **${plan.os.label}**, Neutron ${plan.networkDriver}, topology ${plan.topology}, provider ${plan.provider}${plan.provider === 'aws' ? ` (${plan.region})` : ''}. Expires ${plan.expiresAt}.`,
    '',
    ...plan.warnings.map((w) => `> [!WARNING]\n> ${w}\n`),
    '| node | role | type | virt | NICs | disks |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '<details><summary>Full plan</summary>',
    '',
    '```',
    renderPlanText(plan),
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
}
