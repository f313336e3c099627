// Raw input strings → one typed, validated Settings. Every check happens here, before any provider
// is touched, so a bad value stops the run with one message and nothing is created.

import { createHash } from 'crypto';
import { InputError } from '../core/errors';
import { DEFAULT_INSTANCE_TYPES, INSTANCE_TYPE_PATTERN, knownMaxNics, Role, ROLE_NICS, ROLES } from './instance-types';
import {
  CombinationPart,
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
  refusalOf,
} from './matrix';
import { declaredDefault } from '../core/input-docs';
import { Inputs, InputName } from '../core/names';
import { NetworkFixSettings, readNetworkFixSettings } from './network-fix-inputs';
import { readTempestSelection, TempestSelectionSettings } from './tempest-inputs';
import { cidrContains, isIpv4, parseCidr } from '../core/net';

type Mode = 'up' | 'down' | 'sweep' | 'plan';
const MODES: readonly Mode[] = ['up', 'down', 'sweep', 'plan'];
export type TeardownPolicy = 'always' | 'on-success' | 'never';
const TEARDOWN_POLICIES: readonly TeardownPolicy[] = ['always', 'on-success', 'never'];
type TopologyName = 'minimal' | 'full';
const TOPOLOGIES: Record<TopologyName, string> = {
  minimal: "controller + compute nodes (the seeds' minimal deployment)",
  full: 'minimal + block1 (Cinder) + object1 and object2 (Swift)',
};
type TempestMode = 'none' | 'smoke';
export type LogBundlePolicy = 'on-failure' | 'always' | 'never';
type ImageCachePolicy = 'auto' | 'off';
const MAX_BAKE_KEEP = 10;

