// Raw input strings → one typed, validated Settings. Every check happens here, before any provider
// is touched, so a bad value stops the run with one message and nothing is created.

import { createHash } from 'crypto';
import { InputError } from '../core/errors';
import { DEFAULT_INSTANCE_TYPES, INSTANCE_TYPE_PATTERN, knownMaxNics, Role, ROLES } from './instance-types';
import {
  defaultDriver,
  findOs,
  findRelease,
  LOCAL_SUPPORT,
  NETWORK_DRIVERS,
  NetworkDriver,
  OPERATING_SYSTEMS,
  OperatingSystem,
  PROVIDERS,
  ProviderId,
  Release,
  RELEASES,
  unsupportedReason,
} from './matrix';
import { Inputs, InputName } from '../core/names';
import { NetworkFixSettings, readNetworkFixSettings } from './network-fix-inputs';
import { isIpv4, parseCidr } from '../core/net';

export type Mode = 'up' | 'down' | 'sweep' | 'plan';
export const MODES: readonly Mode[] = ['up', 'down', 'sweep', 'plan'];
export type TeardownPolicy = 'always' | 'on-success' | 'never';
export const TEARDOWN_POLICIES: readonly TeardownPolicy[] = ['always', 'on-success', 'never'];
export type TopologyName = 'minimal' | 'full';
export const TOPOLOGIES: Record<TopologyName, string> = {
  minimal: "controller + compute nodes (the seeds' minimal deployment)",
  full: 'minimal + block1 (Cinder) + object1 and object2 (Swift)',
};
export type TempestMode = 'none' | 'smoke';
export type LogBundlePolicy = 'on-failure' | 'always' | 'never';

export const DEFAULTS = {
  mode: 'up' as Mode,
  provider: 'aws' as ProviderId,
  release: '2024.1',
  os: 'ubuntu-24.04',
  topology: 'minimal' as TopologyName,
  computeCount: 1,
  lifetime: '3h',
  teardown: 'always' as TeardownPolicy,
  vpcCidr: '10.42.0.0/16',
  pingTarget: '8.8.8.8',
  /** The emulated internet host of the local provider (a documentation range, never routed). */
  localPingTarget: '203.0.113.10',
  imageUrl: 'https://download.cirros-cloud.net/0.6.3/cirros-0.6.3-x86_64-disk.img',
  region: 'us-east-1',
} as const;

export const MAX_LIFETIME_MINUTES = 48 * 60;
export const MAX_COMPUTE_COUNT = 8;
/** The plan tags, names and (for local) interface names are built from it: keep it short and plain. */
export const STACK_ID_PATTERN = /^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/;

export interface Settings extends NetworkFixSettings {
  mode: Mode;
  provider: ProviderId;
  release: Release;
  os: OperatingSystem;
  topology: TopologyName;
  computeCount: number;
  networkDriver: NetworkDriver;
  region: string;
  stackId: string;
  lifetimeMinutes: number;
  teardown: TeardownPolicy;
  instanceTypes: Record<Role, string>;
  ami?: string;
  /** Empty means: the runner's own public address /32, looked up when provisioning. */
  allowedCidrs: string[];
  vpcCidr: string;
  pingTarget: string;
  imageUrl: string;
  smoke: boolean;
  spot: boolean;
  tempest: TempestMode;
  ec2Endpoint?: string;
  logBundle: LogBundlePolicy;
  prComment: boolean;
  githubToken?: string;
}

/** Reads one raw input; '' when not given. Fakes in tests are plain maps keyed by input name. */
export type InputReader = (name: InputName) => string;

/** Facts about where the action runs, needed for defaults (never read at import time). */
export interface RunContext {
  runId?: string;
  runAttempt?: string;
  env: Record<string, string | undefined>;
}

function oneOf<T extends string>(name: InputName, raw: string, allowed: readonly T[], fallback: T): T {
  const v = raw.trim().toLowerCase();
  if (v === '') return fallback;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new InputError(name, raw, allowed.join(', '));
}

function bool(name: InputName, raw: string, fallback: boolean): boolean {
  const v = raw.trim().toLowerCase();
  if (v === '') return fallback;
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw new InputError(name, raw, 'true or false');
}

/** "90m", "3h", "1h30m", "2d" or a bare number of minutes → minutes. */
export function parseDuration(raw: string): number | undefined {
  const v = raw.trim().toLowerCase();
  if (/^\d+$/.test(v)) return Number(v);
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(v);
  if (!m || v === '') return undefined;
  const [, d, h, min] = m;
  return Number(d ?? 0) * 1440 + Number(h ?? 0) * 60 + Number(min ?? 0);
}

