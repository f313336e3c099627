// Baking on EC2 against the stateful fake (under policy/iam-policy.json): one image per role from
// that role's node, image and snapshots tagged at creation; images that outlive every teardown;
// findBaked's newest per role or nothing; up booting them; pruning in the order EC2 allows; and a
// bake that fails half way leaving no half-made image.

import { CreateImageCommand, CreateImageCommandInput } from '@aws-sdk/client-ec2';
import { createdNothing } from '../../../src/core/errors';
import { Inputs, Tags } from '../../../src/core/names';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { KEY, bakedStack, bootImagesOf, ownImages, requestsOf } from './bake-harness';
import { REPOSITORY, rig } from './harness';

const ROLES_OF_FULL = ['controller', 'compute', 'block', 'object'];

describe('bake', () => {
  it("makes one image per role from that role's node, image and snapshots tagged at creation", async () => {
    const fake = new FakeEc2();
    const { r, env, images } = await bakedStack(fake, 'bake-one');
    expect(images.map((b) => b.role)).toEqual(ROLES_OF_FULL);
    const inputs = fake.mock!.commandCalls(CreateImageCommand).map((c) => c.args[0].input as CreateImageCommandInput);
    expect(inputs).toHaveLength(4);
    for (const request of requestsOf(r.plan)) {
      const node = r.plan.nodes.find((n) => n.name === request.node)!;
      const input = inputs.find((i) => i.InstanceId === env.nodes.find((n) => n.name === node.name)!.instanceId)!;
      expect(input.NoReboot).toBe(false);
      expect(input.BlockDeviceMappings).toBeUndefined();
      expect(input.Name).toMatch(/^openstack-on-aws-[a-z]+-0123456789abcdef-bake-one-\d{8}T\d{6}Z$/);
      const baked = images.find((b) => b.role === request.role)!;
      const image = fake.images.find((i) => i.id === baked.id)!;
      expect(image.state).toBe('available');
      expect(image.tags).toEqual({
        Name: `openstack-on-aws-${request.role}-${KEY}`,
        [Tags.Repository]: REPOSITORY,
        [Tags.BakeKey]: KEY,
        [Tags.Role]: request.role,
        [Tags.Release]: r.plan.release.id,
        [Tags.Os]: r.plan.os.id,
        [Tags.CreatedAt]: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        [Tags.BakedBy]: 'bake-one',
      });
      // One snapshot per EBS volume of the node (root and data disks), each tagged like its image.
      expect(image.disks!.map((d) => d.sizeGiB)).toEqual(node.disks.map((d) => d.sizeGiB));
      for (const d of image.disks!) expect(fake.snapshots.get(d.snapshotId)!.tags).toEqual(image.tags);
      expect(baked).toEqual({
        id: image.id,
        key: KEY,
        role: request.role,
        release: r.plan.release.id,
        os: r.plan.os.id,
        createdAt: image.created,
        bakedBy: 'bake-one',
      });
    }
    // A bounded wait with progress: the bake, each image when it is available, heartbeats between.
    expect(r.io.lines).toContainEqual(
      expect.stringMatching(/^EC2: baking 4 image\(s\): controller ami-\S+ from controller \(i-/),
    );
    expect(r.io.lines.filter((l) => /^EC2: image ami-\S+ \(.+\) available after \d+ s$/.test(l))).toHaveLength(4);
    expect(r.io.lines.some((l) => l.includes('still waiting for 4 image(s) to become available'))).toBe(true);
    expect(r.io.lines.join('\n')).not.toMatch(/PRIVATE KEY/);
  });

  it("outlives its stack: neither the post step's teardown nor mode down finds or deletes an image", async () => {
    const fake = new FakeEc2();
    const { r } = await bakedStack(fake, 'outlives');
    const baked = fake.imageResources().sort();
    expect(baked.length).toBe(4 + 1 + 1 + 2 + 3); // four images; root, root, root + cinder, root + 2 swift
    for (const i of ownImages(fake)) expect(Object.keys(i.tags!)).not.toContain(Tags.StackId);
    await r.postDown();
    await r.down();
    expect(fake.liveResources()).toEqual([]);
    expect(fake.imageResources().sort()).toEqual(baked);
    expect(fake.ops().filter((op) => op === 'DeregisterImage' || op === 'DeleteSnapshot')).toEqual([]);
  });

  it('survives a lost CreateImage answer without a second image (found again by its name)', async () => {
    const fake = new FakeEc2();
    let lost = 0;
    fake.loseAnswer = (op) => op === 'CreateImage' && lost++ < 2;
    const { images } = await bakedStack(fake, 'lost-answer');
    expect(lost).toBeGreaterThanOrEqual(2);
    expect(images).toHaveLength(4);
    expect(
      ownImages(fake)
        .map((i) => i.id)
        .sort(),
    ).toEqual(images.map((b) => b.id).sort());
  });
});

describe('a bake that fails half way leaves no half-made image', () => {
  it('when one node cannot be imaged: what the others made is deregistered and its snapshots deleted', async () => {
    const fake = new FakeEc2();
    const r = rig({ [Inputs.StackId]: 'half-way', [Inputs.Topology]: 'full' }, {}, fake);
    const env = await r.up();
    // EC2 images only running or stopped instances.
    fake.instances.get(env.nodes.find((n) => n.name === 'block1')!.instanceId)!.state = 'stopping';
    await expect(r.provider.bake!(r.plan, env, requestsOf(r.plan), { io: r.io, keep: 2 })).rejects.toThrow(
      /CreateImage failed \(IncorrectInstanceState\)/,
    );
    expect(
      ownImages(fake)
        .filter((i) => i.state !== 'deregistered')
        .map((i) => i.id),
    ).toEqual([]);
    expect(ownImages(fake)).toHaveLength(3);
    expect(fake.imageResources()).toEqual([]);
    expect(r.io.lines).toContain('EC2: the bake failed; deleting the 3 image(s) it made and their snapshots');
  });

  it('when an image ends failed', async () => {
    const fake = new FakeEc2();
    fake.failImage = (name) => name.includes('-object-');
    await expect(bakedStack(fake, 'one-failed')).rejects.toThrow(/ImageFailed.*is failed: snapshot failed/);
    expect(ownImages(fake)).toHaveLength(4);
    expect(fake.imageResources()).toEqual([]);
  });

  it('when the images take too long: the wait is bounded, the pending images are taken apart', async () => {
    const fake = new FakeEc2({ imageMs: 3 * 3600_000 });
    await expect(bakedStack(fake, 'too-slow')).rejects.toThrow(/WaitTimeout.*4 image\(s\) to become available/);
    expect(fake.clock.now() - Date.parse('2026-01-01T00:00:00Z')).toBeLessThan(3600_000);
    expect(fake.imageResources()).toEqual([]);
  });

  it('when the run is cancelled while waiting: creating stops, what exists is still taken apart', async () => {
    const fake = new FakeEc2();
    const r = rig({ [Inputs.StackId]: 'cancelled', [Inputs.Topology]: 'full' }, {}, fake);
    const env = await r.up();
    const cancel = new AbortController();
    fake.afterCall = (op, n) => {
      if (op === 'DescribeImages' && fake.calls.slice(0, n).some((c) => c.op === 'CreateImage')) cancel.abort();
    };
    await expect(
      r.provider.bake!(r.plan, env, requestsOf(r.plan), { io: r.io, keep: 2, signal: cancel.signal }),
    ).rejects.toThrow(/cancelled before DescribeImages/);
    expect(ownImages(fake)).toHaveLength(4);
    expect(fake.imageResources()).toEqual([]);
  });

  it('when the tag look-up lags behind the creates: the images are found by id', async () => {
    const fake = new FakeEc2();
    fake.failImage = () => true;
    fake.describeLags = (op, input) => op === 'DescribeImages' && JSON.stringify(input).includes(Tags.BakedBy);
    await expect(bakedStack(fake, 'lagging')).rejects.toThrow(/ImageFailed/);
    expect(fake.imageResources()).toEqual([]);
  });
});

describe('pruning after a bake', () => {
  it('keeps the newest `keep` per key and role; deregisters the rest before deleting their snapshots', async () => {
    const fake = new FakeEc2();
    const other = await bakedStack(fake, 'other-key', { key: 'fedcba9876543210' });
    const first = await bakedStack(fake, 'first');
    await fake.clock.sleep(60_000);
    const second = await bakedStack(fake, 'second');
    await fake.clock.sleep(60_000);
    const third = await bakedStack(fake, 'third', { keep: 2 });

    const registered = () =>
      ownImages(fake)
        .filter((i) => i.state !== 'deregistered')
        .map((i) => i.id)
        .sort();
    expect(registered()).toEqual([...other.images, ...second.images, ...third.images].map((b) => b.id).sort());
    for (const b of first.images) {
      const image = fake.images.find((i) => i.id === b.id)!;
      const deregisteredAt = fake.calls.findIndex((c) => c.op === 'DeregisterImage' && c.input.ImageId === b.id);
      expect(deregisteredAt).toBeGreaterThan(-1);
      for (const d of image.disks!) {
        expect(fake.snapshots.has(d.snapshotId)).toBe(false);
        const deletedAt = fake.calls.findIndex(
          (c) => c.op === 'DeleteSnapshot' && c.input.SnapshotId === d.snapshotId && !c.error,
        );
        expect(deletedAt).toBeGreaterThan(deregisteredAt);
      }
    }
    expect(third.r.io.lines).toContainEqual(
      expect.stringMatching(/^EC2: keeping the newest 2 baked image\(s\) per bake key and role; deleting 4 with/),
    );
    expect(fake.errorsOf('InvalidSnapshot.InUse')).toEqual([]);
  });

  it("never touches another repository's images, an OS image, or a pending bake", async () => {
    const fake = new FakeEc2();
    const first = await bakedStack(fake, 'first');
    const template = fake.images.find((i) => i.id === first.images[0].id)!;
    const old = '2025-01-01T00:00:00.000Z';
    // Older images of the same key and role: another repository's, and one of this repository still pending.
    fake.images.push(
      {
        ...template,
        id: 'ami-0bbbbbbbbbbbbbbb1',
        name: 'theirs',
        created: old,
        tags: { ...template.tags!, [Tags.Repository]: 'someone/else' },
        disks: [],
      },
      {
        ...template,
        id: 'ami-0bbbbbbbbbbbbbbb2',
        name: 'in-flight',
        created: old,
        state: 'pending',
        availableAt: Infinity,
        disks: [],
      },
    );
    await fake.clock.sleep(60_000);
    await bakedStack(fake, 'second', { keep: 1 });
    const state = (id: string) => fake.images.find((i) => i.id === id)!.state;
    expect(state('ami-0bbbbbbbbbbbbbbb1')).toBe('available');
    expect(state('ami-0bbbbbbbbbbbbbbb2')).toBe('pending');
    expect(state('ami-0aaaaaaaaaaaaaaa4')).toBeUndefined(); // an OS image: untouched
    expect(first.images.map((b) => state(b.id))).toEqual([
      'deregistered',
      'deregistered',
      'deregistered',
      'deregistered',
    ]);
    expect(
      fake.calls
        .filter((c) => c.op === 'DeregisterImage')
        .map((c) => c.input.ImageId)
        .sort(),
    ).toEqual(first.images.map((b) => b.id).sort());
  });
});

describe('findBaked', () => {
  it('finds the newest available image per role of this repository and key, or nothing', async () => {
    const fake = new FakeEc2();
    await bakedStack(fake, 'older');
    await fake.clock.sleep(60_000);
    const newer = await bakedStack(fake, 'newer');
    const template = fake.images.find((i) => i.id === newer.images[0].id)!;
    const later = new Date(fake.clock.now() + 60_000).toISOString();
    fake.images.push(
      {
        ...template,
        id: 'ami-0ccccccccccccccc1',
        name: 'theirs',
        created: later,
        tags: { ...template.tags!, [Tags.Repository]: 'someone/else' },
      },
      {
        ...template,
        id: 'ami-0ccccccccccccccc2',
        name: 'pending',
        created: later,
        state: 'pending',
        availableAt: Infinity,
      },
    );
    const r = rig({ [Inputs.StackId]: 'reader', [Inputs.Topology]: 'full' }, {}, fake);
    const find = (key = KEY) => r.provider.findBaked!(r.plan, requestsOf(r.plan, key), { io: r.io });

    expect(await find()).toEqual(Object.fromEntries(newer.images.map((b) => [b.role, b])));
    expect(await find('fedcba9876543210')).toBeUndefined();
    // One role without an image: none at all (a stack boots baked on every node or on none).
    for (const i of fake.images) if (i.tags?.[Tags.Role] === 'block') i.state = 'deregistered';
    expect(await find()).toBeUndefined();
    expect(r.io.lines).toContain(`EC2: no baked block image with bake key ${KEY} in this account and region`);
  });
});

describe('up from baked images', () => {
  it("launches every node from its role's image, and the OS image is not looked up", async () => {
    const fake = new FakeEc2();
    const baker = await bakedStack(fake, 'baker');
    const r = rig({ [Inputs.StackId]: 'booted', [Inputs.Topology]: 'full' }, {}, fake);
    const found = (await r.provider.findBaked!(r.plan, requestsOf(r.plan), { io: r.io }))!;
    const from = fake.calls.length;
    await r.up(undefined, bootImagesOf(r.plan, found));
    const launches = fake.calls.slice(from).filter((c) => c.op === 'RunInstances' && !c.error);
    expect(launches).toHaveLength(r.plan.nodes.length);
    for (const node of r.plan.nodes) {
      const launch = launches.find((c) => JSON.stringify(c.input.TagSpecifications).includes(`"${node.name}"`))!;
      const image = baker.images.find((b) => b.role === node.role)!;
      expect(launch.input.ImageId).toBe(image.id);
      const root = (launch.input.BlockDeviceMappings as Array<{ DeviceName: string }>)[0].DeviceName;
      expect(root).toBe(fake.images.find((i) => i.id === image.id)!.root);
    }
    expect(fake.calls.slice(from).filter((c) => c.op === 'DescribeImages' && c.input.Owners)).toEqual([]);
    expect(r.io.lines).toContainEqual(
      expect.stringMatching(/instance\(s\) from baked controller image ami-\S+, baked compute/),
    );
  });

  it.each([
    ['deregistered', 'is deregistered'],
    ['unknown', 'is gone'],
  ])('refuses before anything is created when a baked image is %s', async (how, said) => {
    const fake = new FakeEc2();
    await bakedStack(fake, 'baker');
    const r = rig({ [Inputs.StackId]: 'refused', [Inputs.Topology]: 'full' }, {}, fake);
    const found = (await r.provider.findBaked!(r.plan, requestsOf(r.plan), { io: r.io }))!;
    if (how === 'deregistered') fake.images.find((i) => i.id === found.compute.id)!.state = 'deregistered';
    else found.compute = { ...found.compute, id: 'ami-0ddddddddddddddd1' };
    const from = fake.calls.length;
    const err = await r.up(undefined, bootImagesOf(r.plan, found)).catch((e: unknown) => e);
    expect(String(err)).toContain(
      `the baked compute image ${found.compute.id} (bake key ${KEY}) ${said}; nothing was created.`,
    );
    expect(createdNothing(err)).toBe(true);
    expect(r.ledger.records).toEqual([]);
    expect(fake.calls.slice(from).filter((c) => !c.op.startsWith('Describe'))).toEqual([]);
  });
});
