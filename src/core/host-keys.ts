// Every node's SSH host key, made on the runner before anything boots: the node gets its private
// half at boot (cloud-init's ssh_keys on EC2, its root file system on the local provider) and the
// runner pins the public half, so the very first connection already refuses any other key.

import { generateSshKey, SshKeyPair } from './secrets';

/** Node name → its host key pair; each private key is masked (whole and per line) before return. */
export function generateHostKeys(
  stackId: string,
  nodeNames: string[],
  mask: (secret: string) => void,
): Record<string, SshKeyPair> {
  const keys: Record<string, SshKeyPair> = {};
  for (const node of nodeNames) {
    const pair = generateSshKey(`${node}.${stackId} host key (openstack-on-aws)`);
    mask(pair.privateKey);
    for (const line of pair.privateKey.split('\n')) if (line.length > 20 && !line.startsWith('-----')) mask(line);
    keys[node] = pair;
  }
  return keys;
}

/** The public halves only: what the runner pins (and may keep in its state; nothing secret). */
export function pinnedHostKeys(keys: Record<string, SshKeyPair>): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).map(([node, k]) => [node, k.publicKey]));
}
