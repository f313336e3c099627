// Runs src/stages/network-fix.sh on the controller through a RemoteSession: uploads it to the
// path its boot unit expects, passes the inputs as environment assignments (validated values,
// never secrets), and parses the probe's facts.

import * as path from 'path';
import { isIpv4, parseCidr } from '../core/net';
import { NETWORK_FIX_INSTALLED_PATH } from '../core/node-paths';
import { shippedScript } from '../core/shipped';
import type { RemoteSession } from '../remote/types';
import { isMac, sq } from './shell';
import type { HostFixInputs, HostFixOptions, NetfixFacts } from './types';

const SCRIPT_NAME = 'network-fix.sh';
/** Where the script lives on the node (its systemd unit runs it from there at boot). */
const INSTALLED_PATH = NETWORK_FIX_INSTALLED_PATH;

/** The script's text, from the shipped stage scripts (dist/stages or src/stages). */
function networkFixScript(): string {
  return shippedScript(SCRIPT_NAME);
}

function validateInputs(i: HostFixInputs): void {
  const bad = (what: string, v: string) => new Error(`network fix: ${what} '${v}' is not valid`);
  if (!isMac(i.providerMac)) throw bad('provider (eth1) MAC', i.providerMac);
  if (!isMac(i.publicMac)) throw bad('public (eth2) MAC', i.publicMac);
  if (!isIpv4(i.registeredIp)) throw bad('registered IP', i.registeredIp);
  if (!parseCidr(i.externalCidr)) throw bad('external CIDR', i.externalCidr);
  if (!isIpv4(i.externalGateway)) throw bad('external gateway', i.externalGateway);
  if (i.qrouterNamespace !== undefined && !/^[A-Za-z0-9_.-]+$/.test(i.qrouterNamespace)) {
    throw bad('router namespace', i.qrouterNamespace);
  }
  if (i.mode === 'routed') {
    if (!i.providerIp || !isIpv4(i.providerIp)) throw bad('provider (eth1) primary IP', String(i.providerIp));
    if (!i.pool?.length) throw bad('pool', '');
    for (const a of [...i.pool, ...(i.poolPublic ?? [])]) if (!isIpv4(a)) throw bad('pool address', a);
    for (const a of i.poolPublic ?? []) if (!i.pool.includes(a)) throw bad('public pool address (not in the pool)', a);
    if (!i.pool.includes(i.registeredIp)) throw bad('router gateway IP (not in the pool)', i.registeredIp);
    if (!i.externalBridge || !/^[A-Za-z0-9_.-]{1,15}$/.test(i.externalBridge))
      throw bad('external bridge', String(i.externalBridge));
  }
  for (const pf of i.portForwards) {
    const port = (p: number) => Number.isInteger(p) && p > 0 && p < 65536;
    if (!port(pf.publicPort) || !port(pf.targetPort) || !isIpv4(pf.targetIp)) {
      throw bad('port-forward', `${pf.publicPort}=${pf.targetIp}:${pf.targetPort}`);
    }
  }
}

/** The script's environment as `KEY='value' …` (prefix of the command line). */
export function hostFixEnv(i: HostFixInputs, opts: HostFixOptions = {}): string {
  validateInputs(i);
  const vars: Record<string, string> = {
    MAC_PROVIDER: i.providerMac,
    MAC_PUBLIC: i.publicMac,
    ROUTER_GATEWAY_IP: i.registeredIp,
    EXTERNAL_CIDR: i.externalCidr,
    EXTERNAL_GATEWAY: i.externalGateway,
    NETWORK_DRIVER: i.networkDriver,
    QROUTER_NS: i.qrouterNamespace ?? '',
    PORT_FORWARDS: i.portForwards.map((p) => `${p.publicPort}=${p.targetIp}:${p.targetPort}`).join(' '),
    PING_TARGET: i.pingTarget,
    NETFIX_ROOT: opts.root ?? '',
    NETFIX_PING_ATTEMPTS: String(opts.pingAttempts ?? 3),
    NETFIX_MODE: i.mode ?? 'seeds',
    PROVIDER_IP: i.providerIp ?? '',
    POOL: (i.pool ?? []).join(' '),
    POOL_PUBLIC: (i.poolPublic ?? []).join(' '),
    EXTERNAL_BRIDGE: i.externalBridge ?? '',
  };
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${sq(v)}`)
    .join(' ');
}

async function upload(session: RemoteSession, opts: HostFixOptions): Promise<string> {
  const target = `${opts.root ?? ''}${INSTALLED_PATH}`;
  const dir = sq(path.posix.dirname(target));
  await session.exec(`[ -d ${dir} ] || install -d -m 0755 ${dir}`, { stage: 'network-fix', idempotent: true });
  await session.writeFile(target, networkFixScript(), 0o755);
  return target;
}

/** Runs `network-fix.sh apply`; returns its "changed:" lines. Throws RemoteCommandError on failure. */
export async function runHostFix(
  session: RemoteSession,
  inputs: HostFixInputs,
  opts: HostFixOptions = {},
): Promise<{ changes: string[]; output: string }> {
  const script = await upload(session, opts);
  // network-fix.sh looks before it changes anything: a second run finishes what the first began.
  const r = await session.exec(`${hostFixEnv(inputs, opts)} bash ${sq(script)} apply`, {
    stage: 'network-fix',
    idempotent: true,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
  const changes = r.stdout
    .split('\n')
    .map((l) => /\[network-fix\] changed: (.*)$/.exec(l)?.[1])
    .filter((l): l is string => !!l);
  return { changes, output: r.stdout };
}

export function parseFacts(text: string): NetfixFacts {
  const facts: NetfixFacts = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)=(.*)$/.exec(line.trim());
    if (m) (facts[m[1]] ??= []).push(m[2]);
  }
  return facts;
}

/** Runs `network-fix.sh probe` (read-only, pings the target from the router) and parses it. */
export async function probeHost(
  session: RemoteSession,
  inputs: HostFixInputs,
  opts: HostFixOptions = {},
): Promise<NetfixFacts> {
  const script = await upload(session, opts);
  const r = await session.exec(`${hostFixEnv(inputs, opts)} bash ${sq(script)} probe`, {
    stage: 'network-fix verify',
    idempotent: true,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  return parseFacts(r.stdout);
}