const DEFAULTS = {
  mode: 'up' as Mode,
  provider: 'aws' as ProviderId,
  release: '2026.1',
  os: 'ubuntu-26.04',
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
const MAX_COMPUTE_COUNT = 8;
/** The plan tags, names and (for local) interface names are built from it: keep it short and plain. */
const STACK_ID_PATTERN = /^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/;

export interface Settings extends NetworkFixSettings, TempestSelectionSettings {
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
  /** After every smoke check passed: turn the stack into one baked image per node role. */
  bake: boolean;
  /** Baked images kept per bake key (bake and sweep delete older ones). */
  bakeKeep: number;
  /** auto: boot matching baked images and rekey them; off: always a cold install. */
  imageCache: ImageCachePolicy;
  /**
   * Inputs accepted but worth a second look (a wide allowed-cidrs, an input the provider ignores):
   * logged as warnings and shown in the Plan and the job summary.
   */
  warnings: string[];
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

/** Below this prefix length an allowed block is accepted only with a warning (a /16 is 65,536 addresses). */
const WIDE_CIDR_PREFIX = 16;

function allowedCidrs(raw: string, warnings: string[]): string[] {
  const accepted =
    'IPv4 CIDR blocks such as 198.51.100.7/32 (a network address: no host bits), separated by commas or new lines (empty: the runner’s own address /32)';
  const cidrs = list(raw);
  for (const c of cidrs) {
    const parsed = parseCidr(c);
    if (!parsed) throw new InputError(Inputs.AllowedCidrs, c, accepted, 'not an IPv4 CIDR block');
    // AWS would silently widen the block to its network; the user most likely meant a narrower one.
    if (parsed.network !== parsed.address)
      throw new InputError(
        Inputs.AllowedCidrs,
        c,
        accepted,
        `host bits set; did you mean ${parsed.network}/${parsed.prefix}? (or ${parsed.address}/32 for the one address)`,
      );
    if (parsed.prefix < WIDE_CIDR_PREFIX)
      warnings.push(
        `allowed-cidrs: ${c} lets ${(2 ** (32 - parsed.prefix)).toLocaleString('en-US')} addresses${parsed.prefix === 0 ? ' (the whole internet)' : ''} reach the controller's SSH, APIs and dashboard; narrow it to the addresses that need them (/${WIDE_CIDR_PREFIX} or longer).`,
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

/** Outside a workflow run (the CLI) a default id says where the stack lives: ec2-… or local-…. */
const CLI_STACK_PREFIX: Record<ProviderId, string> = { aws: 'ec2', local: 'local' };

function stackId(raw: string, ctx: RunContext, mode: Mode, provider: ProviderId, distinguish: string): string {
  const accepted =
    '1 to 24 characters: lower-case letters, digits and hyphens, starting with a letter and ending with a letter or digit, not starting with "aws"';
  const v = raw.trim();
  if (v === '') {
    if (mode === 'down')
      throw new InputError(Inputs.StackId, raw, accepted, "mode 'down' needs the id of the stack to delete");
    if (ctx.runId) return defaultStackId(ctx, distinguish);
    return `${CLI_STACK_PREFIX[provider]}-${Math.random().toString(36).slice(2, 10)}`;
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
function defaultStackId(ctx: RunContext, distinguish: string): string {
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
    const needed = ROLE_NICS[role].length;
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

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function pingTarget(raw: string, provider: ProviderId): string {
  const value = raw.trim() === '' ? DEFAULTS.pingTarget : raw.trim();
  const accepted = 'an IPv4 address (four decimal numbers from 0 to 255) or a DNS name such as example.org';
  // All-digit dotted words are meant as an address (no top-level domain is numeric): 256.1.1.1 must
  // fail here, not as a failed ping after a full install.
  const looksNumeric = /^[\d.]+$/.test(value);
  if (looksNumeric ? !isIpv4(value) : !DNS_NAME.test(value) || /^\d+$/.test(value.split('.').pop() ?? ''))
    throw new InputError(
      Inputs.PingTarget,
      raw,
      accepted,
      looksNumeric ? 'not an IPv4 address' : 'neither an IPv4 address nor a DNS name',
    );
  if (provider === 'local') {
    // The local cloud's only "internet" is an emulated host on 203.0.113.0/24; nothing else is reachable,
    // and aiming elsewhere must never happen, so the public default is swapped for the emulated host.
    if (value === DEFAULTS.pingTarget) return DEFAULTS.localPingTarget;
    if (!cidrContains('203.0.113.0/24', value))
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

/** A count: decimal digits only (Number() would also take 0x2, 2e0, ' 2' and '+2'). */
function count(name: InputName, raw: string, fallback: number, max: number): number {
  if (raw === '') return fallback;
  const accepted = `a whole number from 1 to ${max}, in decimal digits only (e.g. 2)`;
  if (!/^[1-9]\d*$/.test(raw))
    throw new InputError(name, raw, accepted, /^0+$/.test(raw) ? undefined : 'not a decimal whole number');
  const n = Number(raw);
  if (n > max) throw new InputError(name, raw, accepted);
  return n;
}

/** Inputs that only say what a new stack looks like or how up runs (moot for down and sweep). */
const NEW_STACK_INPUTS: InputName[] = [
  Inputs.Release,
  Inputs.Os,
  Inputs.Topology,
  Inputs.ComputeCount,
  Inputs.NetworkDriver,
  Inputs.Lifetime,
  Inputs.Teardown,
  Inputs.ControllerInstanceType,
  Inputs.ComputeInstanceType,
  Inputs.BlockInstanceType,
  Inputs.ObjectInstanceType,
  Inputs.Ami,
  Inputs.AllowedCidrs,
  Inputs.VpcCidr,
  Inputs.PingTarget,
  Inputs.ImageUrl,
  Inputs.Smoke,
  Inputs.Spot,
  Inputs.Tempest,
  Inputs.TempestRegex,
  Inputs.TempestSshUser,
  Inputs.LogBundle,
  Inputs.Bake,
  Inputs.ImageCache,
];

/**
 * Inputs that contradict each other: refused where one reading must be wrong (nothing is created
 * yet), a warning where both make sense and the ignored input does no harm.
 */
function crossCheck(s: Settings, read: InputReader): void {
  if (!s.smoke && s.tempest === 'smoke')
    throw new InputError(
      Inputs.Tempest,
      read(Inputs.Tempest),
      'tempest: none with smoke: false, or smoke: true to run Tempest after the smoke checks',
      'Tempest runs as one of the smoke checks, and smoke is false',
    );
  if (s.bake && !s.smoke)
    throw new InputError(
      Inputs.Bake,
      read(Inputs.Bake),
      'bake: false with smoke: false, or smoke: true (only a stack whose smoke checks passed is baked)',
      'smoke is false, so nothing would prove the stack worth baking',
    );
  if (s.prComment && !s.githubToken)
    throw new InputError(
      Inputs.GithubToken,
      read(Inputs.GithubToken),
      'a token that may write pull-request comments (the default, ${{ github.token }}), or pr-comment: false',
      'pr-comment is true and the comment needs a token',
    );
  // Given = other than action.yml's default: the runner hands every input its default when a
  // workflow leaves it out, and a default is no choice to warn about.
  const given = (name: InputName) => !['', declaredDefault(name)].includes(read(name).trim());
  if (s.provider === 'local') {
    const ignored: InputName[] = [Inputs.Ami, Inputs.Ec2Endpoint, Inputs.Region, Inputs.AllowedCidrs].filter(given);
    if (s.spot) ignored.push(Inputs.Spot);
    for (const name of ignored) s.warnings.push(`${name}: ignored with provider local (it applies to EC2 only).`);
  }
  if (s.mode === 'sweep' && given(Inputs.StackId))
    s.warnings.push(`stack-id: ignored with mode sweep, which deletes every expired stack in the region.`);
  if (s.mode === 'down' || s.mode === 'sweep') {
    // down and sweep find what to delete by the stack's tags: what a new stack would look like is moot.
    const shaping = NEW_STACK_INPUTS.filter(given);
    if (shaping.length)
      s.warnings.push(
        `${shaping.join(', ')}: ignored with mode ${s.mode} (they shape a new stack; ${s.mode} deletes by tags).`,
      );
  }
  if (!s.smoke && given(Inputs.ImageUrl))
    s.warnings.push(`image-url: ignored with smoke: false (only the smoke checks boot the image).`);
}

/** Turns raw inputs into Settings, or throws the first InputError. Pure apart from the reader. */
export function readSettings(read: InputReader, ctx: RunContext): Settings {
  const warnings: string[] = [];
  const mode = oneOf(Inputs.Mode, read(Inputs.Mode), MODES, DEFAULTS.mode);
  const provider = oneOf(Inputs.Provider, read(Inputs.Provider), PROVIDERS, DEFAULTS.provider);
  // With the local provider the only possible OS and release are the defaults, so they need not be named.
  const localDefault = (raw: string, value: string) => (provider === 'local' && raw.trim() === '' ? value : raw);
  const rel = release(localDefault(read(Inputs.Release), LOCAL_SUPPORT.default.release));
  const o = os(localDefault(read(Inputs.Os), LOCAL_SUPPORT.default.os));
  const driver = oneOf(Inputs.NetworkDriver, read(Inputs.NetworkDriver), NETWORK_DRIVERS, defaultDriver(rel));
  const refusal = refusalOf({ release: rel, os: o, driver }, provider);
  if (refusal) {
    const blamed: Record<CombinationPart, [InputName, string]> = {
      release: [Inputs.Release, rel.id],
      os: [Inputs.Os, o.id],
      'network-driver': [Inputs.NetworkDriver, driver],
    };
    const [name, value] = blamed[refusal.blames];
    throw new InputError(
      name,
      value,
      'a supported release × OS × network-driver combination (see the support table in the README)',
      `${refusal.reason} (release ${rel.id}, os ${o.id}, network-driver ${driver}, provider ${provider})`,
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
  const settings: Settings = {
    mode,
    provider,
    release: rel,
    os: o,
    topology,
    computeCount: count(Inputs.ComputeCount, read(Inputs.ComputeCount), DEFAULTS.computeCount, MAX_COMPUTE_COUNT),
    networkDriver: driver,
    region: region(read(Inputs.Region), ctx.env),
    stackId: stackId(
      read(Inputs.StackId),
      ctx,
      mode,
      provider,
      [provider, rel.id, o.id, driver, topology, read(Inputs.ComputeCount), read(Inputs.Region)].join('|'),
    ),
    lifetimeMinutes: lifetime(read(Inputs.Lifetime)),
    teardown: oneOf(Inputs.Teardown, read(Inputs.Teardown), TEARDOWN_POLICIES, DEFAULTS.teardown),
    instanceTypes: instanceTypes(read),
    ami: ami(read(Inputs.Ami)),
    allowedCidrs: allowedCidrs(read(Inputs.AllowedCidrs), warnings),
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
    bake: bool(Inputs.Bake, read(Inputs.Bake), false),
    bakeKeep: count(Inputs.BakeKeep, read(Inputs.BakeKeep), 2, MAX_BAKE_KEEP),
    imageCache: oneOf(Inputs.ImageCache, read(Inputs.ImageCache), ['auto', 'off'] as const, 'auto'),
    warnings,
    ...readNetworkFixSettings(read, provider, bool(Inputs.Smoke, read(Inputs.Smoke), true), tempest === 'smoke'),
    ...readTempestSelection(read, tempest),
  };
  crossCheck(settings, read);
  return settings;
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
  // Saved by a version without baking: its post step knows nothing of images.
  const older = { bake: false, bakeKeep: 2, imageCache: 'off' as const };
  return { ...older, ...raw, warnings: raw.warnings ?? [], release: rel, os: o };
}
