// The local provider: realises a Plan on this machine. Each node is a systemd-nspawn machine booted
// from a cached Debian 12 root file system, in a network namespace whose NICs are ENIs of the
// emulated AWS VPC (./vpc). Packages come through the host's apt-cacher-ng at 203.0.113.1:3142,
// reached over the VPC's host link; nothing is routed from the namespaces to the outside.
// Everything after provisioning (stages, network fix, smoke) sees only the returned Environment.

import * as fs from 'fs';
import type { Settings } from '../settings/inputs';
import type { Io } from '../core/io';
import { parseCidr } from '../core/net';
import type { Plan, PlannedNic, PlannedNode } from '../plan/types';
import type {
  Environment,
  EnvironmentNode,
  Provider,
  ProviderContext,
  ResourceRecord,
  TeardownReport,
} from '../provider';
import { realSleep, Sleep } from '../core/retry';
import { createNodeDisks } from './disks';
import { aptCachePidfile, ensureAptCache, NODE_APT_PROXY, portOpen, probeThroughCache } from './apt-cache';
import { Run, runHost } from './exec';
import { DebianMirror, hostMirror } from './host-mirror';
import { ensureHostTools } from './host-tools';
import { describe, findStackLeftovers, isEmpty, removeStackLeftovers } from './leftovers';
import { isOurNspawn, startMachine, stopMachine, waitForSshd } from './machine';
import { nicMac } from './macs';
import { mirrorRoutesToPin, pinMirrorRoutes, unpinMirrorRoutes } from './mirror-routes';
import { writeNodeFiles } from './node-files';
import {
  consoleLog,
  DEFAULT_PATHS,
  leaderPidfile,
  LocalPaths,
  machineName,
  netnsName,
  nodeDir,
  pidfile,
  stackDir,
} from './paths';
import { cmdlineOf, readPidfile, signal, waitGone } from './processes';
import { ensureRootfs, nodeRoot } from './rootfs';
import { listStackIds, readStackRecord, StackRecord, writeStackRecord } from './stack-record';
import { createVpc, Vpc } from './vpc';

export interface LocalProviderDeps {
  run?: Run;
  paths?: LocalPaths;
  sleep?: Sleep;
  mirror?: DebianMirror;
  /** How long a machine gets to power off after SIGTERM before it is killed. */
  stopGraceMs?: number;
}

export interface LocalProvider extends Provider {
  /** The live VPC of a stack brought up by this process (the network fix flips source/dest check on it). */
  vpcOf(stackId: string): Vpc | undefined;
  /** Timings of the last up() in this process (the e2e script and the benchmark print them). */
  readonly lastUpTimings: LocalUpTimings | undefined;
}

/** Seconds per provisioning step, for the timeline and the benchmark. */
export interface LocalUpTimings {
  rootfsBuildSeconds: number;
  totalSeconds: number;
  /** Each provisioning step since the previous one (for Timings.record('provision', …)). */
  steps: Array<{ name: string; seconds: number; startedAt: number }>;
}

/** How much of a machine's console the log bundle keeps (EC2 keeps the last 64 KB too). */
const CONSOLE_TAIL_BYTES = 64 * 1024;
const since = (t: number) => Math.round((Date.now() - t) / 100) / 10;

function withPrefix(ip: string, cidr: string): string {
  return `${ip}/${parseCidr(cidr)!.prefix}`;
}

/** The NIC that carries a node's default route: the controller leaves by its public NIC (eth2). */
function defaultRouteNic(node: PlannedNode): PlannedNic | undefined {
  return (
    node.nics.find((n) => n.purpose === 'public' && n.hostAddress) ?? node.nics.find((n) => n.purpose === 'management')
  );
}