function lifetime(raw: string): number {
  const value = raw.trim() === '' ? DEFAULTS.lifetime : raw;
  const accepted = `a duration such as 90m, 3h or 1h30m, from 10m up to ${MAX_LIFETIME_MINUTES / 60}h`;
  const minutes = parseDuration(value);
  if (minutes === undefined) throw new InputError(Inputs.Lifetime, raw, accepted, 'not a duration');
  if (minutes > MAX_LIFETIME_MINUTES)
    throw new InputError(Inputs.Lifetime, raw, accepted, `exceeds the cap of ${MAX_LIFETIME_MINUTES / 60}h`);
  if (minutes < 10) throw new InputError(Inputs.Lifetime, raw, accepted, 'too short to install anything');
  return minutes;
}

function release(raw: string): Release {
  const value = raw.trim() === '' ? DEFAULTS.release : raw;
  const r = findRelease(value);
  if (!r)
    throw new InputError(
      Inputs.Release,
      raw,
      RELEASES.map((x) => (x.id === x.codename ? x.id : `${x.id} (${x.codename})`)).join(', '),
    );
  return r;
}

function os(raw: string): OperatingSystem {
  const o = findOs(raw.trim() === '' ? DEFAULTS.os : raw);
  if (!o) throw new InputError(Inputs.Os, raw, OPERATING_SYSTEMS.map((x) => x.id).join(', '));
  return o;
}

