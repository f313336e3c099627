// What a user needs to talk to the cloud from the runner: the endpoints (HTTPS on the elastic IP),
// a clouds.yaml for openstacksdk / openstackclient and an openrc, written 0600 under the work
// directory, both pointing at the stack's CA certificate next to them (cacert / OS_CACERT).

import { promises as fs } from 'fs';
import * as path from 'path';
import type { Plan } from '../plan/types';
import { publicTlsPort } from '../plan/plan';
import type { Environment } from '../provider';
import { controllerPublicNicIp } from '../remote/tls-files';
import { shq } from '../smoke/shell';
import { CLOUDS_YAML_FILE, OPENRC_FILE } from '../core/work-files';

const CLOUD_NAME = 'openstack-on-aws';
const REGION_NAME = 'RegionOne';
export const ADMIN_USER = 'admin';
export const ADMIN_PROJECT = 'admin';

export function authUrl(env: Pick<Environment, 'controllerPublicIp'>): string {
  return `https://${env.controllerPublicIp}:${publicTlsPort(5000)}/v3`;
}

/** Horizon lives at /horizon on Ubuntu and Debian, at /dashboard on the RHEL family (RDO). */
function dashboardPath(plan: Pick<Plan, 'os'>): string {
  return plan.os.family === 'rhel' ? 'dashboard' : 'horizon';
}

export function dashboardUrl(plan: Pick<Plan, 'os'>, env: Pick<Environment, 'controllerPublicIp'>): string {
  // Horizon's HTTPS port is 443: no port in the URL.
  return `https://${env.controllerPublicIp}/${dashboardPath(plan)}`;
}

/**
 * The dashboard as the controller reaches itself: through the same HTTPS proxy, at its public NIC's
 * address (the stack's certificate names it; the elastic IP is out of the node's reach).
 * Undefined when the plan has no public NIC on the controller.
 */
export function controllerDashboardUrl(plan: Pick<Plan, 'os' | 'nodes'>): string | undefined {
  const ip = controllerPublicNicIp(plan);
  return ip ? `https://${ip}/${dashboardPath(plan)}/` : undefined;
}

/** YAML double-quoted scalar (the password is [A-Za-z0-9], but a file must never depend on it). */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

function renderCloudsYaml(url: string, password: string, caCertPath?: string): string {
  return [
    'clouds:',
    `  ${CLOUD_NAME}:`,
    '    auth:',
    `      auth_url: ${yamlString(url)}`,
    `      username: ${yamlString(ADMIN_USER)}`,
    `      password: ${yamlString(password)}`,
    `      project_name: ${yamlString(ADMIN_PROJECT)}`,
    '      user_domain_name: "Default"',
    '      project_domain_name: "Default"',
    `    region_name: ${yamlString(REGION_NAME)}`,
    '    identity_api_version: 3',
    '    interface: "public"',
    ...(caCertPath ? [`    cacert: ${yamlString(caCertPath)}`] : []),
    '',
  ].join('\n');
}

function renderOpenrc(url: string, password: string, caCertPath?: string): string {
  return [
    `# Admin credentials of ${CLOUD_NAME}: source this file, then run openstack commands.`,
    `export OS_USERNAME=${shq(ADMIN_USER)}`,
    `export OS_PASSWORD=${shq(password)}`,
    `export OS_PROJECT_NAME=${shq(ADMIN_PROJECT)}`,
    "export OS_USER_DOMAIN_NAME='Default'",
    "export OS_PROJECT_DOMAIN_NAME='Default'",
    `export OS_AUTH_URL=${shq(url)}`,
    'export OS_IDENTITY_API_VERSION=3',
    `export OS_REGION_NAME=${shq(REGION_NAME)}`,
    ...(caCertPath ? [`export OS_CACERT=${shq(caCertPath)}`] : []),
    '',
  ].join('\n');
}

async function writePrivate(file: string, content: string): Promise<void> {
  await fs.writeFile(file, content, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file; an older copy keeps its mode otherwise.
  await fs.chmod(file, 0o600);
}

export async function writeCredentialFiles(
  env: Pick<Environment, 'controllerPublicIp'>,
  adminPassword: string,
  workDir: string,
  /** The stack's CA certificate (absent only when the run failed before it was made). */
  caCertPem?: string,
): Promise<{ cloudsYaml: string; openrc: string; caCert?: string }> {
  await fs.mkdir(workDir, { recursive: true });
  const cloudsYaml = path.join(workDir, CLOUDS_YAML_FILE);
  const openrc = path.join(workDir, OPENRC_FILE);
  // Absolute: clouds.yaml and openrc work from any directory. A certificate, not a secret.
  const caCert = caCertPem ? path.resolve(workDir, 'ca.pem') : undefined;
  if (caCert) await fs.writeFile(caCert, caCertPem!, { mode: 0o644 });
  await writePrivate(cloudsYaml, renderCloudsYaml(authUrl(env), adminPassword, caCert));
  await writePrivate(openrc, renderOpenrc(authUrl(env), adminPassword, caCert));
  return { cloudsYaml, openrc, ...(caCert ? { caCert } : {}) };
}
