// Opens one session per node of an Environment: the controller directly (its public address), every
// other node through the controller (they have no public address; the controller is their jump host).
// Every session pins its node's host key, the jump host's too: nothing is trusted on first use.

import type { Environment } from '../provider';
import { SessionOptions, SshSession } from './session';

interface ConnectEnvironmentOptions extends SessionOptions {
  /** Private key content (the pipeline holds it; env.privateKeyPath is where providers read it). */
  privateKey: string;
  /** Every node's host key ("ssh-ed25519 AAAA…"), handed to it at boot: the only key accepted. */
  hostKeys: Record<string, string>;
  /** The node that is reachable from the runner and acts as jump host (default 'controller'). */
  jumpNode?: string;
  /** SSH port on the inner nodes as seen from the jump host (default 22). */
  innerPort?: number;
}

/**
 * Connects to every node and waits until each is ready (sshd answers and cloud-init finished).
 * The controller comes first; the others then connect side by side through it.
 * On failure every session opened so far is closed before the error is thrown.
 */
export async function connectEnvironment(
  env: Environment,
  opts: ConnectEnvironmentOptions,
): Promise<Map<string, SshSession>> {
  const jumpName = opts.jumpNode ?? 'controller';
  const jumpNode = env.nodes.find((n) => n.name === jumpName);
  if (!jumpNode) throw new Error(`environment ${env.stackId} has no node '${jumpName}' to use as jump host`);
  const unpinned = env.nodes.filter((n) => !opts.hostKeys[n.name]).map((n) => n.name);
  if (unpinned.length > 0)
    throw new Error(`no host key is known for ${unpinned.join(', ')}: refusing to connect blind`);
  const sessions = new Map<string, SshSession>();
  const common = { user: env.sshUser, privateKey: opts.privateKey };
  const pin = (node: string) => ({ node, hostKey: opts.hostKeys[node] });
  try {
    const jump = new SshSession({ ...common, ...pin(jumpName), host: env.controllerPublicIp, port: env.sshPort }, opts);
    sessions.set(jumpName, jump);
    await jump.connect();
    const others = env.nodes.filter((n) => n.name !== jumpName);
    for (const n of others) {
      sessions.set(
        n.name,
        new SshSession(
          { ...common, ...pin(n.name), host: n.managementIp, port: opts.innerPort ?? 22, via: jump },
          opts,
        ),
      );
    }
    await Promise.all(others.map((n) => sessions.get(n.name)!.connect()));
    opts.io.info(`SSH ready on ${env.nodes.map((n) => n.name).join(', ')}`);
    return sessions;
  } catch (err) {
    await closeAll(sessions);
    throw err;
  }
}

/** Closes the inner nodes before their jump host. */
export async function closeAll(sessions: Map<string, SshSession>): Promise<void> {
  const list = [...sessions.values()];
  await Promise.all(list.filter((s) => s.via).map((s) => s.close()));
  await Promise.all(list.filter((s) => !s.via).map((s) => s.close()));
}
