// down for the local provider: stops the stack's machines gracefully (the PIDs checked to still be
// ours), removes whatever else carries the stack's names (namespaces, mounts, loop devices, the
// VPC, the folder), unpins the host routes no other stack needs, and stops the apt cache when no
// stack is left to use it. Works from the ledger, stack.json and names alone (after a crash too).

import * as fs from 'fs';
import type { Io } from '../core/io';
import type { ResourceRecord, TeardownReport } from '../provider';
import { stopAptCacheIfUnused } from './apt-cache';
import type { LocalHost } from './host';
import { secondsSince as since } from './host';
import { describe, findStackLeftovers, isEmpty, leftoverRecords, removeStackLeftovers } from './leftovers';
import { isOurNspawn, stopMachine } from './machine';
import { unpinMirrorRoutes } from './mirror-routes';
import { leaderPidfile, machineName, netnsName, pidfile, stackDir } from './paths';
import { readPidfile } from './processes';
import { idsOf, LocalKind, LocalRecord } from './records';
import { listStackIds, readStackRecord } from './stack-record';

/** Powers off one node's machine, its PIDs from the pidfiles or the ledger (checked to still be ours). */
export async function stopNode(
  host: LocalHost,
  stackId: string,
  node: string,
  known: ResourceRecord[],
): Promise<number[]> {
  const { paths } = host;
  const name = machineName(stackId, node);
  const fromLedger = idsOf(known, LocalKind.Process, node).map(Number);
  const pid = [readPidfile(pidfile(paths, stackId, node)), ...fromLedger].find(
    (p) => p !== undefined && isOurNspawn(p, name),
  );
  const leaderFromLedger = idsOf(known, LocalKind.ProcessLeader, node).map(Number);
  const leader = readPidfile(leaderPidfile(paths, stackId, node)) ?? leaderFromLedger[0];
  const netnsPath = `${paths.netnsDir}/${netnsName(stackId, node)}`;
  return stopMachine(
    name,
    pid,
    leader !== undefined ? { pid: leader, netnsPath } : undefined,
    host.stopGraceMs,
    host.sleep,
  );
}

/** The stack's nodes: from stack.json, the pidfiles in its folder, and the ledger. */
function nodesOf(host: LocalHost, stackId: string, known: ResourceRecord[]): string[] {
  const dir = stackDir(host.paths, stackId);
  const fromPidfiles = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.nspawn.pid'))
        .map((f) => f.replace(/\.nspawn\.pid$/, ''))
    : [];
  const fromLedger = known.filter((r) => r.node).map((r) => r.node!);
  return [...new Set([...(readStackRecord(host.paths, stackId)?.nodes ?? []), ...fromPidfiles, ...fromLedger])];
}

/** The host routes this stack pinned that no other stack still needs. */
function routesToUnpin(host: LocalHost, stackId: string, known: ResourceRecord[]): string[] {
  const { paths } = host;
  const ours = new Set([
    ...(readStackRecord(paths, stackId)?.pinnedRoutes ?? []),
    ...idsOf(known, LocalKind.HostRoute),
  ]);
  const othersNeed = new Set(
    listStackIds(paths)
      .filter((id) => id !== stackId)
      .flatMap((id) => readStackRecord(paths, id)?.pinnedRoutes ?? []),
  );
  return [...ours].filter((r) => !othersNeed.has(r));
}

export async function downLocal(
  host: LocalHost,
  stackId: string,
  ctx: { io: Io; known: ResourceRecord[] },
): Promise<TeardownReport> {
  const { run, paths } = host;
  const started = Date.now();
  const deleted: LocalRecord[] = [];
  const routes = routesToUnpin(host, stackId, ctx.known);
  const nodes = nodesOf(host, stackId, ctx.known);
  const stopped = await Promise.all(nodes.map((n) => stopNode(host, stackId, n, ctx.known)));
  ctx.io.info(`[local ${stackId}] machines stopped (${since(started)} s)`);
  stopped.forEach((pids, i) =>
    pids.forEach((p) => deleted.push({ kind: LocalKind.Process, id: String(p), node: nodes[i] })),
  );
  const removed = await removeStackLeftovers(run, paths, stackId);
  ctx.io.info(`[local ${stackId}] namespaces, VPC and folders removed (${since(started)} s)`);
  deleted.push(...leftoverRecords(removed));
  await unpinMirrorRoutes(run, routes);
  routes.forEach((r) => deleted.push({ kind: LocalKind.HostRoute, id: r }));
  const cache = await stopAptCacheIfUnused(ctx.io, paths, host.sleep);
  if (cache !== undefined) deleted.push({ kind: LocalKind.AptCacheProcess, id: String(cache) });
  const after = await findStackLeftovers(run, paths, stackId);
  const seconds = since(started);
  ctx.io.info(
    `Local stack ${stackId} removed in ${seconds} s` +
      (isEmpty(after) ? '' : `; left behind: ${describe(after).join(', ')}`),
  );
  return { stackId, deleted, leftovers: leftoverRecords(after), seconds };
}
