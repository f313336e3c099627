// What a user needs to talk to the cloud from the runner: the endpoints, a clouds.yaml for
// openstacksdk / openstackclient and an openrc, written 0600 under the work directory.

import { promises as fs } from 'fs';
import * as path from 'path';
import type { Plan } from '../plan/types';
import type { Environment } from '../provider';
import { shq } from '../smoke/shell';
import { CLOUDS_YAML_FILE, OPENRC_FILE } from '../core/work-files';

export const CLOUD_NAME = 'openstack-on-aws';
export const REGION_NAME = 'RegionOne';
export const ADMIN_USER = 'admin';
export const ADMIN_PROJECT = 'admin';

export function authUrl(env: Pick<Environment, 'controllerPublicIp'>): string {
  return `http://${env.controllerPublicIp}:5000/v3`;
}

/** Horizon lives at /horizon on Ubuntu and Debian, at /dashboard on the RHEL family (RDO). */
export function dashboardUrl(plan: Pick<Plan, 'os'>, env: Pick<Environment, 'controllerPublicIp'>): string {
  return `http://${env.controllerPublicIp}/${plan.os.family === 'rhel' ? 'dashboard' : 'horizon'}`;
}

/** YAML double-quoted scalar (the password is [A-Za-z0-9], but a file must never depend on it). */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

export function renderCloudsYaml(url: string, password: string): string {
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
    '',
  ].join('\n');
}

export function renderOpenrc(url: string, password: string): string {
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
): Promise<{ cloudsYaml: string; openrc: string }> {
  await fs.mkdir(workDir, { recursive: true });
  const cloudsYaml = path.join(workDir, CLOUDS_YAML_FILE);
  const openrc = path.join(workDir, OPENRC_FILE);
  await writePrivate(cloudsYaml, renderCloudsYaml(authUrl(env), adminPassword));
  await writePrivate(openrc, renderOpenrc(authUrl(env), adminPassword));
  return { cloudsYaml, openrc };
}
