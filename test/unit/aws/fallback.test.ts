// Capacity fallbacks (spot → on-demand, zone → next zone) and the preflight refusals that must
// happen before anything is created.

import { InputError } from '../../../src/core/errors';
import { Inputs } from '../../../src/core/names';
import { DEFAULT_TYPES, FakeEc2 } from '../../helpers/fake-ec2';
import { rig } from './harness';

describe('spot', () => {
  it('requests spot capacity for every node when asked', async () => {
    const r = rig({ [Inputs.Spot]: 'true' });
    await r.up();
    expect([...r.fake.instances.values()].map((i) => i.market)).toEqual(['spot', 'spot']);
  });

  it('falls back to on-demand for a node without spot capacity, in the same zone', async () => {
    const r = rig({ [Inputs.Spot]: 'true' });
    r.fake.capacity.push({ market: 'spot', type: 'm8i.xlarge', code: 'InsufficientInstanceCapacity' });
    const env = await r.up();
    const byType = Object.fromEntries([...r.fake.instances.values()].map((i) => [i.type, i.market]));
    expect(byType).toEqual({ 'm7i.xlarge': 'spot', 'm8i.xlarge': 'on-demand' });
    expect(new Set([...r.fake.instances.values()].map((i) => i.zone)).size).toBe(1);
    expect(r.io.lines.some((l) => /no spot capacity for compute1.*on-demand/.test(l))).toBe(true);
    expect(env.nodes).toHaveLength(2);
    await r.down();
    expect(r.fake.liveResources()).toEqual([]);
  });
});

describe('availability zones', () => {
  it('moves the subnets, interfaces and instances to the next zone on insufficient capacity', async () => {
    const r = rig({ [Inputs.Topology]: 'full' });
    r.fake.capacity.push({ zone: 'us-east-1a', type: 'm8i.xlarge', code: 'InsufficientInstanceCapacity' });
    const env = await r.up();
    const live = [...r.fake.instances.values()].filter((i) => i.state !== 'terminated');
    expect(new Set(live.map((i) => i.zone))).toEqual(new Set(['us-east-1b']));
    expect(live).toHaveLength(r.plan.nodes.length);
    expect([...r.fake.subnets.values()].map((s) => s.zone)).toEqual(['us-east-1b', 'us-east-1b']);
    // The fixed addresses survive the move.
    expect(env.nodes.find((n) => n.name === 'controller')!.nics.map((c) => c.ip)).toEqual([
      '10.42.0.11',
      '10.42.1.11',
      '10.42.1.12',
    ]);
    expect(r.io.lines.some((l) => /no capacity in us-east-1a.*us-east-1b/.test(l))).toBe(true);
    await r.down();
    expect(r.fake.liveResources()).toEqual([]);
  });

  it('skips zones that do not offer every type, and fails clearly when every zone is out', async () => {
    const types = {
      ...DEFAULT_TYPES,
      'm8i.xlarge': { ...DEFAULT_TYPES['m8i.xlarge'], zones: ['us-east-1b', 'us-east-1c'] },
    };
    const r = rig({}, {}, new FakeEc2({ instanceTypes: types }));
    r.fake.capacity.push({ type: 'm8i.xlarge', code: 'InsufficientInstanceCapacity' });
    await expect(r.up()).rejects.toThrow(/InsufficientInstanceCapacity/);
    const tried = r.fake.calls.filter((c) => c.op === 'CreateSubnet').map((c) => c.input.AvailabilityZone);
    expect(new Set(tried)).toEqual(new Set(['us-east-1b', 'us-east-1c']));
    await r.down();
    expect(r.fake.liveResources()).toEqual([]);
  });
});

describe('preflight refuses before anything is created', () => {
  const creates = (f: FakeEc2) => f.calls.filter((c) => !c.op.startsWith('Describe'));

  it.each([
    [
      'too few network interfaces',
      { 'x2idn.xlarge': { maxNics: 2 } },
      { [Inputs.ControllerInstanceType]: 'x2idn.xlarge' },
      /needs 3 and x2idn.xlarge supports 2/,
    ],
    ['not x86_64', {}, { [Inputs.ComputeInstanceType]: 'm7g.xlarge' }, /x86_64/],
    [
      'kvm planned but no nested virtualization',
      { 'c8i.xlarge': { maxNics: 4, nested: false } },
      { [Inputs.ComputeInstanceType]: 'c8i.xlarge' },
      /nested virtualization/,
    ],
    ['unknown type', {}, { [Inputs.BlockInstanceType]: 'zz9.large', [Inputs.Topology]: 'full' }, /block-instance-type/],
  ])('%s', async (_what, extraTypes, inputs, message) => {
    const r = rig(inputs, {}, new FakeEc2({ instanceTypes: { ...DEFAULT_TYPES, ...extraTypes } }));
    const err = await r.up().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect(creates(r.fake)).toEqual([]);
    expect(r.ledger.records).toEqual([]);
  });
});

