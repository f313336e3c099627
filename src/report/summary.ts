// The job summary: what was built and where to reach it, how long each part took, whether the cloud
// works, what it probably cost, and whether it is gone again. Never given a password; whatever it
// renders is also passed through the known secrets once more before it leaves. Written in named
// sections (src/core/summary-sections.ts): the teardown's summary replaces main's timeline and
// "not run yet" where both land in one file (the CLI), and follows main's where they do not.

import { section } from '../core/summary-sections';
import type { Plan } from '../plan/types';
import type { Environment, TeardownReport } from '../provider';
import { smokeResult } from '../smoke/run';
import { maskSecrets } from '../smoke/shell';
import type { CheckResult } from '../smoke/types';
import { CostBasis, estimateCost, formatUsd } from './cost';
import { authUrl, dashboardUrl } from './credentials';
import { portForwardsOutput } from './outputs';
import { PRICE_REGION, PRICES_AS_OF } from './prices';
import { formatSeconds, renderTimeline } from './timeline';
import type { Timings } from './timings';

interface SummaryInput {
  plan: Plan;
  env?: Environment;
  results?: CheckResult[];
  timings: Timings;
  /** Seconds the instances existed (or have existed so far), for the cost estimate. */
  billedSeconds?: number;
  teardown?: TeardownReport;
  secrets?: readonly string[];
}

const ICON: Record<string, string> = { passed: '✅', failed: '❌', skipped: '⏭️' };

/** Markdown table cell: no pipes or new lines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function renderEnvironment(plan: Plan, env?: Environment): string {
  const lines = [
    '### Environment',
    '',
    '| release | OS | topology | network | provider | expires |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${plan.release.label} | ${plan.os.label} | ${plan.topology} | Neutron ${plan.networkDriver} | ${plan.provider}${plan.provider === 'aws' ? ` ${plan.region}` : ''} | ${plan.expiresAt} |`,
    '',
    '| node | role | type | instance | addresses |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const n of plan.nodes) {
    const e = env?.nodes.find((x) => x.name === n.name);
    const addrs = n.nics.map((nic) => `${nic.name} ${nic.ip}`);
    if (n.role === 'controller' && env) addrs.push(`public ${env.controllerPublicIp}`, `router ${env.routerPublicIp}`);
    lines.push(`| ${n.name} | ${n.role} | ${n.instanceType} | ${e?.instanceId ?? '—'} | ${cell(addrs.join(', '))} |`);
  }
  if (env) {
    lines.push(
      '',
      '| endpoint | address |',
      '| --- | --- |',
      `| Keystone (auth URL) | ${authUrl(env)} |`,
      `| dashboard | ${dashboardUrl(plan, env)} |`,
      `| SSH | \`ssh -i <ssh-key-path> ${env.sshUser}@${env.controllerPublicIp}${env.sshPort !== 22 ? ` -p ${env.sshPort}` : ''}\` |`,
      ...portForwardsOutput(plan, env).map(
        (p) => `| port-forward ${p.name} | ${p.address} → instance port ${p.targetPort} |`,
      ),
    );
  }
  return lines.join('\n');
}

function renderSmokeTable(results: CheckResult[] | undefined, plan: Plan): string {
  if (!results || results.length === 0)
    return [
      '### Smoke checks',
      '',
      plan.checks.length === 0 ? 'Skipped (`smoke: false`).' : 'Not run (the run stopped before them).',
    ].join('\n');
  const lines = ['### Smoke checks', '', '| check | result | time | details |', '| --- | --- | --- | --- |'];
  for (const r of results) {
    const details = r.failure ? `${r.failure.message}. ${r.failure.hint}` : (r.skippedReason ?? r.notes.join('; '));
    lines.push(`| ${r.id} | ${ICON[r.status]} ${r.status} | ${formatSeconds(r.seconds)} | ${cell(details)} |`);
  }
  for (const r of results)
    for (const l of r.listings ?? [])
      lines.push(
        '',
        `<details><summary>${html(r.id)}: ${html(l.title)} (${l.count ?? l.lines.length})</summary>`,
        '',
        `<pre>${html(l.lines.join('\n'))}</pre>`,
        '',
        '</details>',
      );
  for (const r of results.filter((x) => x.failure)) {
    lines.push(
      '',
      `<details><summary>${html(r.id)}: ${html(r.failure!.message)}</summary>`,
      '',
      `<pre>$ ${html(r.failure!.command || '(no command)')}\n${html(r.failure!.output)}</pre>`,
      '',
      `Hint: ${html(r.failure!.hint)}`,
      '',
      '</details>',
    );
  }
  return lines.join('\n');
}

function renderCost(plan: CostBasis, seconds: number): string {
  const c = estimateCost(plan, seconds);
  return [
    '### Estimated cost',
    '',
    '| item | quantity | estimate |',
    '| --- | --- | --- |',
    ...c.lines.map((l) => `| ${l.item} | ${l.quantity} | ${formatUsd(l.usd)} |`),
    `| **total** | ${formatSeconds(seconds)} | **${formatUsd(c.totalUsd)}${c.incomplete ? ' + n/a' : ''}** |`,
    '',
    `> An estimate, not a bill: ${PRICE_REGION} on-demand Linux list prices (${PRICES_AS_OF}; src/report/prices.ts) × the time the instances existed${plan.region !== PRICE_REGION ? `; this run was in ${plan.region}, where prices differ` : ''}. Spot, tax and data transfer are not included.`,
  ].join('\n');
}

/** Section names of the summary: written again, a section replaces the one before (CLI file). */
export const SummarySections = {
  Head: 'head',
  Timeline: 'timeline',
  Smoke: 'smoke',
  Cost: 'cost',
  Teardown: 'teardown',
} as const;