export function createLocalProvider(settings: Pick<Settings, 'provider'>, deps: LocalProviderDeps = {}): LocalProvider {
  if (settings.provider !== 'local')
    throw new Error(`createLocalProvider needs provider 'local', got '${settings.provider}'`);
  const run = deps.run ?? runHost;
  const paths = deps.paths ?? DEFAULT_PATHS;
  const sleep = deps.sleep ?? realSleep;
  const graceMs = deps.stopGraceMs ?? 20_000;
  const vpcs = new Map<string, Vpc>();
  let lastTimings: LocalUpTimings | undefined;

  async function up(plan: Plan, ctx: ProviderContext): Promise<Environment> {
    const { io, ledger } = ctx;
    const started = Date.now();
    const stackId = plan.stackId;
    const aborted = () => {
      if (ctx.signal?.aborted) throw new Error(`provisioning of ${stackId} was cancelled`);
    };
    await ensureHostTools(run, io);
    const before = await findStackLeftovers(run, paths, stackId);
    if (!isEmpty(before)) {
      io.info(`Removing leftovers of an earlier run of ${stackId}: ${describe(before).join(', ')}`);
      await down(stackId, { io, known: [] });
    }
    const record: StackRecord = {
      stackId,
      createdAt: plan.createdAt,
      expiresAt: plan.expiresAt,
      nodes: plan.nodes.map((n) => n.name),
      vpcId: stackId,
      pinnedRoutes: [],
    };
    writeStackRecord(paths, record);
    ledger.record({ kind: 'local-stack-dir', id: stackDir(paths, stackId) });

    const steps: LocalUpTimings['steps'] = [];
    let stepStarted = started;
    const step = (what: string) => {
      const now = Date.now();
      steps.push({ name: what, seconds: (now - stepStarted) / 1000, startedAt: stepStarted });
      stepStarted = now;
      io.info(`[local ${stackId}] ${what} (${since(started)} s)`);
    };
    step('host tools and leftovers checked');
    const mirror = deps.mirror ?? hostMirror();
    const cache = await ensureAptCache(run, io, paths.stateRoot, mirror, sleep);
    if (cache.startedPid) ledger.record({ kind: 'apt-cache-process', id: String(cache.startedPid) });
    const rootfsBuildSeconds = await ensureRootfs(run, io, paths.cacheDir, mirror, cache.hostUrl);
    step('apt cache and root file system ready');
    aborted();

    const nicIp = (node: string, nic: string) =>
      plan.nodes.find((n) => n.name === node)!.nics.find((n) => n.name === nic)!.ip;
    const toPin = await mirrorRoutesToPin(run, mirror);
    ledger.record({ kind: 'vpc', id: stackId });
    const vpc = await createVpc({
      id: stackId,
      hostLink: true,
      subnets: plan.subnets.map((s) => ({
        name: s.name,
        cidr: s.cidr,
        gateway: s.gateway,
        defaultRoute:
          s.defaultRoute.target === 'internet-gateway'
            ? ('igw' as const)
            : { viaIp: nicIp(s.defaultRoute.node, s.defaultRoute.nic) },
      })),
    });
    vpcs.set(stackId, vpc);
    // Right after the host link takes 203.0.113.0/24 (and only when it could: a second stack's failed
    // createVpc must not touch the first one's routes).
    record.pinnedRoutes = await pinMirrorRoutes(run, toPin);
    writeStackRecord(paths, record);
    for (const r of record.pinnedRoutes) ledger.record({ kind: 'host-route', id: r });
    // The host link now owns the emulated ranges: prove the cache still reaches the real mirror.
    const status = await probeThroughCache(mirror);
    if (status !== 200)
      io.warning(
        `the apt cache cannot fetch from ${mirror.archive} (HTTP ${status ?? 'no answer'}): the stages' apt-get will fail`,
      );
    step('emulated VPC created');
    aborted();

    const hosts = plan.nodes.map((n) => ({ name: n.name, ip: n.managementIp }));
    const subnetOf = (nic: PlannedNic) => plan.subnets.find((s) => s.name === nic.subnet)!;
    const bootNode = async (node: PlannedNode): Promise<EnvironmentNode> => {
      const dir = nodeDir(paths, stackId, node.name);
      const ns = netnsName(stackId, node.name);
      const gatewayNic = defaultRouteNic(node);
      const nics = node.nics.map((nic) => ({ plan: nic, mac: nicMac(stackId, node.name, nic.name) }));
      ledger.record({ kind: 'node-root', id: dir, node: node.name });
      const kind = await nodeRoot(run, paths.cacheDir, dir);
      io.info(`[local ${stackId}] ${node.name}: root file system ready (${kind}) (${since(started)} s)`);
      await writeNodeFiles(run, dir, {
        hostname: node.name,
        hosts,
        sshPublicKey: ctx.sshPublicKey,
        aptProxy: NODE_APT_PROXY,
        mirror,
        nics: nics.map(({ plan: nic, mac }) => ({
          name: nic.name,
          mac,
          address: nic.hostAddress ? withPrefix(nic.ip, subnetOf(nic).cidr) : undefined,
          gateway: nic === gatewayNic ? subnetOf(nic).gateway : undefined,
        })),
      });
      io.info(`[local ${stackId}] ${node.name}: node files written (${since(started)} s)`);
      ledger.record({ kind: 'netns', id: ns, node: node.name });
      await run('ip', ['netns', 'add', ns]);
      for (const { plan: nic, mac } of nics) {
        await vpc.attachEni({
          id: `${node.name}-${nic.name}`,
          subnet: nic.subnet,
          mac,
          ips: [nic.ip, ...(nic.secondaryIps ?? [])],
          sourceDestCheck: nic.sourceDestCheck,
          netns: ns,
          ifname: nic.name,
        });
      }
      // The Plan's extra disks (Cinder LVM, Swift) as loop devices, bound in before the machine boots.
      const disks = await createNodeDisks(run, paths, stackId, node);
      for (const d of disks) ledger.record({ kind: 'loop-device', id: `${d.loop} ${d.file}`, node: node.name });
      const m = await startMachine(
        {
          name: machineName(stackId, node.name),
          dir,
          netnsPath: `${paths.netnsDir}/${ns}`,
          consoleLog: consoleLog(paths, stackId, node.name),
          pidfile: pidfile(paths, stackId, node.name),
          leaderPidfile: leaderPidfile(paths, stackId, node.name),
          devices: disks.map((d) => d.loop),
        },
        sleep,
      );
      ledger.record({ kind: 'process', id: String(m.pid), node: node.name });
      ledger.record({ kind: 'process-leader', id: String(m.leaderPid), node: node.name });
      io.info(`Node ${node.name}: machine ${machineName(stackId, node.name)} (nspawn PID ${m.pid}) in netns ${ns}`);
      return {
        name: node.name,
        instanceId: machineName(stackId, node.name),
        managementIp: node.managementIp,
        nics: nics.map(({ plan: nic, mac }) => ({
          name: nic.name,
          mac,
          ip: nic.ip,
          eniId: `${node.name}-${nic.name}`,
        })),
        disks: disks.map((d) => ({ device: d.device, path: d.loop })),
      };
    };
    const nodes = await Promise.all(plan.nodes.map(bootNode));
    step('nodes prepared and machines started');
    aborted();

    const controller = plan.nodes.find((n) => n.role === 'controller')!;
    const publicNic = controller.nics.find((n) => n.purpose === 'public')!;
    const routerNic = controller.nics.find((n) => n.purpose === 'provider' && n.elasticIp);
    const controllerPublicIp = await vpc.associateElasticIp(publicNic.ip);
    ledger.record({ kind: 'elastic-ip', id: controllerPublicIp, node: controller.name });
    let routerPublicIp = routerNic ? await vpc.associateElasticIp(routerNic.ip) : controllerPublicIp;
    if (routerNic) ledger.record({ kind: 'elastic-ip', id: routerPublicIp, node: controller.name });
    // network-fix routed: the pool's addresses with an elastic IP (the router gateway's first).
    const poolElasticIps: Record<string, string> = {};
    for (const p of plan.networks.external.pool.filter((a) => a.elasticIp)) {
      const eip = await vpc.associateElasticIp(p.ip);
      poolElasticIps[p.ip] = eip;
      ledger.record({ kind: 'elastic-ip', id: eip, node: controller.name });
      if (p.ip === plan.networks.external.routerGatewayIp) routerPublicIp = eip;
    }

    await Promise.all(
      plan.nodes.map((n) => waitForSshd(run, netnsName(stackId, n.name), n.managementIp, 120_000, sleep)),
    );
    step('sshd answers on every node');
    // The path the pipeline takes: host → emulated internet → internet gateway → controller's eth2.
    const deadline = Date.now() + 60_000;
    while (!(await portOpen(controllerPublicIp, 22))) {
      if (Date.now() > deadline)
        throw new Error(`the controller's sshd is not reachable at ${controllerPublicIp}:22 through the emulated VPC`);
      await sleep(250);
    }
    step(`controller reachable at ${controllerPublicIp}:22`);
    lastTimings = { rootfsBuildSeconds, totalSeconds: since(started), steps };
    io.info(
      `Local stack ${stackId} is up in ${lastTimings.totalSeconds} s (root file system build: ${rootfsBuildSeconds} s)`,
    );
    return {
      stackId,
      nodes,
      controllerPublicIp,
      sshPort: 22,
      routerPublicIp,
      ...(plan.networks.external.pool.length ? { poolElasticIps } : {}),
      sshUser: 'root',
      privateKeyPath: ctx.privateKeyPath,
    };
  }

  async function stopNode(stackId: string, node: string, known: ResourceRecord[]): Promise<number[]> {
    const name = machineName(stackId, node);
    const fromLedger = known.filter((r) => r.node === node && r.kind === 'process').map((r) => Number(r.id));
    const pid = [readPidfile(pidfile(paths, stackId, node)), ...fromLedger].find(
      (p) => p !== undefined && isOurNspawn(p, name),
    );
    const leaderFromLedger = known
      .filter((r) => r.node === node && r.kind === 'process-leader')
      .map((r) => Number(r.id));
    const leader = readPidfile(leaderPidfile(paths, stackId, node)) ?? leaderFromLedger[0];
    const netnsPath = `${paths.netnsDir}/${netnsName(stackId, node)}`;
    return stopMachine(name, pid, leader !== undefined ? { pid: leader, netnsPath } : undefined, graceMs, sleep);
  }

  /** Stops apt-cacher-ng when this provider started it and no local stack is left to use it. */
  async function stopAptCacheIfUnused(io: Io): Promise<ResourceRecord[]> {
    const file = aptCachePidfile(paths.stateRoot);
    const pid = readPidfile(file);
    if (pid === undefined || listStackIds(paths).length) return [];
    fs.rmSync(file, { force: true });
    if (!cmdlineOf(pid)?.includes('apt-cacher-ng')) return [];
    signal(pid, 'SIGTERM');
    await waitGone([pid], 10_000, sleep);
    io.info(`Stopped apt-cacher-ng (PID ${pid}), which the local provider had started; its cache stays on disk`);
    return [{ kind: 'apt-cache-process', id: String(pid) }];
  }

  async function down(stackId: string, ctx: { io: Io; known: ResourceRecord[] }): Promise<TeardownReport> {
    const started = Date.now();
    const deleted: ResourceRecord[] = [];
    const record = readStackRecord(paths, stackId);
    const nodesFromPidfiles = fs.existsSync(stackDir(paths, stackId))
      ? fs
          .readdirSync(stackDir(paths, stackId))
          .filter((f) => f.endsWith('.nspawn.pid'))
          .map((f) => f.replace(/\.nspawn\.pid$/, ''))
      : [];
    const nodes = [
      ...new Set([
        ...(record?.nodes ?? []),
        ...nodesFromPidfiles,
        ...ctx.known.filter((r) => r.node).map((r) => r.node!),
      ]),
    ];
    const stopped = await Promise.all(nodes.map((n) => stopNode(stackId, n, ctx.known)));
    ctx.io.info(`[local ${stackId}] machines stopped (${since(started)} s)`);
    stopped.forEach((pids, i) => pids.forEach((p) => deleted.push({ kind: 'process', id: String(p), node: nodes[i] })));
    const removed = await removeStackLeftovers(run, paths, stackId);
    ctx.io.info(`[local ${stackId}] namespaces, VPC and folders removed (${since(started)} s)`);
    for (const d of describe(removed)) {
      const [kind, ...rest] = d.split(' ');
      deleted.push({ kind, id: rest.join(' ') });
    }
    const ours = [
      ...new Set([
        ...(record?.pinnedRoutes ?? []),
        ...ctx.known.filter((r) => r.kind === 'host-route').map((r) => r.id),
      ]),
    ];
    const othersNeed = new Set(
      listStackIds(paths)
        .filter((id) => id !== stackId)
        .flatMap((id) => readStackRecord(paths, id)?.pinnedRoutes ?? []),
    );
    const routes = ours.filter((r) => !othersNeed.has(r));
    await unpinMirrorRoutes(run, routes);
    routes.forEach((r) => deleted.push({ kind: 'host-route', id: r }));
    vpcs.delete(stackId);
    deleted.push(...(await stopAptCacheIfUnused(ctx.io)));
    const after = await findStackLeftovers(run, paths, stackId);
    const leftovers = describe(after).map((d) => {
      const [kind, ...rest] = d.split(' ');
      return { kind, id: rest.join(' ') };
    });
    const seconds = since(started);
    ctx.io.info(
      `Local stack ${stackId} removed in ${seconds} s` +
        (leftovers.length ? `; left behind: ${describe(after).join(', ')}` : ''),
    );
    return { stackId, deleted, leftovers, seconds };
  }

  async function sweep(now: Date, ctx: { io: Io }): Promise<TeardownReport[]> {
    const reports: TeardownReport[] = [];
    for (const id of listStackIds(paths)) {
      const rec = readStackRecord(paths, id);
      if (!rec) {
        ctx.io.warning(
          `local stack folder ${stackDir(paths, id)} has no stack.json; not sweeping it (use down --stack-id ${id})`,
        );
        continue;
      }
      if (Date.parse(rec.expiresAt) > now.getTime()) continue;
      ctx.io.info(`Local stack ${id} expired at ${rec.expiresAt}: removing it`);
      reports.push(await down(id, { io: ctx.io, known: [] }));
    }
    return reports;
  }

  return {
    up,
    down,
    sweep,
    // The machine's console (nspawn's stdout: systemd's boot messages): its last 64 KB, as EC2
    // keeps; only that much is read, however long the log has grown.
    consoleOutput: async (stackId, node) => {
      const fh = await fs.promises.open(consoleLog(paths, stackId, node.name), 'r');
      try {
        const { size } = await fh.stat();
        const start = Math.max(0, size - CONSOLE_TAIL_BYTES);
        const { buffer, bytesRead } = await fh.read(Buffer.alloc(size - start), 0, size - start, start);
        return buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await fh.close();
      }
    },
    vpcOf: (stackId) => vpcs.get(stackId),
    upSteps: () => lastTimings?.steps ?? [],
    get lastUpTimings() {
      return lastTimings;
    },
  };
}