describe('instance details', () => {
  it('switches on the nested-virtualization CPU option only where the Plan says kvm (not on metal)', async () => {
    const r = rig({ [Inputs.ComputeCount]: '2' });
    await r.up();
    const launches = r.fake.calls.filter((c) => c.op === 'RunInstances');
    const cpu = Object.fromEntries(launches.map((c) => [c.input.InstanceType, c.input.CpuOptions]));
    expect(r.plan.nodes.find((n) => n.name === 'compute1')!.virt).toBe('kvm');
    expect(cpu['m8i.xlarge']).toEqual({ NestedVirtualization: 'enabled' });
    expect(cpu['m7i.xlarge']).toBeUndefined();

    const metal = rig({ [Inputs.ComputeInstanceType]: 'm5.metal' });
    await metal.up();
    const m = metal.fake.calls.find((c) => c.op === 'RunInstances' && c.input.InstanceType === 'm5.metal')!;
    expect(metal.plan.nodes.find((n) => n.name === 'compute1')!.virt).toBe('kvm');
    expect(m.input.CpuOptions).toBeUndefined();
  });

  const bootedImages = (f: FakeEc2) =>
    new Set(f.calls.filter((c) => c.op === 'RunInstances').map((c) => c.input.ImageId));

  it('boots the newest image of the OS owner, or the ami input', async () => {
    // The default OS, Ubuntu 26.04: the newest resolute amd64 server build of Canonical's, not the
    // newer arm64 build nor the newer copy under another owner.
    const r = rig();
    await r.up();
    expect(bootedImages(r.fake)).toEqual(new Set(['ami-0aaaaaaaaaaaaaaa5']));
    const describe = r.fake.calls.find((c) => c.op === 'DescribeImages')!.input;
    expect(describe.Owners).toEqual(['099720109477']);

    const pinned = rig({ [Inputs.Ami]: 'ami-0aaaaaaaaaaaaaaa4' });
    await pinned.up();
    expect(bootedImages(pinned.fake)).toEqual(new Set(['ami-0aaaaaaaaaaaaaaa4']));

    const debian = rig({ [Inputs.Os]: 'debian-12', [Inputs.Release]: 'zed' });
    await debian.up();
    const launch = debian.fake.calls.find((c) => c.op === 'RunInstances')!.input as {
      BlockDeviceMappings: Array<{ DeviceName: string }>;
    };
    expect(launch.BlockDeviceMappings[0].DeviceName).toBe('/dev/xvda'); // the image's own root device
    expect((await debian.down()).leftovers).toEqual([]);
  });

  it.each([
    // os, release, the image to boot, the owner asked (the fake also holds newer look-alikes)
    ['ubuntu-24.04', '2024.1', 'ami-0aaaaaaaaaaaaaaa2', '099720109477'],
    ['ubuntu-26.04', '2026.1', 'ami-0aaaaaaaaaaaaaaa5', '099720109477'],
    ['debian-12', 'zed', 'ami-0aaaaaaaaaaaaaaa3', '136693071363'],
    ['debian-13', '2025.1', 'ami-0aaaaaaaaaaaaaaa9', '136693071363'], // not the backports-kernel build
  ])('finds the official image of %s (with %s)', async (os, release, image, owner) => {
    const r = rig({ [Inputs.Os]: os, [Inputs.Release]: release });
    await r.up();
    expect(bootedImages(r.fake)).toEqual(new Set([image]));
    expect(r.fake.calls.find((c) => c.op === 'DescribeImages')!.input.Owners).toEqual([owner]);
    expect((await r.down()).leftovers).toEqual([]);
  });

  it('opens the public group to allowed-cidrs when given (not to the runner address)', async () => {
    const r = rig({ [Inputs.AllowedCidrs]: '198.51.100.0/24, 192.0.2.7/32' });
    await r.up();
    const group = [...r.fake.groups.values()].find((g) => g.name.endsWith('-public'))!;
    const cidrs = new Set(JSON.stringify(group.ingress).match(/\d+\.\d+\.\d+\.\d+\/\d+/g));
    expect(cidrs).toEqual(new Set(['198.51.100.0/24', '192.0.2.7/32']));
  });
});