function list(raw: string): string[] {
  return raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function allowedCidrs(raw: string): string[] {
  const cidrs = list(raw);
  for (const c of cidrs) {
    if (!parseCidr(c))
      throw new InputError(
        Inputs.AllowedCidrs,
        c,
        'IPv4 CIDR blocks such as 198.51.100.7/32, separated by commas or new lines (empty: the runner’s own address /32)',
        'not an IPv4 CIDR block',
      );
  }
  return cidrs;
}

function vpcCidr(raw: string): string {
  const value = raw.trim() === '' ? DEFAULTS.vpcCidr : raw.trim();
  const accepted =
    'a private IPv4 block from /16 to /23 (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16), e.g. 10.42.0.0/16';
  const c = parseCidr(value);
  if (!c) throw new InputError(Inputs.VpcCidr, raw, accepted, 'not an IPv4 CIDR block');
  if (c.prefix < 16 || c.prefix > 23)
    throw new InputError(Inputs.VpcCidr, raw, accepted, 'AWS allows /16 to /28 and two /24 subnets must fit');
  const [a, b] = c.octets;
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (!isPrivate) throw new InputError(Inputs.VpcCidr, raw, accepted, 'not a private range');
  if (c.network !== c.address)
    throw new InputError(Inputs.VpcCidr, raw, accepted, `host bits set; did you mean ${c.network}/${c.prefix}?`);
  return value;
}

function stackId(raw: string, ctx: RunContext, mode: Mode, distinguish: string): string {
  const accepted =
    '1 to 24 characters: lower-case letters, digits and hyphens, starting with a letter and ending with a letter or digit, not starting with "aws"';
  const v = raw.trim();
  if (v === '') {
    if (mode === 'down')
      throw new InputError(Inputs.StackId, raw, accepted, "mode 'down' needs the id of the stack to delete");
    if (ctx.runId) return defaultStackId(ctx, distinguish);
    return `local-${Math.random().toString(36).slice(2, 10)}`;
  }
  if (!STACK_ID_PATTERN.test(v) || v.length > 24) throw new InputError(Inputs.StackId, raw, accepted);
  // AWS reserves the aws: prefix for tag keys and values; names built from the id would be refused.
  if (v.startsWith('aws')) throw new InputError(Inputs.StackId, raw, accepted, 'AWS reserves the "aws" prefix');
  return v;
}

/**
 * gh-<run id>-<attempt>-<4 hex>: the hash of the job and of what the inputs ask for keeps the
 * entries of one matrix (same run id and attempt) apart; too long a run id falls back to a hash.
 */
export function defaultStackId(ctx: RunContext, distinguish: string): string {
  const hash = createHash('sha256')
    .update(`${ctx.env.GITHUB_JOB ?? ''}|${distinguish}`)
    .digest('hex');
  const id = `gh-${ctx.runId}-${ctx.runAttempt ?? '1'}-${hash.slice(0, 4)}`;
  if (id.length <= 24) return id;
  return `gh-${createHash('sha256').update(`${ctx.runId}|${ctx.runAttempt}|${hash}`).digest('hex').slice(0, 12)}`;
}

function instanceTypes(read: InputReader): Record<Role, string> {
  const names: Record<Role, InputName> = {
    controller: Inputs.ControllerInstanceType,
    compute: Inputs.ComputeInstanceType,
    block: Inputs.BlockInstanceType,
    object: Inputs.ObjectInstanceType,
  };
  const types = { ...DEFAULT_INSTANCE_TYPES };
  for (const role of ROLES) {
    const raw = read(names[role]).trim();
    if (raw === '') continue;
    if (!INSTANCE_TYPE_PATTERN.test(raw))
      throw new InputError(names[role], raw, 'an EC2 instance type such as m7i.xlarge');
    const needed = NICS_PER_ROLE[role];
    const max = knownMaxNics(raw);
    if (max !== undefined && max < needed)
      throw new InputError(
        names[role],
        raw,
        `an instance type with at least ${needed} network interfaces (e.g. ${DEFAULT_INSTANCE_TYPES[role]})`,
        `the ${role} needs ${needed} network interfaces and ${raw} supports ${max}`,
      );
    types[role] = raw;
  }
  return types;
}

/** NICs per role, from the seeds' EC2 table. plan.ts builds them; this is the count to validate. */
export const NICS_PER_ROLE: Record<Role, number> = { controller: 3, compute: 2, block: 1, object: 1 };

function pingTarget(raw: string, provider: ProviderId): string {
  const value = raw.trim() === '' ? DEFAULTS.pingTarget : raw.trim();
  const accepted = 'an IPv4 address or a host name';
  if (!isIpv4(value) && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(value))
    throw new InputError(Inputs.PingTarget, raw, accepted);
  if (provider === 'local') {
    // The local cloud's only "internet" is an emulated host on 203.0.113.0/24; nothing else is reachable,
    // and aiming elsewhere must never happen, so the public default is swapped for the emulated host.
    if (value === DEFAULTS.pingTarget) return DEFAULTS.localPingTarget;
    if (!value.startsWith('203.0.113.'))
      throw new InputError(
        Inputs.PingTarget,
        raw,
        'an address in 203.0.113.0/24 with provider local',
        "the local provider's emulated internet is 203.0.113.0/24 only",
      );
  }
  return value;
}

function imageUrl(raw: string, provider: ProviderId, mode: Mode): string {
  const value = raw.trim() === '' ? DEFAULTS.imageUrl : raw.trim();
  if (!/^(https?|file):\/\/\S+$/.test(value))
    throw new InputError(
      Inputs.ImageUrl,
      raw,
      'an http(s):// URL of a disk image, or file:// for a file on the runner',
    );
  // The local cloud's only internet is emulated: a download could never succeed, and must not be
  // tried. Only where an image is used: `down` and `sweep` of a local stack need none.
  if (provider === 'local' && (mode === 'up' || mode === 'plan') && !value.startsWith('file://'))
    throw new InputError(
      Inputs.ImageUrl,
      value,
      'a file:// disk image on this machine with provider local (scripts/build-test-image.sh builds a small one)',
      'the local cloud has no way to the real internet',
    );
  return value;
}

function region(raw: string, env: RunContext['env']): string {
  const value = raw.trim() || env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULTS.region;
  if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(value))
    throw new InputError(Inputs.Region, raw || value, 'an AWS region name such as us-east-1 or eu-central-1');
  return value;
}

function ami(raw: string): string | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  if (!/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(v))
    throw new InputError(
      Inputs.Ami,
      raw,
      'an AMI id such as ami-0123456789abcdef0 (empty: newest official image for the OS)',
    );
  return v;
}

function endpoint(raw: string, env: RunContext['env']): string | undefined {
  // The input wins; otherwise the SDK's own standard variable is honoured by the SDK itself.
  const v = raw.trim();
  if (v === '') return env.AWS_ENDPOINT_URL_EC2 || env.AWS_ENDPOINT_URL || undefined;
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(v))
    throw new InputError(Inputs.Ec2Endpoint, raw, 'an http(s) URL of an EC2-compatible endpoint');
  return v;
}

function computeCount(raw: string): number {
  const v = raw.trim();
  if (v === '') return DEFAULTS.computeCount;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_COMPUTE_COUNT)
    throw new InputError(Inputs.ComputeCount, raw, `a whole number from 1 to ${MAX_COMPUTE_COUNT}`);
  return n;
}

