import { InputError } from '../../src/core/errors';
import { parseDuration } from '../../src/settings/inputs';
import { Inputs, InputName } from '../../src/core/names';
import { settingsFrom, testContext } from '../helpers/inputs';

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
    expect(s.release.id).toBe('2024.1');
    expect(s.os.id).toBe('ubuntu-24.04');
    expect(s.topology).toBe('minimal');
    expect(s.computeCount).toBe(1);
    expect(s.networkDriver).toBe('linuxbridge');
    expect(s.teardown).toBe('always');
    expect(s.lifetimeMinutes).toBe(180);
    expect(s.pingTarget).toBe('8.8.8.8');
    expect(s.allowedCidrs).toEqual([]);
    expect(s.stackId).toMatch(/^gh-1234567-2-[0-9a-f]{4}$/);
    expect(s.smoke).toBe(true);
    expect(s.spot).toBe(false);
    expect(s.tempest).toBe('none');
  });

  it('defaults OS and release to what the local provider can run', () => {
    const s = settingsFrom({ provider: 'local', 'image-url': 'file:///x.img' });
    expect([s.os.id, s.release.id]).toEqual(['debian-12', 'zed']);
  });

  it('accepts a one-letter stack id', () => expect(settingsFrom({ 'stack-id': 'a' }).stackId).toBe('a'));

  it('gives the entries of one matrix run different default stack ids, and the same entry the same id', () => {
    const a = settingsFrom({ os: 'ubuntu-24.04' }).stackId;
    const b = settingsFrom({ os: 'rocky-9' }).stackId;
    expect(a).not.toBe(b);
    expect(settingsFrom({ os: 'ubuntu-24.04' }).stackId).toBe(a);
    const long = settingsFrom({}, { runId: '123456789012345678', runAttempt: '3', env: {} }).stackId;
    expect(long).toMatch(/^gh-[0-9a-f]{12}$/);
  });

  it('accepts codenames as aliases and picks openvswitch where linuxbridge is gone', () => {
    expect(settingsFrom({ release: 'caracal' }).release.id).toBe('2024.1');
    expect(settingsFrom({ release: 'Dalmatian' }).release.id).toBe('2024.2');
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
