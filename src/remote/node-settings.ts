// The per-node settings file the stage scripts source (/etc/openstack-on-aws/settings.env, mode
// 0600): everything a stage needs to know about its node, the other nodes and the stack, as
// shell-safe KEY='value' lines. The key list is the contract with settings_defaults in
// src/stages/lib.sh (a unit test keeps both in step).

import type { Plan, PlannedNode, NicPurpose } from '../plan/types';
import type { Environment, EnvironmentNode } from '../provider';
import { PASSWORD_NAMES, PasswordName, StackSecrets } from '../core/secrets';
import { shellQuote } from '../core/shell-quote';

// The node paths shared with the scripts live in src/core/node-paths.ts; re-exported for the stage code.
export { NICS_PATH, SETTINGS_PATH, STAGE_LOG_DIR, STAGES_DIR } from '../core/node-paths';

function passwordKey(name: PasswordName): string {
  return `PASS_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** Keys every settings file has, in file order (passwords last). */
export const SETTINGS_KEYS = [
  'STACK_ID',
  'NODE_NAME',
  'NODE_ROLE',
  'NODE_STAGES',
  'OS_ID',
  'OS_FAMILY',
  'OS_CODENAME',
  'RELEASE_ID',
  'RELEASE_CODENAME',
  'PACKAGE_SOURCE',
  'NETWORK_DRIVER',
  'NETWORK_FIX',
  'VIRT_TYPE',
  'MANAGEMENT_IP',
  'MANAGEMENT_CIDR',
  'MANAGEMENT_GATEWAY',
  'PROVIDER_CIDR',
  'PROVIDER_GATEWAY',
  'PUBLIC_NIC_IP',
  'MAC_MANAGEMENT',
  'MAC_PROVIDER',
  'MAC_PUBLIC',
  'CONTROLLER_NAME',
  'CONTROLLER_IP',
  'PUBLIC_ADDRESS',
  'ROUTER_PUBLIC_IP',
  'HOSTS',
  'COMPUTE_NODES',
  'HAS_BLOCK',
  'HAS_OBJECT',
  'SWIFT_STORAGE_IPS',
  'SWIFT_DEVICES',
  'DISKS',
  'EXTERNAL_CIDR',
  'EXTERNAL_GATEWAY',
  'ROUTER_GATEWAY_IP',
  'PHYSICAL_NETWORK',
  ...PASSWORD_NAMES.map(passwordKey),
] as const;
type SettingsKey = (typeof SETTINGS_KEYS)[number];

function nicOf(planned: PlannedNode, envNode: EnvironmentNode, purpose: NicPurpose): { mac: string; ip: string } {
  const p = planned.nics.find((n) => n.purpose === purpose);
  if (!p) return { mac: '', ip: '' };
  const e = envNode.nics.find((n) => n.name === p.name);
  if (!e) throw new Error(`the provider reported no NIC ${p.name} (${purpose}) for ${planned.name}`);
  return { mac: e.mac.toLowerCase(), ip: p.ip };
}

/** "purpose:label:sizeGiB:serial:path" per extra disk: lib.sh's disk_for finds it by serial or size. */
function disksOf(planned: PlannedNode, envNode: EnvironmentNode): string {
  return planned.disks
    .filter((d) => d.purpose !== 'root')
    .map((d) => {
      const e = envNode.disks?.find((x) => x.device === d.device);
      const field = (s: string | undefined) => {
        const v = s ?? '';
        if (/[:\s]/.test(v)) throw new Error(`disk field "${v}" of ${planned.name} holds ':' or whitespace`);
        return v;
      };
      return [d.purpose, field(d.label), String(d.sizeGiB), field(e?.volumeId), field(e?.path)].join(':');
    })
    .join(' ');
}

/** The settings of one node as key/value pairs (see SETTINGS_KEYS). */
export function nodeSettings(
  plan: Plan,
  env: Environment,
  secrets: StackSecrets,
  nodeName: string,
): Record<SettingsKey, string> {
  const planned = plan.nodes.find((n) => n.name === nodeName);
  const envNode = env.nodes.find((n) => n.name === nodeName);
  if (!planned || !envNode) throw new Error(`no node ${nodeName} in the plan and the environment`);
  const controller = plan.nodes.find((n) => n.role === 'controller');
  if (!controller) throw new Error('the plan has no controller');
  const management = plan.subnets.find((s) => s.name === 'management')!;
  const provider = plan.subnets.find((s) => s.name === 'provider')!;
  const managementIpOf = (n: PlannedNode) => env.nodes.find((e) => e.name === n.name)?.managementIp ?? n.managementIp;
  const objects = plan.nodes.filter((n) => n.role === 'object');
  const swiftLabels = [
    ...new Set(objects.flatMap((n) => n.disks.filter((d) => d.purpose === 'swift').map((d) => d.label ?? ''))),
  ];
  const mgmtNic = nicOf(planned, envNode, 'management');
  const provNic = nicOf(planned, envNode, 'provider');
  const pubNic = nicOf(planned, envNode, 'public');
  const passwords = Object.fromEntries(PASSWORD_NAMES.map((n) => [passwordKey(n), secrets.passwords[n]])) as Record<
    string,
    string
  >;
  return {
    STACK_ID: plan.stackId,
    NODE_NAME: planned.name,
    NODE_ROLE: planned.role,
    // repositories.sh installs the packages of all these stages in one transaction.
    NODE_STAGES: plan.stages
      .filter((s) => s.node === planned.name)
      .map((s) => s.stage)
      .join(' '),
    OS_ID: plan.os.id,
    OS_FAMILY: plan.os.family,
    OS_CODENAME: plan.os.codename ?? '',
    RELEASE_ID: plan.release.id,
    RELEASE_CODENAME: plan.release.codename,
    PACKAGE_SOURCE: plan.packageSource,
    NETWORK_DRIVER: plan.networkDriver,
    NETWORK_FIX: plan.networkFix,
    VIRT_TYPE: planned.virt ?? '',
    MANAGEMENT_IP: managementIpOf(planned),
    MANAGEMENT_CIDR: management.cidr,
    MANAGEMENT_GATEWAY: management.gateway,
    PROVIDER_CIDR: provider.cidr,
    PROVIDER_GATEWAY: provider.gateway,
    PUBLIC_NIC_IP: pubNic.ip,
    MAC_MANAGEMENT: mgmtNic.mac,
    MAC_PROVIDER: provNic.mac,
    MAC_PUBLIC: pubNic.mac,
    CONTROLLER_NAME: controller.name,
    CONTROLLER_IP: managementIpOf(controller),
    PUBLIC_ADDRESS: env.controllerPublicIp,
    ROUTER_PUBLIC_IP: env.routerPublicIp,
    HOSTS: plan.nodes.map((n) => `${n.name}=${managementIpOf(n)}`).join(' '),
    COMPUTE_NODES: plan.nodes
      .filter((n) => n.role === 'compute')
      .map((n) => n.name)
      .join(' '),
    HAS_BLOCK: plan.nodes.some((n) => n.role === 'block') ? '1' : '0',
    HAS_OBJECT: objects.length > 0 ? '1' : '0',
    SWIFT_STORAGE_IPS: objects.map(managementIpOf).join(' '),
    SWIFT_DEVICES: swiftLabels.join(' '),
    DISKS: disksOf(planned, envNode),
    EXTERNAL_CIDR: plan.networks.external.cidr,
    EXTERNAL_GATEWAY: plan.networks.external.gateway,
    ROUTER_GATEWAY_IP: plan.networks.external.routerGatewayIp,
    PHYSICAL_NETWORK: plan.networks.external.physicalNetwork,
    ...passwords,
  } as Record<SettingsKey, string>;
}

/**
 * The settings file content: one KEY='value' line per key, sourced by src/stages/lib.sh.
 * `overrides` replace computed values (the stage tests' all-in-one node is its own Swift node).
 */
export function renderNodeSettings(
  plan: Plan,
  env: Environment,
  secrets: StackSecrets,
  nodeName: string,
  overrides: Partial<Record<SettingsKey, string>> = {},
): string {
  const values = nodeSettings(plan, env, secrets, nodeName);
  const lines = [
    `# openstack-on-aws settings for ${nodeName} (stack ${plan.stackId}); sourced by the stage scripts.`,
    ...SETTINGS_KEYS.map((k) => `${k}=${shellQuote(overrides[k] ?? values[k])}`),
  ];
  return `${lines.join('\n')}\n`;
}
