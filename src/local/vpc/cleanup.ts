// Finding and deleting a VPC's leftovers (a crashed run, a killed test): by name only, never by a
// broad pattern, so another stack's or another test's namespaces are never touched.

import { checkVpcId, hostIfname, hostTableName, namespaceName, NAME_PREFIX, VPC_NAMESPACE_ROLES } from './names';
import { run } from './run';

/** The namespaces a VPC with this id owns (whether or not they exist). */
export function vpcNamespaceNames(id: string): string[] {
  checkVpcId(id);
  return VPC_NAMESPACE_ROLES.map((role) => namespaceName(id, role));
}

export async function listNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFailure: true });
  // Lines look like "name (id: 3)" or just "name".
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n);
}

/**
 * Everything on this host whose name starts with `prefix` (e.g. 'ooa-<id>-'): network namespaces,
 * root-namespace nft tables, and root-namespace links whose name or alias does. Returns descriptions
 * like 'netns ooa-x-sw', 'nft table inet ooa-x-host', 'link ooa1a2b3c4dh'.
 */
export async function findLeftovers(prefix: string): Promise<string[]> {
  if (!prefix.startsWith(NAME_PREFIX)) throw new Error(`leftover prefix must start with '${NAME_PREFIX}'`);
  const found: string[] = [];
  for (const ns of await listNamespaces()) if (ns.startsWith(prefix)) found.push(`netns ${ns}`);
  const tables = await run('nft', ['list', 'tables'], { allowFailure: true });
  for (const line of tables.stdout.split('\n')) {
    const m = /^table (\S+) (\S+)$/.exec(line.trim());
    if (m && m[2].startsWith(prefix)) found.push(`nft table ${m[1]} ${m[2]}`);
  }
  const links = await run('ip', ['-o', 'link', 'show'], { allowFailure: true });
  for (const line of links.stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    const alias = /\balias (\S+)/.exec(line)?.[1];
    if (name && (name.startsWith(prefix) || (alias && alias.startsWith(prefix)))) found.push(`link ${name}`);
  }
  return found;
}

/** Deletes a namespace; absent is fine. Processes still inside keep it alive (end them first). */
async function deleteNamespace(ns: string): Promise<void> {
  const r = await run('ip', ['netns', 'del', ns], { allowFailure: true });
  if (r.code !== 0 && !/No such file|not found|does not exist/i.test(r.stderr)) {
    throw new Error(`could not delete netns ${ns}: ${r.stderr.trim()}`);
  }
}

/**
 * Deletes what createVpc(id) makes: its four namespaces (their veths, the host link's root end and
 * every ENI's switch end go with them) and the root nft table of the host link. Idempotent. Node
 * namespaces belong to the caller.
 */
export async function destroyById(id: string): Promise<void> {
  for (const ns of vpcNamespaceNames(id)) await deleteNamespace(ns);
  // The kernel removes a deleted namespace's veth peers asynchronously: delete the host link's root
  // end explicitly and wait until it is gone, so "nothing left" holds the moment this returns.
  const link = hostIfname(id);
  await run('ip', ['link', 'del', link], { allowFailure: true });
  for (let i = 0; i < 50; i++) {
    const shown = await run('ip', ['link', 'show', link], { allowFailure: true });
    if (shown.code !== 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await run('nft', ['delete', 'table', 'inet', hostTableName(id)], { allowFailure: true });
}
