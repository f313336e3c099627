// up for the local provider: the Plan becomes nspawn machines on an emulated VPC. Host tools and
// leftovers of an earlier run first, then the apt cache and the root file system, the VPC, one
// machine per node (side by side), the elastic IPs, and sshd reachable the way the pipeline takes.
// Every resource is recorded in the ledger the moment it exists.

import { markCreatedNothing } from '../core/errors';
import { parseCidr } from '../core/net';
import type { Plan, PlannedNic, PlannedNode } from '../plan/types';
import type { Environment, EnvironmentNode, ProviderContext, TeardownReport } from '../provider';
import { ensureAptCache, NODE_APT_PROXY, portOpen, probeThroughCache } from './apt-cache';
import { bakedLayer } from './baked';
import { createNodeDisks } from './disks';
import type { LocalHost } from './host';
import { secondsSince as since } from './host';
import { hostMirror } from './host-mirror';
import { ensureHostTools } from './host-tools';
import { describe, findStackLeftovers, isEmpty } from './leftovers';
import { startMachine, waitForSshd } from './machine';
import { nicMac } from './macs';
import { mirrorRoutesToPin, pinMirrorRoutes } from './mirror-routes';
import { writeNodeFiles } from './node-files';
import { consoleLog, leaderPidfile, machineName, netnsName, nodeDir, pidfile, stackDir } from './paths';
import { LocalKind } from './records';
import { osArchive } from './os-archives';
import { userspaceOvsRefusal } from './ovs-datapath';
import { ensureRootfs, nodeRoot, rootfsDir } from './rootfs';
import { StackRecord, writeStackRecord } from './stack-record';
import { createVpc, Vpc } from './vpc';

/** Seconds per provisioning step, for the timeline and the benchmark. */
export interface LocalUpTimings {
  rootfsBuildSeconds: number;
  totalSeconds: number;
  /** Each provisioning step since the previous one (for Timings.record('provision', …)). */
  steps: Array<{ name: string; seconds: number; startedAt: number }>;
}

interface LocalUpHooks {
  /** Removes an earlier run's leftovers of the same stack (the provider's down). */
  down: (stackId: string) => Promise<TeardownReport>;
  /** Called with the live VPC as soon as it exists (the network fix flips source/dest check on it). */
  onVpc: (vpc: Vpc) => void;
}

function withPrefix(ip: string, cidr: string): string {
  return `${ip}/${parseCidr(cidr)!.prefix}`;
}

/** The NIC that carries a node's default route: the controller leaves by its public NIC (eth2). */
function defaultRouteNic(node: PlannedNode): PlannedNic | undefined {
  return (
    node.nics.find((n) => n.purpose === 'public' && n.hostAddress) ?? node.nics.find((n) => n.purpose === 'management')
  );
}

