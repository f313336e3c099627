// Raw inputs → Settings: the defaults, codename aliases, warnings, and the one clear error (input, value,
// what is accepted) every bad or contradicting input gets before anything is created.
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../src/core/errors';
import { parseDuration } from '../../src/settings/inputs';
import { Inputs, InputName } from '../../src/core/names';
import { settingsFrom, testContext } from '../helpers/inputs';
import { memoryIo } from '../helpers/memory-io';
import { runMain } from '../../src/pipeline/pipeline';
import { declaredDefault, inputDocs } from '../../src/core/input-docs';
import { OPERATING_SYSTEMS, packageSource, RELEASES } from '../../src/settings/matrix';

/** Asserts the one message names the input, the value and what is accepted. */
function expectInputError(
  values: Partial<Record<InputName, string>>,
  input: InputName,
  value: string,
  accepted: RegExp,
) {
  let caught: unknown;
  try {
    settingsFrom(values);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(err.input).toBe(input);
  expect(err.value).toBe(value);
  expect(err.message).toContain(`'${input}'`);
  expect(err.message).toContain(`'${value}'`);
  expect(err.message).toMatch(/Accepted: /);
  expect(err.accepted).toMatch(accepted);
}

describe('defaults', () => {
  it('gives a complete, valid Settings from no inputs', () => {
    const s = settingsFrom({});
    expect(s.mode).toBe('up');
    expect(s.provider).toBe('aws');
    expect(s.release.id).toBe('2026.1');
    expect(s.os.id).toBe('ubuntu-26.04');
    expect(s.topology).toBe('minimal');
    expect(s.computeCount).toBe(1);
    expect(s.networkDriver).toBe('openvswitch'); // Gazpacho has no Linux bridge driver
    expect(s.teardown).toBe('always');
    expect(s.lifetimeMinutes).toBe(180);
    expect(s.pingTarget).toBe('8.8.8.8');
    expect(s.allowedCidrs).toEqual([]);
    expect(s.stackId).toMatch(/^gh-1234567-2-[0-9a-f]{4}$/);
    expect(s.smoke).toBe(true);
    expect(s.spot).toBe(false);
    expect(s.tempest).toBe('none');
  });

  it("defaults to the newest LTS with its own archive's release, as action.yml declares it, proven end to end", () => {
    const s = settingsFrom({});
    expect([declaredDefault(Inputs.Os), declaredDefault(Inputs.Release)]).toEqual([s.os.id, s.release.id]);
    expect(packageSource({ ...s, driver: s.networkDriver })).toBe('distro');
    const ltsWithOwnRelease = OPERATING_SYSTEMS.filter(
      (o) => o.family === 'ubuntu' && RELEASES.some((r) => o.releases[r.id] === 'distro'),
    ).at(-1)!;
    expect(s.os.id).toBe(ltsWithOwnRelease.id);
    const proven = JSON.parse(fs.readFileSync(path.join(__dirname, '../../scripts/e2e-proven.json'), 'utf8')) as Array<{
      os: string;
      release: string;
      networkDriver: string;
    }>;
    expect(proven).toContainEqual(
      expect.objectContaining({ os: s.os.id, release: s.release.id, networkDriver: s.networkDriver }),
    );
  });

  it('defaults OS and release to what the local provider can run', () => {
    const s = settingsFrom({ provider: 'local', 'image-url': 'file:///x.img' });
    expect([s.os.id, s.release.id]).toEqual(['debian-12', 'zed']);
  });

  it('accepts a one-letter stack id', () => expect(settingsFrom({ 'stack-id': 'a' }).stackId).toBe('a'));

  it('gives the entries of one matrix run different default stack ids, and the same entry the same id', () => {
    const a = settingsFrom({ os: 'ubuntu-24.04' }).stackId;
    const b = settingsFrom({ os: 'rocky-9', release: '2025.1' }).stackId;
    expect(a).not.toBe(b);
    expect(settingsFrom({ os: 'ubuntu-24.04' }).stackId).toBe(a);
    const long = settingsFrom({}, { runId: '123456789012345678', runAttempt: '3', env: {} }).stackId;
    expect(long).toMatch(/^gh-[0-9a-f]{12}$/);
  });

  it('accepts codenames as aliases and picks openvswitch where linuxbridge is gone', () => {
    expect(settingsFrom({ release: 'caracal', os: 'ubuntu-24.04' }).release.id).toBe('2024.1');
    expect(settingsFrom({ release: 'Dalmatian', os: 'ubuntu-24.04' }).release.id).toBe('2024.2');
    expect(settingsFrom({ release: 'Gazpacho' }).release.id).toBe('2026.1');
    expect(settingsFrom({ release: 'hibiscus' }).release.id).toBe('2026.2');
    const epoxy = settingsFrom({ release: 'epoxy', os: 'ubuntu-24.04' });
    expect(epoxy.release.id).toBe('2025.1');
    expect(epoxy.networkDriver).toBe('openvswitch');
  });

  it("accepts the seeds' own combination", () => {
    const s = settingsFrom({ release: 'rocky', os: 'centos-7', 'network-driver': 'linuxbridge' });
    expect(s.os.legacy).toBeTruthy();
  });

  it('reads region from the environment when the input is empty', () => {
    expect(settingsFrom({}, { ...testContext, env: { AWS_REGION: 'eu-west-3' } }).region).toBe('eu-west-3');
  });

  it('honours the SDK standard endpoint variable', () => {
    const s = settingsFrom({}, { ...testContext, env: { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:4566' } });
    expect(s.ec2Endpoint).toBe('http://127.0.0.1:4566');
  });

  it('swaps the public ping default for the emulated internet host with provider local', () => {
    expect(
      settingsFrom({ provider: 'local', os: 'debian-12', release: 'zed', 'image-url': 'file:///var/tmp/disk.img' })
        .pingTarget,
    ).toBe('203.0.113.10');
  });
});

describe('every bad input fails with a message naming input, value and what is accepted', () => {
  it('unknown release', () => expectInputError({ release: 'zebra' }, Inputs.Release, 'zebra', /2024\.1 \(caracal\)/));
  it('unknown OS', () => expectInputError({ os: 'windows-11' }, Inputs.Os, 'windows-11', /ubuntu-24\.04/));
  it('release the OS does not ship', () =>
    expectInputError({ release: 'yoga', os: 'ubuntu-24.04' }, Inputs.Release, 'yoga', /supported release/));
  it('centos-7 with anything but rocky', () =>
    expectInputError({ release: 'zed', os: 'centos-7' }, Inputs.Release, 'zed', /supported release/));
  it('linuxbridge from 2025.1 on', () =>
    expectInputError(
      { release: '2025.1', os: 'ubuntu-24.04', 'network-driver': 'linuxbridge' },
      Inputs.NetworkDriver,
      'linuxbridge',
      /supported/,
    ));
  it('unknown network driver', () =>
    expectInputError({ 'network-driver': 'ovn' }, Inputs.NetworkDriver, 'ovn', /linuxbridge, openvswitch/));
  it('bad CIDR in allowed-cidrs', () =>
    expectInputError({ 'allowed-cidrs': '203.0.113.5/32, 10.0.0.300/8' }, Inputs.AllowedCidrs, '10.0.0.300/8', /CIDR/));
  it('CIDR without a prefix', () =>
    expectInputError({ 'allowed-cidrs': '203.0.113.5' }, Inputs.AllowedCidrs, '203.0.113.5', /CIDR/));
  it('public vpc-cidr', () => expectInputError({ 'vpc-cidr': '8.8.0.0/16' }, Inputs.VpcCidr, '8.8.0.0/16', /private/));
  it('vpc-cidr too small for two /24', () =>
    expectInputError({ 'vpc-cidr': '10.0.0.0/24' }, Inputs.VpcCidr, '10.0.0.0/24', /\/16 to \/23/));
  it('lifetime that is not a duration', () =>
    expectInputError({ lifetime: 'forever' }, Inputs.Lifetime, 'forever', /duration/));
  it('lifetime over the cap', () => expectInputError({ lifetime: '3d' }, Inputs.Lifetime, '3d', /48h/));
  it('topology that does not exist', () =>
    expectInputError({ topology: 'huge' }, Inputs.Topology, 'huge', /minimal, full/));
  it('controller type with too few network interfaces', () =>
    expectInputError(
      { 'controller-instance-type': 't3.micro' },
      Inputs.ControllerInstanceType,
      't3.micro',
      /at least 3 network interfaces/,
    ));
  it('controller type from a family whose small sizes have two interfaces', () =>
    expectInputError(
      { 'controller-instance-type': 't3.nano' },
      Inputs.ControllerInstanceType,
      't3.nano',
      /at least 3 network interfaces/,
    ));
  it('malformed instance type', () =>
    expectInputError({ 'block-instance-type': 'big' }, Inputs.BlockInstanceType, 'big', /instance type/));
  it('stack-id with upper case', () =>
    expectInputError({ 'stack-id': 'MyStack' }, Inputs.StackId, 'MyStack', /lower-case/));
  it('stack-id too long for AWS names and local interface names', () =>
    expectInputError({ 'stack-id': 'a'.repeat(25) }, Inputs.StackId, 'a'.repeat(25), /1 to 24/));
  it('stack-id with the reserved aws prefix', () =>
    expectInputError({ 'stack-id': 'aws-test' }, Inputs.StackId, 'aws-test', /aws/));
  it('stack-id with characters tags and names refuse', () =>
    expectInputError({ 'stack-id': 'pr_12' }, Inputs.StackId, 'pr_12', /hyphens/));
  it('mode down without a stack-id', () => expectInputError({ mode: 'down' }, Inputs.StackId, '', /1 to 24/));
  it('unknown mode', () => expectInputError({ mode: 'destroy' }, Inputs.Mode, 'destroy', /up, down, sweep, plan/));
  it('unknown teardown policy', () =>
    expectInputError({ teardown: 'sometimes' }, Inputs.Teardown, 'sometimes', /always, on-success, never/));
  it('compute-count out of range', () =>
    expectInputError({ 'compute-count': '0' }, Inputs.ComputeCount, '0', /1 to 8/));
  it('not a boolean', () => expectInputError({ smoke: 'maybe' }, Inputs.Smoke, 'maybe', /true or false/));
  it('bad AMI id', () => expectInputError({ ami: 'ubuntu' }, Inputs.Ami, 'ubuntu', /ami-/));
  it('bad region', () => expectInputError({ region: 'mars-1' }, Inputs.Region, 'mars-1', /us-east-1/));
  it('bad image URL', () => expectInputError({ 'image-url': 'cirros.img' }, Inputs.ImageUrl, 'cirros.img', /http/));
  it('local provider with another OS', () =>
    expectInputError({ provider: 'local', os: 'rocky-9', release: '2024.1' }, Inputs.Os, 'rocky-9', /supported/));
  it('local provider with a release only the Cloud Archive has', () => {
    const values = { provider: 'local', os: 'ubuntu-24.04', release: '2025.1', 'network-driver': 'openvswitch' };
    expectInputError(values, Inputs.Release, '2025.1', /supported/);
    expect(() => settingsFrom(values)).toThrow(/installs only 2024\.1 on ubuntu-24\.04/);
  });
  it('local provider with a release Debian 12 does not ship', () =>
    expectInputError({ provider: 'local', os: 'debian-12', release: '2024.1' }, Inputs.Release, '2024.1', /supported/));
  it('local provider aimed at an address outside the emulated internet', () =>
    expectInputError(
      { provider: 'local', os: 'debian-12', release: 'zed', 'ping-target': '1.1.1.1', 'image-url': 'file:///x.img' },
      Inputs.PingTarget,
      '1.1.1.1',
      /203\.0\.113\.0\/24/,
    ));
  it('local provider with an image it would have to download', () =>
    expectInputError(
      { provider: 'local', os: 'debian-12', release: 'zed', 'image-url': 'https://example.org/cirros.img' },
      Inputs.ImageUrl,
      'https://example.org/cirros.img',
      /file:\/\//,
    ));
  it('local provider: down and sweep need no image (the documented `down --provider local --stack-id x`)', () => {
    for (const mode of ['down', 'sweep'])
      expect(settingsFrom({ mode, provider: 'local', 'stack-id': 'mycloud' }).provider).toBe('local');
  });
  it('bad tempest value', () => expectInputError({ tempest: 'full' }, Inputs.Tempest, 'full', /none, smoke/));
});

describe('parseDuration', () => {
  it.each([
    ['90m', 90],
    ['3h', 180],
    ['1h30m', 90],
    ['2d', 2880],
    ['45', 45],
  ])('%s → %d minutes', (raw, minutes) => expect(parseDuration(raw)).toBe(minutes));
  it.each(['', 'h', '1.5h', 'soon', '-3h'])('refuses %p', (raw) => expect(parseDuration(raw)).toBeUndefined());
});

describe('allowed-cidrs: network addresses only; wide blocks only with a warning', () => {
  it('refuses host bits, naming the network address that was meant', () => {
    expectInputError({ 'allowed-cidrs': '198.51.100.7/8' }, Inputs.AllowedCidrs, '198.51.100.7/8', /network address/);
    expect(() => settingsFrom({ 'allowed-cidrs': '203.0.113.5/32, 198.51.100.7/8' })).toThrow(
      /did you mean 198\.0\.0\.0\/8\?/,
    );
    expect(() => settingsFrom({ 'allowed-cidrs': '192.0.2.77/24' })).toThrow(/did you mean 192\.0\.2\.0\/24\?/);
  });

  it('accepts network addresses and single addresses without a warning', () => {
    const s = settingsFrom({ 'allowed-cidrs': '198.51.100.7/32\n192.0.2.0/24, 10.0.0.0/16' });
    expect(s.allowedCidrs).toEqual(['198.51.100.7/32', '192.0.2.0/24', '10.0.0.0/16']);
    expect(s.warnings).toEqual([]);
  });

  it.each([
    ['0.0.0.0/0', /4,294,967,296 addresses \(the whole internet\)/],
    ['10.0.0.0/8', /16,777,216 addresses/],
    ['172.16.0.0/15', /131,072 addresses/],
  ])('accepts %s with a warning that says how wide it is', (cidr, text) => {
    const s = settingsFrom({ 'allowed-cidrs': cidr });
    expect(s.allowedCidrs).toEqual([cidr]);
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/^allowed-cidrs: /);
    expect(s.warnings[0]).toMatch(text);
  });
});

describe('a warning reaches the log, the plan output and the job summary', () => {
  it('allowed-cidrs 0.0.0.0/0 with mode plan', async () => {
    const io = memoryIo({ mode: 'plan', 'stack-id': 'wide', 'allowed-cidrs': '0.0.0.0/0' });
    await runMain(io, { ...testContext, now: new Date('2026-12-01T00:00:00Z') });
    expect(io.lines).toContainEqual(expect.stringMatching(/^warning: allowed-cidrs: 0\.0\.0\.0\/0 lets 4,294,967,296/));
    expect((JSON.parse(io.outputs.plan) as { warnings: string[] }).warnings).toEqual([
      expect.stringMatching(/^allowed-cidrs: 0\.0\.0\.0\/0/),
    ]);
    const summary = io.summaries.join('\n');
    expect(summary).toMatch(/> \[!WARNING\]\n> allowed-cidrs: 0\.0\.0\.0\/0 lets/);
  });
});

describe('counts are decimal whole numbers', () => {
  it.each(['0x2', '2e0', ' 2', '2 ', '+2', '2.0', '02', '1_0', '-1'])('refuses compute-count %p', (raw) =>
    expectInputError({ 'compute-count': raw }, Inputs.ComputeCount, raw, /decimal digits only/),
  );
  it('refuses 0 and more than the cap', () => {
    expectInputError({ 'compute-count': '0' }, Inputs.ComputeCount, '0', /1 to 8/);
    expectInputError({ 'compute-count': '9' }, Inputs.ComputeCount, '9', /1 to 8/);
  });
  it('accepts 1 to 8', () => {
    expect(settingsFrom({ 'compute-count': '8' }).computeCount).toBe(8);
    expect(settingsFrom({ 'compute-count': '' }).computeCount).toBe(1);
  });
});

describe('ping-target is an IPv4 address or a DNS name', () => {
  it.each(['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.-4'])('refuses the address %p', (v) =>
    expectInputError({ 'ping-target': v }, Inputs.PingTarget, v, /0 to 255/),
  );
  it.each(['exa mple.org', 'a;b', '$(id)', "x'y", '-lead.example', 'example.123', 'a'.repeat(64) + '.org'])(
    'refuses the name %p',
    (v) => expectInputError({ 'ping-target': v }, Inputs.PingTarget, v, /DNS name/),
  );
  it.each(['8.8.8.8', '0.0.0.0', '255.255.255.255', 'example.org', 'one.one.one.one', 'localhost', 'x-1.example'])(
    'accepts %p',
    (v) => expect(settingsFrom({ 'ping-target': v }).pingTarget).toBe(v),
  );
  it('with provider local, only the emulated internet 203.0.113.0/24 (a name starting like it is not in it)', () => {
    const local = { provider: 'local', 'image-url': 'file:///x.img' };
    expect(settingsFrom({ ...local, 'ping-target': '203.0.113.99' }).pingTarget).toBe('203.0.113.99');
    expectInputError({ ...local, 'ping-target': '203.0.113.example' }, Inputs.PingTarget, '203.0.113.example', /203/);
  });
});

describe('contradicting inputs are refused (or warned about) before anything is created', () => {
  it('tempest: smoke with smoke: false', () =>
    expectInputError({ smoke: 'false', tempest: 'smoke' }, Inputs.Tempest, 'smoke', /smoke: true/));
  it('tempest: none with smoke: false is fine', () =>
    expect(settingsFrom({ smoke: 'false', tempest: 'none' }).smoke).toBe(false));
  it('pr-comment without a token is refused at input time, not warned about at the end', () =>
    expectInputError({ 'pr-comment': 'true' }, Inputs.GithubToken, '', /pr-comment: false/));
  it('pr-comment with a token is fine, and the token never reaches the saved settings', () => {
    const s = settingsFrom({ 'pr-comment': 'true', 'github-token': 'ghs_secret' });
    expect(s.prComment).toBe(true);
    expect(s.githubToken).toBe('ghs_secret');
  });
  it('EC2-only inputs with provider local are accepted with a warning each', () => {
    const s = settingsFrom({
      provider: 'local',
      'image-url': 'file:///x.img',
      ami: 'ami-0123456789abcdef0',
      spot: 'true',
      'ec2-endpoint': 'http://127.0.0.1:4566',
    });
    expect(s.warnings).toEqual([
      'ami: ignored with provider local (it applies to EC2 only).',
      'ec2-endpoint: ignored with provider local (it applies to EC2 only).',
      'spot: ignored with provider local (it applies to EC2 only).',
    ]);
  });
  it('a stack-id with mode sweep, an image-url with smoke: false: warnings', () => {
    expect(settingsFrom({ mode: 'sweep', 'stack-id': 'abc' }).warnings).toEqual([
      'stack-id: ignored with mode sweep, which deletes every expired stack in the region.',
    ]);
    expect(settingsFrom({ smoke: 'false', 'image-url': 'https://example.org/x.img' }).warnings).toEqual([
      'image-url: ignored with smoke: false (only the smoke checks boot the image).',
    ]);
  });
});

describe('default stack id outside a workflow run follows the provider', () => {
  it('ec2-… for aws, local-… for local', () => {
    expect(settingsFrom({}, { env: {} }).stackId).toMatch(/^ec2-[a-z0-9]+$/);
    expect(settingsFrom({ provider: 'local', 'image-url': 'file:///x.img' }, { env: {} }).stackId).toMatch(
      /^local-[a-z0-9]+$/,
    );
  });
});

describe('inputs down and sweep do not use', () => {
  it('are accepted with one warning naming them', () => {
    const s = settingsFrom({ mode: 'down', 'stack-id': 'old', topology: 'full', lifetime: '1h' });
    expect(s.warnings).toEqual([
      'topology, lifetime: ignored with mode down (they shape a new stack; down deletes by tags).',
    ]);
  });
  it("are not warned about when they hold action.yml's defaults (the runner passes every default)", () => {
    const defaults = Object.fromEntries(
      inputDocs().map((d) => [d.name, d.default.includes('${{') ? 'ghs_x' : d.default]),
    );
    for (const mode of ['down', 'sweep'])
      expect(settingsFrom({ ...defaults, mode, 'stack-id': mode === 'down' ? 'old' : '' }).warnings).toEqual([]);
    const local = { provider: 'local', os: 'debian-12', release: 'zed', 'image-url': 'file:///x.img' };
    expect(settingsFrom({ ...defaults, ...local }).warnings).toEqual([]);
  });
});
