// A small stateful EC2 for tests and the benchmark. It keeps resources and ENFORCES the dependency
// rules AWS enforces (a VPC with subnets, gateways, groups or tables cannot go; a subnet with
// interfaces cannot go; a gateway cannot be detached while the VPC has elastic IPs mapped, nor
// deleted while attached; a security group in use by an interface cannot go; a route table still
// associated cannot go), so an ordering bug in the provider fails a test. Instances move through
// pending → running and shutting-down → terminated over (virtual) time. Throttling, capacity errors,
// a cut connection ("the runner died after call k") and lost answers (the call took effect, the
// answer never arrived) can be injected. ClientToken works as EC2's does where EC2 takes one (same
// token, same parameters → the first answer again; other parameters → IdempotentParameterMismatch),
// and creates without one make a second resource when resent, as EC2 does. With `authorize` set, each
// call is first authorised resource by resource (checksFor) and refused with UnauthorizedOperation
// where the role's policy would refuse it (the rigs of test/unit/aws run under policy/iam-policy.json).
// Images are made as EC2 makes them: CreateImage of a running or stopped instance snapshots each of
// its EBS volumes (tagged by the snapshot TagSpecification) and registers a pending image under a
// name unique in the account, available some (virtual) time later; a snapshot cannot be deleted
// while a registered image uses it, and a deregistered image launches nothing.
//
// Plugged into an EC2Client with aws-sdk-client-mock: every modelled command calls fake.call().

import type * as sdk from '@aws-sdk/client-ec2';
import { EC2Client, EC2ClientConfig, EC2ServiceException, Filter, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { cidrContains, intToIp, ipToInt, parseCidr } from '../../src/core/net';
import type { Check, Decision } from './iam-eval';

/** Time that only moves when every task is waiting: sleeps of many concurrent tasks overlap exactly. */
export class VirtualClock {
  private time: number;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  private scheduled = false;

  constructor(startMs = Date.parse('2026-01-01T00:00:00Z')) {
    this.time = startMs;
  }

  now = (): number => this.time;

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve });
      this.schedule();
    });

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after every pending promise reaction: all tasks have reached their next sleep.
    setImmediate(() => {
      this.scheduled = false;
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.time = Math.max(this.time, next.at);
      next.resolve();
      if (this.timers.length > 0) this.schedule();
    });
  }
}

export interface FakeTypeInfo {
  maxNics: number;
  arch?: string;
  nested?: boolean;
  metal?: boolean;
  zones?: string[];
  /** Private IPv4 addresses per network interface, the primary included (EC2's limit at launch). */
  ipv4PerEni?: number;
}

export interface CapacityRule {
  zone?: string;
  type?: string;
  market?: 'spot' | 'on-demand';
  code: string;
}

export interface FakeEc2Options {
  clock?: VirtualClock;
  /** Fixed time every call takes (the benchmark's unit). */
  latencyMs?: number;
  bootMs?: number;
  /** How long CreateImage's image stays pending before it is available. */
  imageMs?: number;
  terminateMs?: number;
  zones?: string[];
  instanceTypes?: Record<string, FakeTypeInfo>;
  /**
   * Serve a client built with this configuration through its real middleware stack (the SDK's retry
   * strategy included) instead of a stubbed send: what the benchmark measures production with.
   */
  sdkConfig?: EC2ClientConfig;
}

export const DEFAULT_TYPES: Record<string, FakeTypeInfo> = {
  'm7i.xlarge': { maxNics: 4, ipv4PerEni: 15 },
  'm8i.xlarge': { maxNics: 4, nested: true, ipv4PerEni: 15 },
  't3.medium': { maxNics: 3, ipv4PerEni: 6 },
  't3.micro': { maxNics: 2, ipv4PerEni: 2 },
  'm7g.xlarge': { maxNics: 4, arch: 'arm64', ipv4PerEni: 15 },
  'm5.metal': { maxNics: 15, metal: true, ipv4PerEni: 50 },
};

type Tags = Record<string, string>;
interface Vpc {
  id: string;
  cidr: string;
  tags: Tags;
  mainTable: string;
  defaultGroup: string;
}
interface Subnet {
  id: string;
  vpcId: string;
  cidr: string;
  zone: string;
  tags: Tags;
}
interface Gateway {
  id: string;
  vpcIds: string[];
  tags: Tags;
}
interface Route {
  dest: string;
  gatewayId?: string;
  eniId?: string;
}
interface RouteTable {
  id: string;
  vpcId: string;
  main: boolean;
  routes: Route[];
  associations: Array<{ id: string; subnetId?: string; main: boolean }>;
  tags: Tags;
}
interface Group {
  id: string;
  name: string;
  vpcId: string;
  isDefault: boolean;
  ingress: unknown[];
  tags: Tags;
}
interface Eni {
  id: string;
  subnetId: string;
  vpcId: string;
  zone: string;
  ip: string;
  /** Secondary private addresses (CreateNetworkInterface's PrivateIpAddresses, AssignPrivateIpAddresses). */
  secondaryIps: string[];
  groups: string[];
  mac: string;
  sourceDestCheck: boolean;
  tags: Tags;
  attachment?: { id: string; instanceId: string; deviceIndex: number; deleteOnTermination: boolean };
}
interface Instance {
  id: string;
  type: string;
  imageId: string;
  zone: string;
  state: string;
  runningAt: number;
  terminatedAt?: number;
  market: string;
  enis: string[];
  tags: Tags;
  input: sdk.RunInstancesCommandInput;
  clientToken?: string;
}
interface Address {
  allocationId: string;
  publicIp: string;
  association?: { id: string; eniId: string; ip: string };
  tags: Tags;
}
interface KeyPair {
  id: string;
  name: string;
  tags: Tags;
}
type ImageState = 'pending' | 'available' | 'failed' | 'deregistered';
interface Image {
  id: string;
  owner: string;
  name: string;
  created: string;
  arch: string;
  root: string;
  /** The public images of REGION_IMAGES are available and carry no tags. */
  state?: ImageState;
  availableAt?: number;
  tags?: Tags;
  /** CreateImage's snapshots, one per EBS volume of the source instance, by device name. */
  disks?: Array<{ device: string; snapshotId: string; sizeGiB: number }>;
}
interface Snapshot {
  id: string;
  sizeGiB: number;
  tags: Tags;
}

/** The account every fake resource belongs to (DescribeImages' Owners ['self']). */
export const ACCOUNT = '123456789012';
/** EC2's rule for AMI names: 3-128 of letters, digits, ( ) [ ] space . / - ' @ _. */
const AMI_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

/**
 * The public images the region holds: the official ones of each OS the lookup must find (Canonical's
 * owner 099720109477, Debian's 136693071363), an older build of each so "newest" is what picks, and
 * look-alikes that a loose pattern or a missing filter would pick instead (arm64 builds, Debian's
 * backports-kernel build, a copy under another owner), each newer than the image to find.
 */
const REGION_IMAGES: readonly Image[] = [
  // Ubuntu 24.04 (noble): two builds.
  ubuntu('ami-0aaaaaaaaaaaaaaa1', 'ubuntu-noble-24.04-amd64-server-20250101', '2025-01-01'),
  ubuntu('ami-0aaaaaaaaaaaaaaa2', 'ubuntu-noble-24.04-amd64-server-20250601', '2025-06-01'),
  // Ubuntu 26.04 (resolute): the release build, a newer one, and newer look-alikes.
  ubuntu('ami-0aaaaaaaaaaaaaaa4', 'ubuntu-resolute-26.04-amd64-server-20260423', '2026-04-23'),
  ubuntu('ami-0aaaaaaaaaaaaaaa5', 'ubuntu-resolute-26.04-amd64-server-20261015', '2026-10-15'),
  { ...ubuntu('ami-0aaaaaaaaaaaaaaa6', 'ubuntu-resolute-26.04-arm64-server-20261101', '2026-11-01'), arch: 'arm64' },
  {
    ...ubuntu('ami-0aaaaaaaaaaaaaaa7', 'ubuntu-resolute-26.04-amd64-server-20261102', '2026-11-02'),
    owner: '210987654321',
  },
  // Debian 12 (bookworm).
  debian('ami-0aaaaaaaaaaaaaaa3', 'debian-12-amd64-20250601-2100', '2025-06-01'),
  // Debian 13 (trixie): two builds, and newer look-alikes.
  debian('ami-0aaaaaaaaaaaaaaa8', 'debian-13-amd64-20260101-2345', '2026-01-01'),
  debian('ami-0aaaaaaaaaaaaaaa9', 'debian-13-amd64-20261020-2630', '2026-10-20'),
  debian('ami-0aaaaaaaaaaaaaab0', 'debian-13-backports-amd64-20261101-2640', '2026-11-01'),
  { ...debian('ami-0aaaaaaaaaaaaaab1', 'debian-13-arm64-20261101-2640', '2026-11-01'), arch: 'arm64' },
];

