// The fake EC2 holds images to EC2's rules, so an ordering or naming bug in the bake fails a test:
// CreateImage only of a running or stopped instance, under a valid name unique in the account;
// pending, then available; a snapshot per EBS volume, tagged as asked; look-ups by owner, id and
// filter; no snapshot deleted while a registered image uses it; no launch from a deregistered image.

import { ACCOUNT, FakeEc2 } from '../../helpers/fake-ec2';
import { rig } from './harness';

async function withInstance() {
  const fake = new FakeEc2();
  const r = rig({}, {}, fake);
  const env = await r.up();
  fake.authorize = undefined; // the raw rules of EC2, whatever the policy says
  const instanceId = env.nodes[0].instanceId;
  const create = (name: string, extra: Record<string, unknown> = {}) =>
    fake.call('CreateImage', { InstanceId: instanceId, Name: name, ...extra }) as Promise<{ ImageId: string }>;
  return { fake, instanceId, create };
}

const tags = (type: string, value: string) => ({ ResourceType: type, Tags: [{ Key: 'k', Value: value }] });

describe('the fake EC2 makes images as EC2 does', () => {
  it('only of a running or stopped instance that exists', async () => {
    const { fake, instanceId, create } = await withInstance();
    fake.instances.get(instanceId)!.state = 'stopped';
    await expect(create('from-stopped')).resolves.toHaveProperty('ImageId');
    for (const state of ['pending', 'stopping', 'shutting-down', 'terminated']) {
      Object.assign(fake.instances.get(instanceId)!, { state, runningAt: Infinity, terminatedAt: Infinity });
      await expect(create(`from-${state}`)).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    }
    await expect(fake.call('CreateImage', { InstanceId: 'i-0000000000000dead', Name: 'nobody' })).rejects.toMatchObject(
      { name: 'InvalidInstanceID.NotFound' },
    );
  });

  it('under a name of 3 to 128 allowed characters, unique in the account while registered', async () => {
    const { fake, create } = await withInstance();
    for (const bad of ['ab', 'x'.repeat(129), 'a:b:c', 'comma,name', 'tab\tname'])
      await expect(create(bad)).rejects.toMatchObject({ name: 'InvalidAMIName.Malformed' });
    const ok = "All (allowed) [chars] ./-'@_ 128".padEnd(128, 'x');
    const { ImageId } = await create(ok);
    await expect(create(ok)).rejects.toMatchObject({ name: 'InvalidAMIName.Duplicate' });
    await fake.call('DeregisterImage', { ImageId });
    await expect(create(ok)).resolves.toHaveProperty('ImageId');
    await expect(create('other', { TagSpecifications: [tags('instance', 'x')] })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('pending, then available after a while; one snapshot per EBS volume, tagged as asked', async () => {
    const { fake, create } = await withInstance();
    const { ImageId } = await create('timed', { TagSpecifications: [tags('image', 'img'), tags('snapshot', 'snap')] });
    const describe = async () =>
      ((await fake.call('DescribeImages', { ImageIds: [ImageId] })) as { Images: Array<Record<string, unknown>> })
        .Images[0];
    expect((await describe()).State).toBe('pending');
    await fake.clock.sleep(60_000);
    expect((await describe()).State).toBe('pending');
    await fake.clock.sleep(300_000);
    const image = await describe();
    expect(image).toMatchObject({ State: 'available', OwnerId: ACCOUNT, Tags: [{ Key: 'k', Value: 'img' }] });
    const snapshots = (image.BlockDeviceMappings as Array<{ Ebs: { SnapshotId: string } }>).map(
      (m) => m.Ebs.SnapshotId,
    );
    expect(snapshots).toHaveLength(1);
    expect(fake.snapshots.get(snapshots[0])!.tags).toEqual({ k: 'snap' });
  });

  it('finds images by owner, id and filter; a deregistered one only by its id', async () => {
    const { fake, create } = await withInstance();
    const { ImageId } = await create('mine', { TagSpecifications: [tags('image', 'v')] });
    const ids = async (input: Record<string, unknown>) =>
      ((await fake.call('DescribeImages', input)) as { Images: Array<{ ImageId: string }> }).Images.map(
        (i) => i.ImageId,
      );
    expect(await ids({ Owners: ['self'] })).toEqual([ImageId]);
    expect(await ids({ Owners: ['self'], Filters: [{ Name: 'tag:k', Values: ['v'] }] })).toEqual([ImageId]);
    expect(await ids({ Owners: ['self'], Filters: [{ Name: 'tag:k', Values: ['w'] }] })).toEqual([]);
    expect(await ids({ Owners: ['self'], Filters: [{ Name: 'state', Values: ['available'] }] })).toEqual([]);
    expect(await ids({ Owners: ['self'], Filters: [{ Name: 'tag-key', Values: ['k'] }] })).toEqual([ImageId]);
    await fake.call('DeregisterImage', { ImageId });
    expect(await ids({ Owners: ['self'] })).toEqual([]);
    expect(await ids({ ImageIds: [ImageId] })).toEqual([ImageId]);
    await expect(fake.call('DescribeImages', { ImageIds: [ImageId, 'ami-0000000000000dead'] })).rejects.toMatchObject({
      name: 'InvalidAMIID.NotFound',
    });
    await expect(fake.call('DeregisterImage', { ImageId })).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await expect(fake.call('DeregisterImage', { ImageId: 'ami-0aaaaaaaaaaaaaaa1' })).rejects.toMatchObject({
      name: 'AuthFailure',
    });
  });

  it('refuses to delete a snapshot a registered image uses, and to launch a deregistered or unknown image', async () => {
    const { fake, create } = await withInstance();
    const { ImageId } = await create('in-use');
    const [snapshot] = fake.images.find((i) => i.id === ImageId)!.disks!;
    await expect(fake.call('DeleteSnapshot', { SnapshotId: snapshot.snapshotId })).rejects.toMatchObject({
      name: 'InvalidSnapshot.InUse',
    });
    const [launch] = fake.calls.filter((c) => c.op === 'RunInstances' && !c.error).map((c) => c.input);
    const again = (imageId: string) =>
      fake.call('RunInstances', { ...launch, ImageId: imageId, ClientToken: `again-${imageId}` });
    await expect(again(ImageId)).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' }); // still pending
    await fake.call('DeregisterImage', { ImageId });
    await expect(again(ImageId)).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' });
    await expect(again('ami-0000000000000dead')).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await fake.call('DeleteSnapshot', { SnapshotId: snapshot.snapshotId });
    await expect(fake.call('DeleteSnapshot', { SnapshotId: snapshot.snapshotId })).rejects.toMatchObject({
      name: 'InvalidSnapshot.NotFound',
    });
  });
});