export async function upLocal(
  host: LocalHost,
  plan: Plan,
  ctx: ProviderContext,
  hooks: LocalUpHooks,
): Promise<{ env: Environment; timings: LocalUpTimings }> {
  const { run, paths, sleep } = host;
  const { io, ledger } = ctx;
  const started = Date.now();
  const stackId = plan.stackId;
  const aborted = () => {
    if (ctx.signal?.aborted) throw new Error(`provisioning of ${stackId} was cancelled`);
  };
  // Refused before anything exists (nothing to tear down then).
  const refusal = userspaceOvsRefusal(plan);
  if (refusal) throw markCreatedNothing(refusal);
  await ensureHostTools(run, io);
  const before = await findStackLeftovers(run, paths, stackId);
  if (!isEmpty(before)) {
    io.info(`Removing leftovers of an earlier run of ${stackId}: ${describe(before).join(', ')}`);
    await hooks.down(stackId);
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
  ledger.record({ kind: LocalKind.StackDir, id: stackDir(paths, stackId) });

  const steps: LocalUpTimings['steps'] = [];
  let stepStarted = started;
  const step = (what: string) => {
    const now = Date.now();
    steps.push({ name: what, seconds: (now - stepStarted) / 1000, startedAt: stepStarted });
    stepStarted = now;
    io.info(`[local ${stackId}] ${what} (${since(started)} s)`);
  };
  step('host tools and leftovers checked');
  const mirror = host.mirror ?? hostMirror();
  // The nodes' OS, as the Plan names it (the inputs checked it is one the provider builds).
  const archive = osArchive(plan.os.id, mirror);
  const cache = await ensureAptCache(run, io, paths.stateRoot, mirror, sleep);
  if (cache.startedPid) ledger.record({ kind: LocalKind.AptCacheProcess, id: String(cache.startedPid) });
  const rootfsBuildSeconds = await ensureRootfs(run, io, paths.cacheDir, archive, cache.hostUrl);
  step('apt cache and root file system ready');
  aborted();

  const nicIp = (node: string, nic: string) =>
    plan.nodes.find((n) => n.name === node)!.nics.find((n) => n.name === nic)!.ip;
  // The archive the nodes use: the host's Debian mirror, or Ubuntu's archive for Ubuntu nodes.
  const used = archive.family === 'debian' ? mirror : { archive: archive.archive };
  const toPin = await mirrorRoutesToPin(run, used);
  ledger.record({ kind: LocalKind.Vpc, id: stackId });
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
  hooks.onVpc(vpc);
  // Right after the host link takes 203.0.113.0/24 (and only when it could: a second stack's failed
  // createVpc must not touch the first one's routes).
  record.pinnedRoutes = await pinMirrorRoutes(run, toPin);
  writeStackRecord(paths, record);
  for (const r of record.pinnedRoutes) ledger.record({ kind: LocalKind.HostRoute, id: r });
  // The host link now owns the emulated ranges: prove the cache still reaches the real mirror.
  const status = await probeThroughCache(archive);
  if (status !== 200)
    io.warning(
      `the apt cache cannot fetch from ${archive.archive} (HTTP ${status ?? 'no answer'}): the stages' apt-get will fail`,
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
    ledger.record({ kind: LocalKind.NodeRoot, id: dir, node: node.name });
    const baked = ctx.bootImages?.[node.name];
    const layer = baked ? bakedLayer(paths.cacheDir, baked) : undefined;
    const kind = await nodeRoot(run, rootfsDir(paths.cacheDir, archive), dir, layer);
    io.info(
      `[local ${stackId}] ${node.name}: root file system ready (${kind}${baked ? `, baked ${baked.id}` : ''}) (${since(started)} s)`,
    );
    await writeNodeFiles(run, dir, {
      hostname: node.name,
      hosts,
      sshPublicKey: ctx.sshPublicKey,
      hostKey: ctx.hostKeys[node.name],
      aptProxy: NODE_APT_PROXY,
      archive,
      nics: nics.map(({ plan: nic, mac }) => ({
        name: nic.name,
        mac,
        address: nic.hostAddress ? withPrefix(nic.ip, subnetOf(nic).cidr) : undefined,
        gateway: nic === gatewayNic ? subnetOf(nic).gateway : undefined,
      })),
    });
    io.info(`[local ${stackId}] ${node.name}: node files written (${since(started)} s)`);
    ledger.record({ kind: LocalKind.Netns, id: ns, node: node.name });
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
    for (const d of disks) ledger.record({ kind: LocalKind.LoopDevice, id: `${d.loop} ${d.file}`, node: node.name });
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
    ledger.record({ kind: LocalKind.Process, id: String(m.pid), node: node.name });
    ledger.record({ kind: LocalKind.ProcessLeader, id: String(m.leaderPid), node: node.name });
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
  ledger.record({ kind: LocalKind.ElasticIp, id: controllerPublicIp, node: controller.name });
  let routerPublicIp = routerNic ? await vpc.associateElasticIp(routerNic.ip) : controllerPublicIp;
  if (routerNic) ledger.record({ kind: LocalKind.ElasticIp, id: routerPublicIp, node: controller.name });
  // network-fix routed: the pool's addresses with an elastic IP (the router gateway's first).
  const poolElasticIps: Record<string, string> = {};
  for (const p of plan.networks.external.pool.filter((x) => x.elasticIp)) {
    const eip = await vpc.associateElasticIp(p.ip);
    poolElasticIps[p.ip] = eip;
    ledger.record({ kind: LocalKind.ElasticIp, id: eip, node: controller.name });
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
  const timings = { rootfsBuildSeconds, totalSeconds: since(started), steps };
  io.info(
    `Local stack ${stackId} is up in ${timings.totalSeconds} s (root file system build: ${rootfsBuildSeconds} s)`,
  );
  return {
    env: {
      stackId,
      nodes,
      controllerPublicIp,
      sshPort: 22,
      routerPublicIp,
      ...(plan.networks.external.pool.length ? { poolElasticIps } : {}),
      sshUser: 'root',
      privateKeyPath: ctx.privateKeyPath,
    },
    timings,
  };
}