function ubuntu(id: string, build: string, day: string): Image {
  const name = `ubuntu/images/hvm-ssd-gp3/${build}`;
  return { id, owner: '099720109477', name, created: `${day}T00:00:00.000Z`, arch: 'x86_64', root: '/dev/sda1' };
}

function debian(id: string, name: string, day: string): Image {
  return { id, owner: '136693071363', name, created: `${day}T00:00:00.000Z`, arch: 'x86_64', root: '/dev/xvda' };
}

export interface CallRecord {
  op: string;
  input: Record<string, unknown>;
  at: number;
  error?: string;
}

type Handler = (input: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

const stubOf = (client: EC2Client) => mockClient(client);
type Ec2Stub = ReturnType<typeof stubOf>;

export class FakeEc2 {
  readonly clock: VirtualClock;
  readonly calls: CallRecord[] = [];
  /** Return true to answer this call with RequestLimitExceeded (nothing happens). */
  throttle?: (op: string, callNumber: number) => boolean;
  /** Launch refusals: the first matching rule answers RunInstances with its error code. */
  capacity: CapacityRule[] = [];
  /** Call number `cutAfter` takes effect but its answer is lost; every later call fails unexecuted. */
  cutAfter?: number;
  /** Called after each call took effect (e.g. to abort a run right after call k). */
  afterCall?: (op: string, callNumber: number) => void;
  /**
   * IAM in front of the API: given the authorisation checks of a call (see checksFor), refuse it with
   * UnauthorizedOperation, as EC2 does, when the role's policy would.
   */
  authorize?: (checks: Check[]) => Decision;
  /**
   * Eventual consistency: return true to answer this Describe call as EC2 does right after a create,
   * with nothing in it yet.
   */
  describeLags?: (op: string, input: Record<string, unknown>) => boolean;
  /** Return true to lose this call on the way in: nothing happens, the caller sees a network error. */
  dropRequest?: (op: string, callNumber: number) => boolean;
  /** Return true for an image (by name) that ends `failed` instead of `available`, as a CreateImage can. */
  failImage?: (name: string) => boolean;
  /** Return true to perform this call and then lose its answer (a network error, as the SDK throws it). */
  loseAnswer?: (op: string, callNumber: number) => boolean;
  /** Idempotency tokens seen, per operation: the parameters they came with and the answer to repeat. */
  private readonly tokens = new Map<string, { params: string; answer: () => unknown }>();

  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly gateways = new Map<string, Gateway>();
  readonly tables = new Map<string, RouteTable>();
  readonly groups = new Map<string, Group>();
  readonly enis = new Map<string, Eni>();
  readonly instances = new Map<string, Instance>();
  readonly addresses = new Map<string, Address>();
  readonly keyPairs = new Map<string, KeyPair>();
  readonly images: Image[] = [];
  readonly snapshots = new Map<string, Snapshot>();

  private counter = 0;
  private cachedClient?: EC2Client;
  /** The aws-sdk-client-mock stub behind client(): commandCalls(XxxCommand) shows the calls' shapes. */
  mock?: Ec2Stub;
  private readonly latencyMs: number;
  private readonly bootMs: number;
  private readonly imageMs: number;
  private readonly terminateMs: number;
  readonly zones: string[];
  readonly types: Record<string, FakeTypeInfo>;
  private readonly sdkConfig?: EC2ClientConfig;

  constructor(opts: FakeEc2Options = {}) {
    this.sdkConfig = opts.sdkConfig;
    this.clock = opts.clock ?? new VirtualClock();
    this.latencyMs = opts.latencyMs ?? 0;
    this.bootMs = opts.bootMs ?? 20_000;
    this.imageMs = opts.imageMs ?? 240_000;
    this.terminateMs = opts.terminateMs ?? 45_000;
    this.zones = opts.zones ?? ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    this.types = opts.instanceTypes ?? DEFAULT_TYPES;
    this.images.push(...REGION_IMAGES.map((image) => ({ ...image })));
  }

  /** An EC2Client whose every modelled command is answered by this fake. */
  client(): EC2Client {
    if (this.cachedClient) return this.cachedClient;
    if (this.sdkConfig) return (this.cachedClient = this.served(this.sdkConfig));
    const client = new EC2Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const mock = stubOf(client);
    this.mock = mock;
    // One fake behind the stub for every command (per-command matchers cost milliseconds per call).
    const answer = (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const op = command.constructor.name.replace(/Command$/, '');
      if (!this.handlers[op]) return Promise.reject(new Error(`the fake EC2 does not model ${op}`));
      return this.call(op, command.input);
    };
    mock.send.callsFake(answer as never);
    this.cachedClient = client;
    return client;
  }

  /**
   * A real client whose requests are answered by this fake at the innermost step (where the HTTP
   * response would be parsed): serialisation, signing and the configured retry strategy all run.
   */
  private served(config: EC2ClientConfig): EC2Client {
    const client = new EC2Client({
      ...config,
      region: config.region ?? 'us-east-1',
      // Static test credentials: the default chain would go looking for real ones.
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        const op = String(context.commandName ?? '').replace(/Command$/, '');
        if (!this.handlers[op]) throw new Error(`the fake EC2 does not model ${op}`);
        const output = await this.call(op, args.input as unknown as Record<string, unknown>);
        return { output: output as never, response: {} };
      },
      { step: 'deserialize', name: 'fakeEc2', priority: 'high' },
    );
    return client;
  }

  /** What an instance "printed" on its serial console (GetConsoleOutput returns it). */
  readonly consoleText = new Map<string, string>();

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  errorsOf(code: string): CallRecord[] {
    return this.calls.filter((c) => c.error === code);
  }

  /**
   * Every resource that would still exist (and cost, or block) in an account. A secondary private
   * address is named `<eni>/<ip>`, as State records it: it lives (and holds its address) with its ENI.
   */
  liveResources(): string[] {
    this.advance();
    return [
      ...[...this.instances.values()].filter((i) => i.state !== 'terminated').map((i) => i.id),
      ...this.enis.keys(),
      ...[...this.enis.values()].flatMap((e) => e.secondaryIps.map((ip) => `${e.id}/${ip}`)),
      ...this.addresses.keys(),
      ...[...this.tables.values()].filter((t) => !t.main).map((t) => t.id),
      ...this.gateways.keys(),
      ...this.subnets.keys(),
      ...[...this.groups.values()].filter((g) => !g.isDefault).map((g) => g.id),
      ...this.vpcs.keys(),
      ...this.keyPairs.keys(),
    ];
  }

  /**
   * The account's own registered images and every snapshot: what baking leaves on purpose (they
   * outlive the stacks, so liveResources, the stacks' leftovers, leaves them out).
   */
  imageResources(): string[] {
    this.advance();
    return [
      ...this.images.filter((im) => im.owner === ACCOUNT && im.state !== 'deregistered').map((im) => im.id),
      ...this.snapshots.keys(),
    ];
  }

  async call(op: string, input: Record<string, unknown>): Promise<unknown> {
    const n = this.calls.length + 1;
    const record: CallRecord = { op, input, at: this.clock.now() };
    this.calls.push(record);
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    const fail = (code: string, message: string) => {
      record.error = code;
      return Promise.reject(fakeError(code, message));
    };
    if (this.cutAfter !== undefined && n > this.cutAfter) return fail('RequestAborted', 'the runner is gone');
    if (this.throttle?.(op, n)) return fail('RequestLimitExceeded', 'Request limit exceeded.');
    if (this.dropRequest?.(op, n)) {
      record.error = 'ECONNRESET';
      return Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    }
    this.advance();
    if (this.describeLags?.(op, input) && DESCRIBED[op]) return { $metadata: {}, [DESCRIBED[op]]: [] };
    if (this.authorize) {
      const decision = this.authorize(this.checksFor(op, input));
      if (!decision.allowed)
        return fail('UnauthorizedOperation', `You are not authorized to perform this operation. ${decision.reason}`);
    }
    let out: unknown;
    try {
      out = this.handlers[op](input);
    } catch (err) {
      if (!(err instanceof EC2ServiceException)) throw err; // a bug in the fake itself
      return fail(err.name, err.message);
    }
    this.afterCall?.(op, n);
    if (this.cutAfter === n) return fail('RequestAborted', 'the runner died before the answer arrived');
    if (this.loseAnswer?.(op, n)) {
      record.error = 'ECONNRESET';
      return Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    }
    return { $metadata: {}, ...(out as object) };
  }

  // ---- time ----

  private advance(): void {
    const now = this.clock.now();
    for (const im of this.images)
      if (im.state === 'pending' && now >= (im.availableAt ?? 0))
        im.state = this.failImage?.(im.name) ? 'failed' : 'available';
    for (const i of this.instances.values()) {
      if (i.state === 'pending' && now >= i.runningAt) i.state = 'running';
      if (i.state === 'shutting-down' && now >= (i.terminatedAt ?? Infinity)) {
        i.state = 'terminated';
        for (const eniId of i.enis) {
          const eni = this.enis.get(eniId);
          if (!eni || eni.attachment?.instanceId !== i.id) continue;
          if (eni.attachment.deleteOnTermination) this.removeEni(eni.id);
          else eni.attachment = undefined;
        }
      }
    }
  }

  private removeEni(id: string): void {
    this.enis.delete(id);
    for (const a of this.addresses.values()) if (a.association?.eniId === id) a.association = undefined;
  }

  // ---- helpers ----

  /** EC2's rules for private addresses: inside the subnet, not one of its 5 reserved, in use nowhere. */
  private checkAssignable(s: Subnet, ips: string[]): void {
    const c = parseCidr(s.cidr)!;
    const start = ipToInt(c.network);
    const last = start + 2 ** (32 - c.prefix) - 1;
    const used = new Set(
      [...this.enis.values()].filter((e) => e.subnetId === s.id).flatMap((e) => [e.ip, ...e.secondaryIps]),
    );
    for (const ip of ips) {
      if (!cidrContains(s.cidr, ip))
        throw fakeError('InvalidParameterValue', `Address ${ip} does not fall within the subnet's address range`);
      const n = ipToInt(ip);
      if (n - start < 4 || n === last)
        throw fakeError('InvalidParameterValue', `Address ${ip} is reserved in ${s.cidr}`);
      if (used.has(ip)) throw fakeError('InvalidIPAddress.InUse', `Address ${ip} is in use.`);
      used.add(ip);
    }
  }

  /** EC2 picks free addresses for SecondaryPrivateIpAddressCount (here: from .200 up). */
  private freeAddresses(s: Subnet, count: number, taken: string[]): string[] {
    const used = new Set([...taken, ...[...this.enis.values()].flatMap((e) => [e.ip, ...e.secondaryIps])]);
    const out: string[] = [];
    for (let h = 200; out.length < count && h < 255; h++) {
      const ip = intToIp(ipToInt(parseCidr(s.cidr)!.network) + h);
      if (!used.has(ip)) out.push(ip);
    }
    if (out.length < count)
      throw fakeError('InsufficientFreeAddressesInSubnet', `no ${count} free addresses in ${s.cidr}`);
    return out;
  }

  private privateAddresses(e: Eni): sdk.NetworkInterfacePrivateIpAddress[] {
    return [
      { PrivateIpAddress: e.ip, Primary: true },
      ...e.secondaryIps.map((PrivateIpAddress) => ({ PrivateIpAddress, Primary: false })),
    ];
  }

  private id(prefix: string): string {
    return `${prefix}-${(++this.counter).toString(16).padStart(17, '0')}`;
  }

  /**
   * EC2's ClientToken: a token seen before with the same parameters answers as the first call did
   * (nothing new is created); with other parameters it is refused.
   */
  private idempotent<T>(op: string, input: { ClientToken?: string }, create: () => { answer: () => T }): T {
    if (!input.ClientToken) return create().answer();
    const { ClientToken, ...rest } = input;
    const params = JSON.stringify(rest);
    const key = `${op}/${ClientToken}`;
    const seen = this.tokens.get(key);
    if (seen) {
      if (seen.params !== params)
        throw fakeError(
          'IdempotentParameterMismatch',
          `The client token ${ClientToken} was used with other parameters.`,
        );
      return seen.answer() as T;
    }
    const made = create();
    this.tokens.set(key, { params, answer: made.answer });
    return made.answer();
  }

  private get<T>(map: Map<string, T>, id: unknown, code: string): T {
    const v = map.get(String(id));
    if (!v) throw fakeError(code, `The id '${String(id)}' does not exist`);
    return v;
  }

  private readonly handlers: Record<string, Handler> = {
    // ---- preflight ----
    DescribeInstanceTypes: (i: sdk.DescribeInstanceTypesCommandInput) => {
      const unknown = (i.InstanceTypes ?? []).filter((t) => !this.types[t]);
      if (unknown.length)
        throw fakeError(
          'InvalidInstanceType',
          `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
        );
      return {
        InstanceTypes: (i.InstanceTypes ?? []).map((t) => {
          const info = this.types[t];
          return {
            InstanceType: t,
            BareMetal: info.metal ?? false,
            NetworkInfo: { MaximumNetworkInterfaces: info.maxNics, Ipv4AddressesPerInterface: info.ipv4PerEni ?? 15 },
            ProcessorInfo: {
              SupportedArchitectures: [info.arch ?? 'x86_64'],
              SupportedFeatures: info.nested ? ['nested-virtualization'] : [],
            },
          };
        }),
      };
    },
    DescribeInstanceTypeOfferings: (i: sdk.DescribeInstanceTypeOfferingsCommandInput) => {
      const wanted = i.Filters?.find((f) => f.Name === 'instance-type')?.Values ?? Object.keys(this.types);
      return {
        InstanceTypeOfferings: wanted
          .filter((t) => this.types[t])
          .flatMap((t) =>
            (this.types[t].zones ?? this.zones).map((z) => ({
              InstanceType: t,
              Location: z,
              LocationType: 'availability-zone',
            })),
          ),
      };
    },
    DescribeImages: (i: sdk.DescribeImagesCommandInput) => {
      let images = this.images;
      if (i.ImageIds) {
        const unknown = i.ImageIds.filter((id) => !images.some((im) => im.id === id));
        if (unknown.length)
          throw fakeError('InvalidAMIID.NotFound', `The image id '[${unknown.join(', ')}]' does not exist`);
        images = images.filter((im) => i.ImageIds!.includes(im.id));
      } else {
        // A deregistered image stays visible for a while, but only to a look-up by its id.
        images = images.filter((im) => im.state !== 'deregistered');
      }
      if (i.Owners)
        images = images.filter((im) => i.Owners!.some((o) => o === im.owner || (o === 'self' && im.owner === ACCOUNT)));
      images = images.filter((im) =>
        matches(i.Filters, (name) => {
          const field: Record<string, string[]> = {
            name: [im.name],
            architecture: [im.arch],
            state: [im.state ?? 'available'],
            'image-id': [im.id],
          };
          return tagFilter(name, im.tags ?? {}) ?? field[name];
        }),
      );
      return { Images: images.map((im) => this.describeImage(im)) };
    },
    CreateImage: (i: sdk.CreateImageCommandInput) => this.createImage(i),
    DeregisterImage: (i: sdk.DeregisterImageCommandInput) => {
      const im = this.images.find((x) => x.id === i.ImageId && x.state !== 'deregistered');
      if (!im) throw fakeError('InvalidAMIID.NotFound', `The image id '[${i.ImageId}]' does not exist`);
      if (im.owner !== ACCOUNT) throw fakeError('AuthFailure', `Not authorized for image:${im.id}`);
      im.state = 'deregistered';
      return { Return: true };
    },
    DeleteSnapshot: (i: sdk.DeleteSnapshotCommandInput) => {
      const snap = this.get(this.snapshots, i.SnapshotId, 'InvalidSnapshot.NotFound');
      const user = this.images.find(
        (im) => im.state !== 'deregistered' && im.disks?.some((d) => d.snapshotId === snap.id),
      );
      if (user) throw fakeError('InvalidSnapshot.InUse', `The snapshot ${snap.id} is currently in use by ${user.id}`);
      this.snapshots.delete(snap.id);
      return {};
    },
    DescribeSnapshots: (i: sdk.DescribeSnapshotsCommandInput) => {
      const own = !i.OwnerIds || i.OwnerIds.some((o) => o === 'self' || o === ACCOUNT);
      return {
        Snapshots: [...this.snapshots.values()]
          .filter(
            (x) =>
              own &&
              (!i.SnapshotIds || i.SnapshotIds.includes(x.id)) &&
              matches(i.Filters, (n) => tagFilter(n, x.tags) ?? (n === 'snapshot-id' ? [x.id] : undefined)),
          )
          .map((x) => ({
            SnapshotId: x.id,
            VolumeSize: x.sizeGiB,
            OwnerId: ACCOUNT,
            State: 'completed',
            Tags: tagList(x.tags),
          })),
      };
    },

    // ---- VPC-wide ----
    CreateVpc: (i: sdk.CreateVpcCommandInput) => {
      const vpc: Vpc = {
        id: this.id('vpc'),
        cidr: i.CidrBlock!,
        tags: tagsFor(i.TagSpecifications, 'vpc'),
        mainTable: this.id('rtb'),
        defaultGroup: this.id('sg'),
      };
      this.vpcs.set(vpc.id, vpc);
      this.tables.set(vpc.mainTable, {
        id: vpc.mainTable,
        vpcId: vpc.id,
        main: true,
        routes: [{ dest: vpc.cidr }],
        associations: [{ id: this.id('rtbassoc'), main: true }],
        tags: {},
      });
      this.groups.set(vpc.defaultGroup, {
        id: vpc.defaultGroup,
        name: 'default',
        vpcId: vpc.id,
        isDefault: true,
        ingress: [],
        tags: {},
      });
      return { Vpc: { VpcId: vpc.id, CidrBlock: vpc.cidr, State: 'available' } };
    },
    DescribeVpcs: (i: sdk.DescribeVpcsCommandInput) => ({
      Vpcs: [...this.vpcs.values()]
        .filter((v) => matches(i.Filters, (n) => tagFilter(n, v.tags) ?? (n === 'vpc-id' ? [v.id] : undefined)))
        .map((v) => ({ VpcId: v.id, CidrBlock: v.cidr, Tags: tagList(v.tags) })),
    }),
    DeleteVpc: (i: sdk.DeleteVpcCommandInput) => {
      const vpc = this.get(this.vpcs, i.VpcId, 'InvalidVpcID.NotFound');
      const inside = [
        ...[...this.subnets.values()].filter((s) => s.vpcId === vpc.id).map((s) => s.id),
        ...[...this.gateways.values()].filter((g) => g.vpcIds.includes(vpc.id)).map((g) => g.id),
        ...[...this.groups.values()].filter((g) => g.vpcId === vpc.id && !g.isDefault).map((g) => g.id),
        ...[...this.tables.values()].filter((t) => t.vpcId === vpc.id && !t.main).map((t) => t.id),
        ...[...this.enis.values()].filter((e) => e.vpcId === vpc.id).map((e) => e.id),
      ];
      if (inside.length)
        throw fakeError(
          'DependencyViolation',
          `The vpc '${vpc.id}' has dependencies and cannot be deleted (${inside.join(', ')}).`,
        );
      this.tables.delete(vpc.mainTable);
      this.groups.delete(vpc.defaultGroup);
      this.vpcs.delete(vpc.id);
      return {};
    },
    CreateInternetGateway: (i: sdk.CreateInternetGatewayCommandInput) => {
      const g: Gateway = { id: this.id('igw'), vpcIds: [], tags: tagsFor(i.TagSpecifications, 'internet-gateway') };
      this.gateways.set(g.id, g);
      return { InternetGateway: { InternetGatewayId: g.id } };
    },
    AttachInternetGateway: (i: sdk.AttachInternetGatewayCommandInput) => {
      const g = this.get(this.gateways, i.InternetGatewayId, 'InvalidInternetGatewayID.NotFound');
      const vpc = this.get(this.vpcs, i.VpcId, 'InvalidVpcID.NotFound');
      if (g.vpcIds.length) throw fakeError('Resource.AlreadyAssociated', `${g.id} is already attached`);
      if ([...this.gateways.values()].some((x) => x.vpcIds.includes(vpc.id)))
        throw fakeError('Resource.AlreadyAssociated', `${vpc.id} already has a gateway`);
      g.vpcIds.push(vpc.id);
      return {};
    },
    DetachInternetGateway: (i: sdk.DetachInternetGatewayCommandInput) => {
      const g = this.get(this.gateways, i.InternetGatewayId, 'InvalidInternetGatewayID.NotFound');
      if (!g.vpcIds.includes(String(i.VpcId)))
        throw fakeError('Gateway.NotAttached', `${g.id} is not attached to ${i.VpcId}`);
      const mapped = [...this.addresses.values()].filter(
        (a) => a.association && this.enis.get(a.association.eniId)?.vpcId === i.VpcId,
      );
      if (mapped.length)
        throw fakeError(
          'DependencyViolation',
          `Network ${i.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
        );
      g.vpcIds = g.vpcIds.filter((v) => v !== i.VpcId);
      return {};
    },
    DeleteInternetGateway: (i: sdk.DeleteInternetGatewayCommandInput) => {
      const g = this.get(this.gateways, i.InternetGatewayId, 'InvalidInternetGatewayID.NotFound');
      if (g.vpcIds.length)
        throw fakeError('DependencyViolation', `The internetGateway '${g.id}' has dependencies and cannot be deleted.`);
      this.gateways.delete(g.id);
      return {};
    },
    DescribeInternetGateways: (i: sdk.DescribeInternetGatewaysCommandInput) => ({
      InternetGateways: [...this.gateways.values()]
        .filter((g) =>
          matches(i.Filters, (n) => tagFilter(n, g.tags) ?? (n === 'attachment.vpc-id' ? g.vpcIds : undefined)),
        )
        .map((g) => ({
          InternetGatewayId: g.id,
          Attachments: g.vpcIds.map((VpcId) => ({ VpcId, State: 'available' })),
          Tags: tagList(g.tags),
        })),
    }),
    CreateRouteTable: (i: sdk.CreateRouteTableCommandInput) =>
      this.idempotent('CreateRouteTable', i, () => {
        const vpc = this.get(this.vpcs, i.VpcId, 'InvalidVpcID.NotFound');
        const t: RouteTable = {
          id: this.id('rtb'),
          vpcId: vpc.id,
          main: false,
          routes: [{ dest: vpc.cidr }],
          associations: [],
          tags: tagsFor(i.TagSpecifications, 'route-table'),
        };
        this.tables.set(t.id, t);
        return { answer: () => ({ RouteTable: { RouteTableId: t.id, VpcId: vpc.id }, ClientToken: i.ClientToken }) };
      }),
    CreateRoute: (i: sdk.CreateRouteCommandInput) => {
      const t = this.get(this.tables, i.RouteTableId, 'InvalidRouteTableID.NotFound');
      if (i.GatewayId) {
        const g = this.get(this.gateways, i.GatewayId, 'InvalidGatewayID.NotFound');
        if (!g.vpcIds.includes(t.vpcId))
          throw fakeError(
            'InvalidParameterValue',
            `route table ${t.id} and network gateway ${g.id} belong to different networks`,
          );
      }
      if (i.NetworkInterfaceId) {
        const e = this.get(this.enis, i.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound');
        if (e.vpcId !== t.vpcId)
          throw fakeError('InvalidParameterValue', 'interface and route table are in different VPCs');
      }
      if (t.routes.some((r) => r.dest === i.DestinationCidrBlock))
        throw fakeError('RouteAlreadyExists', `The route identified by ${i.DestinationCidrBlock} already exists.`);
      t.routes.push({ dest: i.DestinationCidrBlock!, gatewayId: i.GatewayId, eniId: i.NetworkInterfaceId });
      return { Return: true };
    },
    AssociateRouteTable: (i: sdk.AssociateRouteTableCommandInput) => {
      const t = this.get(this.tables, i.RouteTableId, 'InvalidRouteTableID.NotFound');
      const s = this.get(this.subnets, i.SubnetId, 'InvalidSubnetID.NotFound');
      if (s.vpcId !== t.vpcId) throw fakeError('InvalidParameterValue', 'subnet and route table are in different VPCs');
      if ([...this.tables.values()].some((x) => x.associations.some((a) => a.subnetId === s.id)))
        throw fakeError(
          'Resource.AlreadyAssociated',
          `the specified association for route table ${t.id} conflicts with an existing association`,
        );
      const id = this.id('rtbassoc');
      t.associations.push({ id, subnetId: s.id, main: false });
      return { AssociationId: id };
    },
    DisassociateRouteTable: (i: sdk.DisassociateRouteTableCommandInput) => {
      const t = [...this.tables.values()].find((x) => x.associations.some((a) => a.id === i.AssociationId));
      if (!t)
        throw fakeError('InvalidAssociationID.NotFound', `The association ID '${i.AssociationId}' does not exist`);
      if (t.associations.find((a) => a.id === i.AssociationId)!.main)
        throw fakeError('InvalidParameterValue', 'cannot disassociate the main route table association');
      t.associations = t.associations.filter((a) => a.id !== i.AssociationId);
      return {};
    },
    DeleteRouteTable: (i: sdk.DeleteRouteTableCommandInput) => {
      const t = this.get(this.tables, i.RouteTableId, 'InvalidRouteTableID.NotFound');
      if (t.main || t.associations.length)
        throw fakeError('DependencyViolation', `The routeTable '${t.id}' has dependencies and cannot be deleted.`);
      this.tables.delete(t.id);
      return {};
    },
    DescribeRouteTables: (i: sdk.DescribeRouteTablesCommandInput) => ({
      RouteTables: [...this.tables.values()]
        .filter((t) =>
          matches(
            i.Filters,
            (n) => tagFilter(n, t.tags) ?? (n === 'vpc-id' ? [t.vpcId] : n === 'route-table-id' ? [t.id] : undefined),
          ),
        )
        .map((t) => ({
          RouteTableId: t.id,
          VpcId: t.vpcId,
          Associations: t.associations.map((a) => ({
            RouteTableAssociationId: a.id,
            SubnetId: a.subnetId,
            Main: a.main,
          })),
          Routes: t.routes.map((r) => ({
            DestinationCidrBlock: r.dest,
            GatewayId: r.gatewayId ?? (r.eniId ? undefined : 'local'),
            NetworkInterfaceId: r.eniId,
          })),
          Tags: tagList(t.tags),
        })),
    }),
    CreateSecurityGroup: (i: sdk.CreateSecurityGroupCommandInput) => {
      const vpc = this.get(this.vpcs, i.VpcId, 'InvalidVpcID.NotFound');
      if (!/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/.test(i.Description ?? ''))
        throw fakeError('InvalidParameterValue', 'Character sets beyond ASCII are not supported.');
      if ([...this.groups.values()].some((g) => g.vpcId === vpc.id && g.name === i.GroupName))
        throw fakeError('InvalidGroup.Duplicate', `The security group '${i.GroupName}' already exists`);
      const g: Group = {
        id: this.id('sg'),
        name: i.GroupName!,
        vpcId: vpc.id,
        isDefault: false,
        ingress: [],
        tags: tagsFor(i.TagSpecifications, 'security-group'),
      };
      this.groups.set(g.id, g);
      return { GroupId: g.id };
    },
    AuthorizeSecurityGroupIngress: (i: sdk.AuthorizeSecurityGroupIngressCommandInput) => {
      const g = this.get(this.groups, i.GroupId, 'InvalidGroup.NotFound');
      for (const p of i.IpPermissions ?? [])
        for (const r of p.IpRanges ?? [])
          if (!/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/.test(r.Description ?? ''))
            throw fakeError('InvalidParameterValue', 'Invalid rule description');
      // One rule per protocol, port range and source: adding one that exists is refused as a whole.
      const ruleKeys = (p: sdk.IpPermission) =>
        (p.IpRanges ?? []).map((r) => `${p.IpProtocol}/${p.FromPort ?? ''}/${p.ToPort ?? ''}/${r.CidrIp}`);
      const existing = new Set((g.ingress as sdk.IpPermission[]).flatMap(ruleKeys));
      const duplicate = (i.IpPermissions ?? []).flatMap(ruleKeys).find((k) => existing.has(k));
      if (duplicate) throw fakeError('InvalidPermission.Duplicate', `the specified rule "${duplicate}" already exists`);
      g.ingress.push(...(i.IpPermissions ?? []));
      return { Return: true };
    },
    DeleteSecurityGroup: (i: sdk.DeleteSecurityGroupCommandInput) => {
      const g = this.get(this.groups, i.GroupId, 'InvalidGroup.NotFound');
      if (g.isDefault) throw fakeError('CannotDelete', 'the default security group cannot be deleted');
      if ([...this.enis.values()].some((e) => e.groups.includes(g.id)))
        throw fakeError('DependencyViolation', `resource ${g.id} has a dependent object`);
      this.groups.delete(g.id);
      return {};
    },
    DescribeSecurityGroups: (i: sdk.DescribeSecurityGroupsCommandInput) => ({
      SecurityGroups: [...this.groups.values()]
        .filter((g) =>
          matches(
            i.Filters,
            (n) => tagFilter(n, g.tags) ?? (n === 'vpc-id' ? [g.vpcId] : n === 'group-name' ? [g.name] : undefined),
          ),
        )
        .map((g) => ({ GroupId: g.id, GroupName: g.name, VpcId: g.vpcId, Tags: tagList(g.tags) })),
    }),
    AllocateAddress: (i: sdk.AllocateAddressCommandInput) => {
      const n = this.addresses.size + this.counter;
      const a: Address = {
        allocationId: this.id('eipalloc'),
        publicIp: `198.51.100.${(n % 250) + 2}`,
        tags: tagsFor(i.TagSpecifications, 'elastic-ip'),
      };
      this.addresses.set(a.allocationId, a);
      return { AllocationId: a.allocationId, PublicIp: a.publicIp, Domain: 'vpc' };
    },
    AssociateAddress: (i: sdk.AssociateAddressCommandInput) => {
      const a = this.get(this.addresses, i.AllocationId, 'InvalidAllocationID.NotFound');
      const e = this.get(this.enis, i.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound');
      if (![...this.gateways.values()].some((g) => g.vpcIds.includes(e.vpcId)))
        throw fakeError('Gateway.NotAttached', `Network ${e.vpcId} is not attached to any internet gateway`);
      if (i.PrivateIpAddress && i.PrivateIpAddress !== e.ip && !e.secondaryIps.includes(i.PrivateIpAddress))
        throw fakeError('InvalidParameterValue', `${i.PrivateIpAddress} is not an address of ${e.id}`);
      const privateIp = i.PrivateIpAddress ?? e.ip;
      // Idempotent by default (EC2's docs): the same association again (same interface, same private
      // address, primary or secondary) answers with the one that exists.
      if (a.association?.eniId === e.id && a.association.ip === privateIp) return { AssociationId: a.association.id };
      if (a.association) throw fakeError('Resource.AlreadyAssociated', `${a.allocationId} is already associated`);
      if ([...this.addresses.values()].some((x) => x.association?.eniId === e.id && x.association.ip === privateIp))
        throw fakeError('Resource.AlreadyAssociated', `${privateIp} of ${e.id} already has an elastic IP`);
      a.association = { id: this.id('eipassoc'), eniId: e.id, ip: privateIp };
      return { AssociationId: a.association.id };
    },
    DisassociateAddress: (i: sdk.DisassociateAddressCommandInput) => {
      const a = [...this.addresses.values()].find((x) => x.association?.id === i.AssociationId);
      if (!a)
        throw fakeError('InvalidAssociationID.NotFound', `The association ID '${i.AssociationId}' does not exist`);
      a.association = undefined;
      return {};
    },
    ReleaseAddress: (i: sdk.ReleaseAddressCommandInput) => {
      const a = this.get(this.addresses, i.AllocationId, 'InvalidAllocationID.NotFound');
      if (a.association) throw fakeError('InvalidIPAddress.InUse', 'Address is in use.');
      this.addresses.delete(a.allocationId);
      return {};
    },
    DescribeAddresses: (i: sdk.DescribeAddressesCommandInput) => ({
      Addresses: [...this.addresses.values()]
        .filter((a) =>
          matches(i.Filters, (n) => tagFilter(n, a.tags) ?? (n === 'allocation-id' ? [a.allocationId] : undefined)),
        )
        .map((a) => ({
          AllocationId: a.allocationId,
          PublicIp: a.publicIp,
          AssociationId: a.association?.id,
          NetworkInterfaceId: a.association?.eniId,
          PrivateIpAddress: a.association?.ip,
          Tags: tagList(a.tags),
        })),
    }),
    ImportKeyPair: (i: sdk.ImportKeyPairCommandInput) => {
      if ([...this.keyPairs.values()].some((k) => k.name === i.KeyName))
        throw fakeError('InvalidKeyPair.Duplicate', `The keypair '${i.KeyName}' already exists.`);
      const material = Buffer.from(i.PublicKeyMaterial ?? new Uint8Array()).toString('utf8');
      if (!/^ssh-(ed25519|rsa) /.test(material))
        throw fakeError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
      const k: KeyPair = { id: this.id('key'), name: i.KeyName!, tags: tagsFor(i.TagSpecifications, 'key-pair') };
      this.keyPairs.set(k.id, k);
      return { KeyPairId: k.id, KeyName: k.name };
    },
    DeleteKeyPair: (i: sdk.DeleteKeyPairCommandInput) => {
      const k = i.KeyPairId
        ? this.get(this.keyPairs, i.KeyPairId, 'InvalidKeyPair.NotFound')
        : [...this.keyPairs.values()].find((x) => x.name === i.KeyName);
      if (k) this.keyPairs.delete(k.id);
      return { Return: true };
    },
    DescribeKeyPairs: (i: sdk.DescribeKeyPairsCommandInput) => ({
      KeyPairs: [...this.keyPairs.values()]
        .filter((k) => matches(i.Filters, (n) => tagFilter(n, k.tags) ?? (n === 'key-name' ? [k.name] : undefined)))
        .map((k) => ({ KeyPairId: k.id, KeyName: k.name, Tags: tagList(k.tags) })),
    }),

    // ---- zone-bound ----
    CreateSubnet: (i: sdk.CreateSubnetCommandInput) => {
      const vpc = this.get(this.vpcs, i.VpcId, 'InvalidVpcID.NotFound');
      if (!this.zones.includes(String(i.AvailabilityZone)))
        throw fakeError(
          'InvalidParameterValue',
          `Value (${i.AvailabilityZone}) for parameter availabilityZone is invalid.`,
        );
      const c = parseCidr(String(i.CidrBlock));
      if (!c || !cidrContains(vpc.cidr, c.network))
        throw fakeError('InvalidSubnet.Range', `The CIDR '${i.CidrBlock}' is invalid.`);
      if (
        [...this.subnets.values()].some(
          (s) =>
            s.vpcId === vpc.id &&
            (cidrContains(s.cidr, c.network) || cidrContains(String(i.CidrBlock), parseCidr(s.cidr)!.network)),
        )
      )
        throw fakeError('InvalidSubnet.Conflict', `The CIDR '${i.CidrBlock}' conflicts with another subnet`);
      const s: Subnet = {
        id: this.id('subnet'),
        vpcId: vpc.id,
        cidr: String(i.CidrBlock),
        zone: String(i.AvailabilityZone),
        tags: tagsFor(i.TagSpecifications, 'subnet'),
      };
      this.subnets.set(s.id, s);
      return { Subnet: { SubnetId: s.id, VpcId: vpc.id, CidrBlock: s.cidr, AvailabilityZone: s.zone } };
    },
    DeleteSubnet: (i: sdk.DeleteSubnetCommandInput) => {
      const s = this.get(this.subnets, i.SubnetId, 'InvalidSubnetID.NotFound');
      if ([...this.enis.values()].some((e) => e.subnetId === s.id))
        throw fakeError('DependencyViolation', `The subnet '${s.id}' has dependencies and cannot be deleted.`);
      for (const t of this.tables.values()) t.associations = t.associations.filter((a) => a.subnetId !== s.id);
      this.subnets.delete(s.id);
      return {};
    },
    DescribeSubnets: (i: sdk.DescribeSubnetsCommandInput) => ({
      Subnets: [...this.subnets.values()]
        .filter((s) =>
          matches(
            i.Filters,
            (n) =>
              tagFilter(n, s.tags) ?? (n === 'vpc-id' ? [s.vpcId] : n === 'availability-zone' ? [s.zone] : undefined),
          ),
        )
        .map((s) => ({
          SubnetId: s.id,
          VpcId: s.vpcId,
          CidrBlock: s.cidr,
          AvailabilityZone: s.zone,
          Tags: tagList(s.tags),
        })),
    }),
    CreateNetworkInterface: (i: sdk.CreateNetworkInterfaceCommandInput) =>
      this.idempotent('CreateNetworkInterface', i, () => this.createNetworkInterface(i)),
    ModifyNetworkInterfaceAttribute: (i: sdk.ModifyNetworkInterfaceAttributeCommandInput) => {
      const e = this.get(this.enis, i.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound');
      if (i.SourceDestCheck) e.sourceDestCheck = i.SourceDestCheck.Value ?? true;
      if (i.Attachment) {
        if (!e.attachment || e.attachment.id !== i.Attachment.AttachmentId)
          throw fakeError('InvalidAttachmentID.NotFound', `attachment ${i.Attachment.AttachmentId} not found`);
        e.attachment.deleteOnTermination = i.Attachment.DeleteOnTermination ?? false;
      }
      return {};
    },
    AssignPrivateIpAddresses: (i: sdk.AssignPrivateIpAddressesCommandInput) => {
      const e = this.get(this.enis, i.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound');
      const s = this.get(this.subnets, e.subnetId, 'InvalidSubnetID.NotFound');
      const given = i.PrivateIpAddresses ?? [];
      if (given.length && i.SecondaryPrivateIpAddressCount)
        throw fakeError('InvalidParameterCombination', 'PrivateIpAddresses and SecondaryPrivateIpAddressCount');
      this.checkAssignable(s, given);
      const added = [...given, ...this.freeAddresses(s, i.SecondaryPrivateIpAddressCount ?? 0, [])];
      const limit = e.attachment
        ? this.types[this.instances.get(e.attachment.instanceId)!.type]?.ipv4PerEni
        : undefined;
      if (limit !== undefined && 1 + e.secondaryIps.length + added.length > limit)
        throw fakeError('PrivateIpAddressLimitExceeded', `Number of private addresses will exceed limit of ${limit}.`);
      e.secondaryIps.push(...added);
      return {
        NetworkInterfaceId: e.id,
        AssignedPrivateIpAddresses: added.map((PrivateIpAddress) => ({ PrivateIpAddress })),
      };
    },
    UnassignPrivateIpAddresses: (i: sdk.UnassignPrivateIpAddressesCommandInput) => {
      const e = this.get(this.enis, i.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound');
      for (const ip of i.PrivateIpAddresses ?? []) {
        if (ip === e.ip) throw fakeError('InvalidParameterValue', `${ip} is the primary private address of ${e.id}`);
        if (!e.secondaryIps.includes(ip))
          throw fakeError(
            'InvalidParameterValue',
            `Some of the specified addresses are not assigned to interface ${e.id}`,
          );
      }
      e.secondaryIps = e.secondaryIps.filter((ip) => !(i.PrivateIpAddresses ?? []).includes(ip));
      // As on EC2: an elastic IP on an unassigned address is disassociated.
      for (const a of this.addresses.values())
        if (a.association?.eniId === e.id && (i.PrivateIpAddresses ?? []).includes(a.association.ip))
          a.association = undefined;
      return {};
    },
    DeleteNetworkInterface: (i: sdk.DeleteNetworkInterfaceCommandInput) => {
      const e = this.get(this.enis, i.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound');
      if (e.attachment)
        throw fakeError('InvalidNetworkInterface.InUse', `Network interface '${e.id}' is currently in use.`);
      this.removeEni(e.id);
      return {};
    },
    DescribeNetworkInterfaces: (i: sdk.DescribeNetworkInterfacesCommandInput) => ({
      NetworkInterfaces: [...this.enis.values()]
        .filter((e) =>
          matches(
            i.Filters,
            (n) =>
              tagFilter(n, e.tags) ?? (n === 'vpc-id' ? [e.vpcId] : n === 'network-interface-id' ? [e.id] : undefined),
          ),
        )
        .map((e) => ({
          NetworkInterfaceId: e.id,
          MacAddress: e.mac,
          PrivateIpAddress: e.ip,
          PrivateIpAddresses: this.privateAddresses(e),
          SubnetId: e.subnetId,
          VpcId: e.vpcId,
          SourceDestCheck: e.sourceDestCheck,
          Status: e.attachment ? 'in-use' : 'available',
          Groups: e.groups.map((GroupId) => ({ GroupId })),
          Attachment: e.attachment && {
            AttachmentId: e.attachment.id,
            InstanceId: e.attachment.instanceId,
            DeviceIndex: e.attachment.deviceIndex,
            DeleteOnTermination: e.attachment.deleteOnTermination,
          },
          TagSet: tagList(e.tags),
        })),
    }),
    RunInstances: (i: sdk.RunInstancesCommandInput) => this.idempotent('RunInstances', i, () => this.runInstances(i)),
    DescribeInstances: (i: sdk.DescribeInstancesCommandInput) => {
      const list = [...this.instances.values()].filter(
        (x) =>
          matches(
            i.Filters,
            (n) =>
              tagFilter(n, x.tags) ??
              (n === 'instance-id'
                ? [x.id]
                : n === 'instance-state-name'
                  ? [x.state]
                  : n === 'vpc-id'
                    ? x.enis.map((e) => this.enis.get(e)?.vpcId ?? '')
                    : undefined),
          ) &&
          (!i.InstanceIds || i.InstanceIds.includes(x.id)),
      );
      return { Reservations: list.length ? [{ Instances: list.map((x) => this.describeInstance(x)) }] : [] };
    },
    // AWS keeps the serial console's last 64 KB per instance (base64); an instance that has not
    // written anything yet has no Output at all.
    GetConsoleOutput: (i: sdk.GetConsoleOutputCommandInput) => {
      const x = this.get(this.instances, i.InstanceId ?? '', 'InvalidInstanceID.NotFound');
      // Only Nitro types keep a live buffer; the Xen generations refuse Latest.
      if (i.Latest && /^(t2|m4|c4|r4)\./.test(x.type))
        throw fakeError('UnsupportedOperation', 'Latest console output is not supported for this instance type.');
      const text = this.consoleText.get(x.id);
      return {
        InstanceId: x.id,
        Timestamp: new Date(this.clock.now()),
        ...(text === undefined ? {} : { Output: Buffer.from(text, 'utf8').toString('base64') }),
      };
    },
    TerminateInstances: (i: sdk.TerminateInstancesCommandInput) => {
      const list = (i.InstanceIds ?? []).map((id) => this.get(this.instances, id, 'InvalidInstanceID.NotFound'));
      for (const x of list) {
        if (x.state === 'terminated' || x.state === 'shutting-down') continue;
        x.state = 'shutting-down';
        x.terminatedAt = this.clock.now() + this.terminateMs;
      }
      this.advance();
      return { TerminatingInstances: list.map((x) => ({ InstanceId: x.id, CurrentState: { Name: x.state } })) };
    },
  };

  // ---- IAM ----

  /**
   * What IAM checks for a call, resource by resource, as EC2 authorises it: the resources it creates
   * (their ARN, the tags requested for them: aws:RequestTag/*, and per type ec2:MetadataHttpTokens,
   * ec2:InstanceType, ec2:Encrypted), the existing resources it names (aws:ResourceTag/*), and
   * ec2:CreateTags for every resource tagged at creation (ec2:CreateAction). A named resource that
   * does not exist is left out: EC2 answers NotFound for it.
   */
  checksFor(op: string, i: Record<string, unknown>): Check[] {
    const region = 'us-east-1';
    // Images and snapshots are the two EC2 resource types whose ARN names no account.
    const arn = (type: string, id: string) =>
      type === 'image' || type === 'snapshot'
        ? `arn:aws:ec2:${region}::${type}/${id}`
        : `arn:aws:ec2:${region}:${ACCOUNT}:${type}/${id}`;
    const base = { 'aws:RequestedRegion': region };
    const checks: Check[] = [];
    const existing = (type: string, id: unknown, tags: Tags | undefined) => {
      if (tags === undefined && type !== 'image') return;
      const context: Check['context'] = { ...base };
      for (const [k, v] of Object.entries(tags ?? {})) context[`aws:ResourceTag/${k}`] = v;
      checks.push({ action: `ec2:${op}`, arn: arn(type, String(id)), context });
    };
    const created = (type: string, extra: Check['context'] = {}) => {
      const tags = tagsFor(i.TagSpecifications as TagSpecification[] | undefined, type);
      const context: Check['context'] = { ...base, ...extra };
      for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
      checks.push({ action: `ec2:${op}`, arn: arn(type, 'new'), context });
      if (Object.keys(tags).length > 0)
        checks.push({
          action: 'ec2:CreateTags',
          arn: arn(type, 'new'),
          context: { ...context, 'ec2:CreateAction': op },
        });
    };
    const vpc = (id: unknown) => existing('vpc', id, this.vpcs.get(String(id))?.tags);
    const subnet = (id: unknown) => existing('subnet', id, this.subnets.get(String(id))?.tags);
    const group = (id: unknown) => existing('security-group', id, this.groups.get(String(id))?.tags);
    const eni = (id: unknown) => existing('network-interface', id, this.enis.get(String(id))?.tags);
    const table = (id: unknown) => existing('route-table', id, this.tables.get(String(id))?.tags);
    const gateway = (id: unknown) => existing('internet-gateway', id, this.gateways.get(String(id))?.tags);
    const address = (id: unknown) => existing('elastic-ip', id, this.addresses.get(String(id))?.tags);
    const instance = (id: unknown) => existing('instance', id, this.instances.get(String(id))?.tags);
    const key = (k: KeyPair | undefined) => k && existing('key-pair', k.id, k.tags);
    if (op.startsWith('Describe')) return [{ action: `ec2:${op}`, arn: '*', context: base }];
    switch (op) {
      case 'CreateVpc':
        created('vpc');
        break;
      case 'CreateInternetGateway':
        created('internet-gateway');
        break;
      case 'AllocateAddress':
        created('elastic-ip');
        break;
      case 'ImportKeyPair':
        created('key-pair');
        break;
      case 'CreateSubnet':
        created('subnet');
        vpc(i.VpcId);
        break;
      case 'CreateRouteTable':
        created('route-table');
        vpc(i.VpcId);
        break;
      case 'CreateSecurityGroup':
        created('security-group');
        vpc(i.VpcId);
        break;
      case 'AuthorizeSecurityGroupIngress':
        group(i.GroupId);
        if (i.TagSpecifications) created('security-group-rule');
        break;
      case 'CreateNetworkInterface':
        created('network-interface');
        subnet(i.SubnetId);
        for (const g of (i.Groups as string[] | undefined) ?? []) group(g);
        break;
      case 'RunInstances': {
        const tokens = (i.MetadataOptions as { HttpTokens?: string } | undefined)?.HttpTokens;
        created('instance', {
          'ec2:InstanceType': String(i.InstanceType),
          ...(tokens ? { 'ec2:MetadataHttpTokens': tokens } : {}),
        });
        for (const m of (i.BlockDeviceMappings as sdk.BlockDeviceMapping[] | undefined) ?? [{}]) {
          const encrypted = m.Ebs?.Encrypted;
          created('volume', encrypted === undefined ? {} : { 'ec2:Encrypted': String(encrypted) });
        }
        if ((i.InstanceMarketOptions as { MarketType?: string } | undefined)?.MarketType === 'spot')
          created('spot-instances-request');
        existing('image', i.ImageId, undefined);
        for (const n of (i.NetworkInterfaces as sdk.InstanceNetworkInterfaceSpecification[] | undefined) ?? [])
          eni(n.NetworkInterfaceId);
        key([...this.keyPairs.values()].find((k) => k.name === i.KeyName));
        break;
      }
      case 'AttachInternetGateway':
      case 'DetachInternetGateway':
        gateway(i.InternetGatewayId);
        vpc(i.VpcId);
        break;
      case 'CreateRoute':
        table(i.RouteTableId);
        break;
      case 'AssociateRouteTable':
        table(i.RouteTableId);
        subnet(i.SubnetId);
        break;
      case 'DisassociateRouteTable': {
        const t = [...this.tables.values()].find((x) => x.associations.some((a) => a.id === i.AssociationId));
        if (t) {
          table(t.id);
          subnet(t.associations.find((a) => a.id === i.AssociationId)?.subnetId);
        }
        break;
      }
      case 'AssociateAddress':
        address(i.AllocationId);
        eni(i.NetworkInterfaceId);
        break;
      case 'DisassociateAddress':
        address([...this.addresses.values()].find((a) => a.association?.id === i.AssociationId)?.allocationId);
        break;
      case 'ReleaseAddress':
        address(i.AllocationId);
        break;
      case 'ModifyNetworkInterfaceAttribute':
      case 'DeleteNetworkInterface':
        eni(i.NetworkInterfaceId);
        break;
      case 'DeleteSubnet':
        subnet(i.SubnetId);
        break;
      case 'DeleteSecurityGroup':
        group(i.GroupId);
        break;
      case 'DeleteRouteTable':
        table(i.RouteTableId);
        break;
      case 'DeleteInternetGateway':
        gateway(i.InternetGatewayId);
        break;
      case 'DeleteVpc':
        vpc(i.VpcId);
        break;
      case 'DeleteKeyPair':
        key(
          i.KeyPairId
            ? this.keyPairs.get(String(i.KeyPairId))
            : [...this.keyPairs.values()].find((k) => k.name === i.KeyName),
        );
        break;
      case 'TerminateInstances':
        for (const id of (i.InstanceIds as string[] | undefined) ?? []) instance(id);
        break;
      case 'GetConsoleOutput':
        instance(i.InstanceId);
        break;
      case 'CreateImage':
        instance(i.InstanceId);
        created('image');
        created('snapshot');
        break;
      case 'DeregisterImage': {
        const im = this.images.find((x) => x.id === i.ImageId && x.state !== 'deregistered');
        if (im) existing('image', im.id, im.tags ?? {});
        break;
      }
      case 'DeleteSnapshot':
        existing('snapshot', i.SnapshotId, this.snapshots.get(String(i.SnapshotId))?.tags);
        break;
      default:
        throw new Error(`the fake EC2 does not know how IAM authorises ${op}`);
    }
    return checks;
  }

  private createNetworkInterface(i: sdk.CreateNetworkInterfaceCommandInput) {
    const s = this.get(this.subnets, i.SubnetId, 'InvalidSubnetID.NotFound');
    const listed = i.PrivateIpAddresses ?? [];
    const primaries = listed.filter((p) => p.Primary);
    if (primaries.length > 1) throw fakeError('InvalidParameterValue', 'only one primary private IP address');
    if (i.PrivateIpAddress && primaries.length && primaries[0].PrivateIpAddress !== i.PrivateIpAddress)
      throw fakeError('InvalidParameterCombination', 'PrivateIpAddress and the primary of PrivateIpAddresses differ');
    if (listed.length && i.SecondaryPrivateIpAddressCount)
      throw fakeError('InvalidParameterCombination', 'PrivateIpAddresses and SecondaryPrivateIpAddressCount');
    const ip =
      i.PrivateIpAddress ??
      primaries[0]?.PrivateIpAddress ??
      intToIp(ipToInt(parseCidr(s.cidr)!.network) + 100 + this.enis.size);
    const secondary = listed.filter((p) => !p.Primary).map((p) => p.PrivateIpAddress!);
    this.checkAssignable(s, [ip, ...secondary]);
    secondary.push(...this.freeAddresses(s, i.SecondaryPrivateIpAddressCount ?? 0, [ip]));
    for (const g of i.Groups ?? [])
      if (this.get(this.groups, g, 'InvalidGroup.NotFound').vpcId !== s.vpcId)
        throw fakeError('InvalidParameterValue', 'group in another VPC');
    const n = ++this.counter;
    const e: Eni = {
      id: this.id('eni'),
      subnetId: s.id,
      vpcId: s.vpcId,
      zone: s.zone,
      ip,
      secondaryIps: secondary,
      groups: [...(i.Groups ?? [])],
      mac: `0e:${[n >> 24, n >> 16, n >> 8, n, 0x5a].map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(':')}`,
      sourceDestCheck: true,
      tags: tagsFor(i.TagSpecifications, 'network-interface'),
    };
    this.enis.set(e.id, e);
    return {
      answer: () => ({
        NetworkInterface: {
          NetworkInterfaceId: e.id,
          MacAddress: e.mac,
          PrivateIpAddress: ip,
          PrivateIpAddresses: this.privateAddresses(e),
          SubnetId: s.id,
          Status: this.enis.get(e.id)?.attachment ? 'in-use' : 'available',
        },
        ClientToken: i.ClientToken,
      }),
    };
  }

  private createImage(i: sdk.CreateImageCommandInput) {
    const x = this.get(this.instances, i.InstanceId, 'InvalidInstanceID.NotFound');
    if (x.state !== 'running' && x.state !== 'stopped')
      throw fakeError('IncorrectInstanceState', `The instance '${x.id}' is not in the 'running' or 'stopped' state.`);
    const name = String(i.Name ?? '');
    if (!AMI_NAME.test(name))
      throw fakeError(
        'InvalidAMIName.Malformed',
        `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '[', ']', ' ', '.', '/', '-', ''', '@' and '_': ${name}`,
      );
    const taken = this.images.find((im) => im.owner === ACCOUNT && im.state !== 'deregistered' && im.name === name);
    if (taken) throw fakeError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${taken.id}`);
    const other = (i.TagSpecifications ?? []).find((t) => t.ResourceType !== 'image' && t.ResourceType !== 'snapshot');
    if (other)
      throw fakeError('InvalidParameterValue', `CreateImage tags only image and snapshot, not ${other.ResourceType}`);
    // Every EBS volume of the instance becomes a snapshot, tagged as the snapshot TagSpecification says.
    const disks = (x.input.BlockDeviceMappings ?? [])
      .filter((m) => m.Ebs)
      .map((m) => {
        const snap: Snapshot = {
          id: this.id('snap'),
          sizeGiB: m.Ebs?.VolumeSize ?? 8,
          tags: tagsFor(i.TagSpecifications, 'snapshot'),
        };
        this.snapshots.set(snap.id, snap);
        return { device: String(m.DeviceName), snapshotId: snap.id, sizeGiB: snap.sizeGiB };
      });
    const source = this.images.find((im) => im.id === x.imageId);
    const image: Image = {
      id: this.id('ami'),
      owner: ACCOUNT,
      name,
      created: new Date(this.clock.now()).toISOString(),
      arch: source?.arch ?? 'x86_64',
      root: source?.root ?? '/dev/sda1',
      state: 'pending',
      availableAt: this.clock.now() + this.imageMs,
      tags: tagsFor(i.TagSpecifications, 'image'),
      disks,
    };
    this.images.push(image);
    return { ImageId: image.id };
  }

  private describeImage(im: Image): sdk.Image {
    return {
      ImageId: im.id,
      Name: im.name,
      OwnerId: im.owner,
      CreationDate: im.created,
      RootDeviceName: im.root,
      State: im.state ?? 'available',
      ...(im.state === 'failed' ? { StateReason: { Code: 'Client.InternalError', Message: 'snapshot failed' } } : {}),
      Architecture: im.arch as sdk.ArchitectureValues,
      Tags: tagList(im.tags ?? {}),
      BlockDeviceMappings: (im.disks ?? []).map((d) => ({
        DeviceName: d.device,
        Ebs: { SnapshotId: d.snapshotId, VolumeSize: d.sizeGiB, VolumeType: 'gp3', Encrypted: true },
      })),
    };
  }

  private runInstances(i: sdk.RunInstancesCommandInput) {
    const image = this.images.find((im) => im.id === i.ImageId);
    if (!image) throw fakeError('InvalidAMIID.NotFound', `The image id '[${i.ImageId}]' does not exist`);
    if ((image.state ?? 'available') !== 'available')
      throw fakeError(
        'InvalidAMIID.Unavailable',
        `The image '${image.id}' is ${image.state}: a deregistered or transitional image cannot be launched`,
      );
    for (const d of image.disks ?? []) {
      const size = i.BlockDeviceMappings?.find((m) => m.DeviceName === d.device)?.Ebs?.VolumeSize;
      if (size !== undefined && size < d.sizeGiB)
        throw fakeError(
          'InvalidBlockDeviceMapping',
          `Volume of size ${size}GB is smaller than snapshot '${d.snapshotId}', expect size >= ${d.sizeGiB}GB`,
        );
    }
    const type = this.types[String(i.InstanceType)];
    if (!type) throw fakeError('InvalidParameterValue', `Invalid value '${i.InstanceType}' for InstanceType.`);
    if (i.KeyName && ![...this.keyPairs.values()].some((k) => k.name === i.KeyName))
      throw fakeError('InvalidKeyPair.NotFound', `The key pair '${i.KeyName}' does not exist`);
    const enis = (i.NetworkInterfaces ?? []).map((n) => {
      const e = this.get(this.enis, n.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound');
      if (e.attachment) throw fakeError('InvalidNetworkInterface.InUse', `Interface: [${e.id}] in use.`);
      return { e, deviceIndex: n.DeviceIndex ?? 0 };
    });
    if (enis.length === 0)
      throw fakeError('MissingParameter', 'this fake launches only with explicit network interfaces');
    if (enis.length > type.maxNics)
      throw fakeError('InvalidParameterValue', `${i.InstanceType} supports at most ${type.maxNics} network interfaces`);
    const limit = type.ipv4PerEni ?? 15;
    const crowded = enis.find((x) => 1 + x.e.secondaryIps.length > limit);
    if (crowded)
      throw fakeError(
        'PrivateIpAddressLimitExceeded',
        `${crowded.e.id} has ${1 + crowded.e.secondaryIps.length} private addresses; ${i.InstanceType} allows ${limit} per interface`,
      );
    const zone = enis[0].e.zone;
    if (enis.some((x) => x.e.zone !== zone))
      throw fakeError('InvalidParameterValue', 'network interfaces in different availability zones');
    const market = i.InstanceMarketOptions?.MarketType === 'spot' ? 'spot' : 'on-demand';
    const refusal = this.capacity.find(
      (r) =>
        (!r.zone || r.zone === zone) && (!r.type || r.type === i.InstanceType) && (!r.market || r.market === market),
    );
    if (refusal)
      throw fakeError(
        refusal.code,
        `We currently do not have sufficient ${i.InstanceType} capacity in the Availability Zone you requested (${zone}).`,
      );
    const inst: Instance = {
      id: this.id('i'),
      type: String(i.InstanceType),
      imageId: String(i.ImageId),
      zone,
      state: 'pending',
      runningAt: this.clock.now() + this.bootMs,
      market,
      enis: enis.map((x) => x.e.id),
      tags: tagsFor(i.TagSpecifications, 'instance'),
      input: i,
      clientToken: i.ClientToken,
    };
    for (const { e, deviceIndex } of enis)
      e.attachment = { id: this.id('eni-attach'), instanceId: inst.id, deviceIndex, deleteOnTermination: false };
    this.instances.set(inst.id, inst);
    return { answer: () => ({ Instances: [this.describeInstance(inst)] }) };
  }

  private describeInstance(x: Instance): sdk.Instance {
    return {
      InstanceId: x.id,
      InstanceType: x.type as sdk._InstanceType,
      ImageId: x.imageId,
      State: { Name: x.state as sdk.InstanceStateName },
      Placement: { AvailabilityZone: x.zone },
      InstanceLifecycle: x.market === 'spot' ? 'spot' : undefined,
      Tags: tagList(x.tags),
      NetworkInterfaces: x.enis.flatMap((id) => {
        const e = this.enis.get(id);
        if (!e?.attachment || e.attachment.instanceId !== x.id) return [];
        return [
          {
            NetworkInterfaceId: e.id,
            MacAddress: e.mac,
            PrivateIpAddress: e.ip,
            Attachment: {
              AttachmentId: e.attachment.id,
              DeviceIndex: e.attachment.deviceIndex,
              DeleteOnTermination: e.attachment.deleteOnTermination,
            },
          },
        ];
      }),
    };
  }
}

/** The list each Describe call answers with. */
const DESCRIBED: Record<string, string> = {
  DescribeVpcs: 'Vpcs',
  DescribeSubnets: 'Subnets',
  DescribeSecurityGroups: 'SecurityGroups',
  DescribeKeyPairs: 'KeyPairs',
  DescribeAddresses: 'Addresses',
  DescribeInternetGateways: 'InternetGateways',
  DescribeInstances: 'Reservations',
  DescribeNetworkInterfaces: 'NetworkInterfaces',
  DescribeRouteTables: 'RouteTables',
  DescribeImages: 'Images',
  DescribeSnapshots: 'Snapshots',
};

export function fakeError(code: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

function tagsFor(specs: TagSpecification[] | undefined, type: string): Tags {
  const spec = specs?.find((s) => s.ResourceType === type);
  return Object.fromEntries((spec?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

function tagList(tags: Tags): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function tagFilter(name: string, tags: Tags): string[] | undefined {
  if (name.startsWith('tag:')) {
    const v = tags[name.slice(4)];
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return Object.keys(tags);
  return undefined;
}

/** EC2 filter semantics: every filter must match; a filter matches when any value matches (with * wildcards). */
function matches(filters: Filter[] | undefined, field: (name: string) => string[] | undefined): boolean {
  return (filters ?? []).every((f) => {
    const values = field(f.Name ?? '');
    if (values === undefined)
      throw fakeError('InvalidParameterValue', `The filter '${f.Name}' is invalid (not modelled by the fake)`);
    return (f.Values ?? []).some((pattern) => {
      const re = new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
      return values.some((v) => re.test(v));
    });
  });
}
