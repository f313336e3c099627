// Every output of an `up` run, through the Io (GITHUB_OUTPUT in a workflow). The admin password is
// masked before anything else happens.

import { promises as fs } from 'fs';
import type { Io } from '../core/io';
import { Outputs } from '../core/names';
import type { Plan } from '../plan/types';
import type { Environment } from '../provider';
import { smokeResult } from '../smoke/run';
import type { CheckResult } from '../smoke/types';
import { authUrl, dashboardUrl, writeCredentialFiles } from './credentials';
import type { Timings } from './timings';

export interface PublishInput {
  plan: Plan;
  env: Environment;
  io: Io;
  /** A private directory on the runner for the files the outputs point at. */
  workDir: string;
  adminPassword: string;
  /** The stack's CA certificate: clouds.yaml and openrc point at a copy (absent when it was never made). */
  caCertPem?: string;
  /** Undefined when the checks never ran (smoke-result is then skipped). */
  results?: CheckResult[];
  junitPath?: string;
  timings: Timings;
}

interface PortForwardOutput {
  name: string;
  address: string;
  host: string;
  port: number;
  targetPort: number;
  description: string;
}

export function portForwardsOutput(plan: Plan, env: Environment): PortForwardOutput[] {
  return plan.portForwards.map((p) => ({
    name: p.name,
    address: `${env.routerPublicIp}:${p.publicPort}`,
    host: env.routerPublicIp,
    port: p.publicPort,
    targetPort: p.targetPort,
    description: p.description,
  }));
}

interface ExternalAddressOutput {
  address: string;
  use: 'router-gateway' | 'floating';
  /** The elastic IP mapped to it, or null: reachable only from inside the VPC. */
  publicIp: string | null;
}

/** The routed pool as a user needs it to make a floating IP the internet reaches ([] with seeds). */
export function externalAddressesOutput(plan: Plan, env: Environment): ExternalAddressOutput[] {
  return plan.networks.external.pool.map((p) => ({
    address: p.ip,
    use: p.use,
    publicIp: env.poolElasticIps?.[p.ip] ?? null,
  }));
}

/** Sets every output and returns the values (the summary shows some of them). */
export async function publishOutputs(input: PublishInput): Promise<Record<string, string>> {
  const { plan, env, io, adminPassword } = input;
  io.setSecret(adminPassword);
  const files = await writeCredentialFiles(env, adminPassword, input.workDir, input.caCertPem);
  // The pipeline wrote the key; make sure of its mode, since ssh refuses a key others can read.
  await fs.chmod(env.privateKeyPath, 0o600);
  const values: Record<string, string> = {
    [Outputs.StackId]: plan.stackId,
    [Outputs.AuthUrl]: authUrl(env),
    [Outputs.DashboardUrl]: dashboardUrl(plan, env),
    [Outputs.ControllerIp]: env.controllerPublicIp,
    [Outputs.CloudsYaml]: files.cloudsYaml,
    [Outputs.Openrc]: files.openrc,
    [Outputs.AdminPassword]: adminPassword,
    [Outputs.SshKeyPath]: env.privateKeyPath,
    [Outputs.InstanceIds]: JSON.stringify(Object.fromEntries(env.nodes.map((n) => [n.name, n.instanceId]))),
    [Outputs.SmokeResult]: smokeResult(input.results ?? []),
    [Outputs.Timings]: JSON.stringify(input.timings.toOutput()),
    [Outputs.PortForwards]: JSON.stringify(portForwardsOutput(plan, env)),
    [Outputs.ExternalAddresses]: JSON.stringify(externalAddressesOutput(plan, env)),
  };
  if (input.junitPath) values[Outputs.JunitPath] = input.junitPath;
  for (const [name, value] of Object.entries(values)) io.setOutput(name, value);
  return values;
}