/** Turns raw inputs into Settings, or throws the first InputError. Pure apart from the reader. */
export function readSettings(read: InputReader, ctx: RunContext): Settings {
  const mode = oneOf(Inputs.Mode, read(Inputs.Mode), MODES, DEFAULTS.mode);
  const provider = oneOf(Inputs.Provider, read(Inputs.Provider), PROVIDERS, DEFAULTS.provider);
  // With the local provider the only possible OS and release are the defaults, so they need not be named.
  const localDefault = (raw: string, value: string) => (provider === 'local' && raw.trim() === '' ? value : raw);
  const rel = release(localDefault(read(Inputs.Release), LOCAL_SUPPORT.releases[0]));
  const o = os(localDefault(read(Inputs.Os), LOCAL_SUPPORT.os));
  const driver = oneOf(Inputs.NetworkDriver, read(Inputs.NetworkDriver), NETWORK_DRIVERS, defaultDriver(rel));
  const why = unsupportedReason({ release: rel, os: o, driver }, provider);
  if (why) {
    const name =
      provider === 'local' && o.id !== LOCAL_SUPPORT.os
        ? Inputs.Os
        : why.startsWith('Neutron')
          ? Inputs.NetworkDriver
          : Inputs.Release;
    const value = name === Inputs.Os ? o.id : name === Inputs.NetworkDriver ? driver : rel.id;
    throw new InputError(
      name,
      value,
      'a supported release × OS × network-driver combination (see the support table in the README)',
      `${why} (release ${rel.id}, os ${o.id}, network-driver ${driver}, provider ${provider})`,
    );
  }
  const topology = oneOf(
    Inputs.Topology,
    read(Inputs.Topology),
    Object.keys(TOPOLOGIES) as TopologyName[],
    DEFAULTS.topology,
  );
  const tempestRaw = read(Inputs.Tempest).trim().toLowerCase();
  const tempest = oneOf(
    Inputs.Tempest,
    tempestRaw === 'false' ? 'none' : tempestRaw,
    ['none', 'smoke'] as const,
    'none',
  );
  const githubToken = read(Inputs.GithubToken).trim();
  return {
    mode,
    provider,
    release: rel,
    os: o,
    topology,
    computeCount: computeCount(read(Inputs.ComputeCount)),
    networkDriver: driver,
    region: region(read(Inputs.Region), ctx.env),
    stackId: stackId(
      read(Inputs.StackId),
      ctx,
      mode,
      [provider, rel.id, o.id, driver, topology, read(Inputs.ComputeCount), read(Inputs.Region)].join('|'),
    ),
    lifetimeMinutes: lifetime(read(Inputs.Lifetime)),
    teardown: oneOf(Inputs.Teardown, read(Inputs.Teardown), TEARDOWN_POLICIES, DEFAULTS.teardown),
    instanceTypes: instanceTypes(read),
    ami: ami(read(Inputs.Ami)),
    allowedCidrs: allowedCidrs(read(Inputs.AllowedCidrs)),
    vpcCidr: vpcCidr(read(Inputs.VpcCidr)),
    pingTarget: pingTarget(read(Inputs.PingTarget), provider),
    imageUrl: imageUrl(read(Inputs.ImageUrl), provider, mode),
    smoke: bool(Inputs.Smoke, read(Inputs.Smoke), true),
    spot: bool(Inputs.Spot, read(Inputs.Spot), false),
    tempest,
    ec2Endpoint: endpoint(read(Inputs.Ec2Endpoint), ctx.env),
    logBundle: oneOf(
      Inputs.LogBundle,
      read(Inputs.LogBundle),
      ['on-failure', 'always', 'never'] as const,
      'on-failure',
    ),
    prComment: bool(Inputs.PrComment, read(Inputs.PrComment), false),
    githubToken: githubToken === '' ? undefined : githubToken,
    ...readNetworkFixSettings(read, provider, bool(Inputs.Smoke, read(Inputs.Smoke), true)),
  };
}

/** Settings survive the trip from main to post (and to the CLI's down) as JSON of their raw inputs. */
export function settingsToJson(s: Settings): string {
  const { githubToken: _omit, ...rest } = s;
  return JSON.stringify({ ...rest, release: s.release.id, os: s.os.id });
}

export function settingsFromJson(json: string): Settings {
  const raw = JSON.parse(json) as Omit<Settings, 'release' | 'os'> & { release: string; os: string };
  const rel = findRelease(raw.release);
  const o = findOs(raw.os);
  if (!rel || !o) throw new Error(`saved settings name an unknown release or OS: ${raw.release}, ${raw.os}`);
  return { ...raw, release: rel, os: o };
}