function renderTeardown(t: TeardownReport | undefined): string {
  if (!t)
    return '### Teardown\n\nNot run yet: the teardown follows this step, with its result and the timeline of the whole run.';
  const lines = [
    '### Teardown',
    '',
    `${t.leftovers.length === 0 ? '✅' : '❌'} deleted ${t.deleted.length} resource(s) of stack \`${t.stackId}\` in ${formatSeconds(t.seconds)}; ${t.leftovers.length} left over.`,
  ];
  if (t.leftovers.length > 0) {
    lines.push('', 'Delete these by hand (or run `mode: down` / `mode: sweep`):', '');
    for (const r of t.leftovers) lines.push(`- ${r.kind} \`${r.id}\`${r.node ? ` (${r.node})` : ''}`);
  }
  return lines.join('\n');
}

/** Kept on purpose (the teardown input said so): where the result of a teardown would be. */
export function renderKept(stackId: string, why: string): string {
  return [
    '### Teardown',
    '',
    `⏸️ stack \`${stackId}\` kept: ${why}. Delete it with \`mode: down\` and \`stack-id: ${stackId}\`; its instances terminate themselves when its lifetime ends, and \`mode: sweep\` deletes the rest.`,
  ].join('\n');
}

function renderTimelineSection(timings: Timings, title = 'Timeline'): string {
  return [`### ${title}`, '', '```text', renderTimeline(timings.list()), '```'].join('\n');
}

export function renderSummary(input: SummaryInput): string {
  const { plan, env, results, timings } = input;
  const result = smokeResult(results ?? []);
  const md = [
    section(
      SummarySections.Head,
      `## openstack-on-aws: stack \`${plan.stackId}\` — smoke ${ICON[result]} ${result}\n\n${renderEnvironment(plan, env)}`,
    ),
    section(SummarySections.Timeline, renderTimelineSection(timings)),
    section(SummarySections.Smoke, renderSmokeTable(results, plan)),
    ...(input.billedSeconds !== undefined && plan.provider === 'aws'
      ? [section(SummarySections.Cost, renderCost(plan, input.billedSeconds))]
      : []),
    section(SummarySections.Teardown, renderTeardown(input.teardown)),
  ].join('');
  return maskSecrets(md, input.secrets ?? []);
}

interface TeardownSummaryInput {
  /** What the cost table needs (absent for `down` and `sweep`, which have no run to price). */
  cost?: CostBasis;
  teardown: TeardownReport;
  /** The run's timings with the teardown recorded: the timeline of the whole run (absent: none). */
  timings?: Timings;
  billedSeconds?: number;
  secrets?: readonly string[];
  /** Section name of the teardown result (a sweep writes one per stack). */
  sectionName?: string;
}

/** What follows the teardown: its result, the whole run's timeline, and the cost of the whole run. */
export function renderTeardownSummary(input: TeardownSummaryInput): string {
  const { cost } = input;
  const md = [
    section(input.sectionName ?? SummarySections.Teardown, renderTeardown(input.teardown)),
    ...(input.timings
      ? [
          section(
            SummarySections.Timeline,
            renderTimelineSection(input.timings, 'Timeline (the whole run, with teardown)'),
          ),
        ]
      : []),
    ...(input.billedSeconds !== undefined && cost?.provider === 'aws'
      ? [section(SummarySections.Cost, renderCost(cost, input.billedSeconds))]
      : []),
  ].join('');
  return maskSecrets(md, input.secrets ?? []);
}
