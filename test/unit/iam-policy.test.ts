// policy/iam-policy.json held against every EC2 call the code makes. The fake EC2 of every AWS test
// authorises each call with the policy (filled in for the rigs' repository) as IAM would, resource by
// resource; here the scenarios together make every call the code has, none is refused, and every
// grant of the policy allowed at least one of them (a grant nothing uses fails). Then what the policy
// must refuse: another repository's stacks, instances without IMDSv2, unencrypted volumes, and the
// README's limits on instance types and regions; and for baked images another repository's instances
// and images, images tagged with a stack id or without a bake key, tags outside CreateImage.

import * as fs from 'fs';
import * as path from 'path';
import { Inputs, Tags } from '../../src/core/names';
import { FakeEc2 } from '../helpers/fake-ec2';
import { Check, evaluate, loadPolicy, PolicyDocument, REPOSITORY_PLACEHOLDER, Statement } from '../helpers/iam-eval';
import { policyGrantsUsed, recordingIo, REPOSITORY, rig } from './aws/harness';
import { bakedStack, bootImagesOf, KEY, requestsOf } from './aws/bake-harness';

const root = path.join(__dirname, '..', '..');
const policy = loadPolicy(REPOSITORY);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every `new XxxCommand(` in src/aws: the EC2 actions the code can call. */
function calledActions(): Set<string> {
  const actions = new Set<string>();
  for (const file of sourceFiles(path.join(root, 'src', 'aws'))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/new ([A-Z][A-Za-z0-9]*)Command\(/g)) actions.add(m[1]);
  }
  return actions;
}

const allows = (doc: PolicyDocument) => doc.Statement.filter((s) => s.Effect === 'Allow');
const grantsOf = (s: Statement) => s.Action.map((a) => `${s.Sid} ${a}`);

/** Runs every path the code has on fakes under the policy; returns the operations the fakes saw. */
async function everyPath(): Promise<Set<string>> {
  const fakes: FakeEc2[] = [];
  // Full topology on spot: up, console output, the post step's teardown.
  const full = rig({ [Inputs.Topology]: 'full', [Inputs.Spot]: 'true' });
  fakes.push(full.fake);
  const env = await full.up();
  await full.provider.consoleOutput!(full.plan.stackId, env.nodes[0], full.io);
  await full.postDown();
  // No spot capacity anywhere and none on demand in the first zone: both fallbacks, then mode down.
  const moved = rig({ [Inputs.Spot]: 'true' });
  fakes.push(moved.fake);
  moved.fake.capacity.push({ market: 'spot', code: 'InsufficientInstanceCapacity' });
  moved.fake.capacity.push({ zone: 'us-east-1a', code: 'InsufficientInstanceCapacity' });
  await moved.up();
  await moved.down([]);
  // Lost answers on every create that looks itself up, and a stack left behind for the sweep.
  const lost = rig({ [Inputs.Lifetime]: '10m' });
  fakes.push(lost.fake);
  lost.fake.loseAnswer = (op) =>
    /^(CreateVpc|CreateInternetGateway|ImportKeyPair|AllocateAddress|CreateSecurityGroup|CreateSubnet)$/.test(op) &&
    lost.fake.errorsOf('ECONNRESET').length < 6;
  await lost.up();
  await lost.fake.clock.sleep(20 * 60_000);
  const swept = await lost.freshProvider().sweep(new Date(lost.fake.clock.now()), { io: recordingIo() });
  expect(swept.map((r) => r.leftovers)).toEqual([[]]);
  // Baking: a bake, a second one that prunes the first, one that fails and takes itself apart, a
  // stack booted from the images, and a sweep that deletes the expired stacks and prunes again.
  const bakes = new FakeEc2();
  fakes.push(bakes);
  const baker = await bakedStack(bakes, 'baker', { inputs: { [Inputs.Lifetime]: '10m' } });
  const bakeAgain = (keep: number) =>
    baker.r.provider.bake!(baker.r.plan, baker.env, requestsOf(baker.r.plan), { io: baker.r.io, keep });
  await bakes.clock.sleep(60_000);
  await bakeAgain(1);
  bakes.failImage = () => true;
  await expect(bakeAgain(2)).rejects.toThrow(/ImageFailed/);
  bakes.failImage = undefined;
  await bakeAgain(2);
  const booted = rig({ [Inputs.StackId]: 'booted', [Inputs.Topology]: 'full', [Inputs.Lifetime]: '10m' }, {}, bakes);
  const found = await booted.provider.findBaked!(booted.plan, requestsOf(booted.plan), { io: booted.io });
  await booted.up(undefined, bootImagesOf(booted.plan, found!));
  await bakes.clock.sleep(20 * 60_000);
  const sweptBaked = await booted
    .freshProvider()
    .sweep(new Date(bakes.clock.now()), { io: recordingIo(), bakeKeep: 1, repository: REPOSITORY });
  expect(sweptBaked.map((r) => [r.stackId, r.leftovers])).toEqual([
    ['baker', []],
    ['booted', []],
  ]);
  expect(bakes.imageResources()).toHaveLength(4 + 7);
  for (const f of fakes) {
    expect(f.errorsOf('UnauthorizedOperation')).toEqual([]);
    expect(f.liveResources()).toEqual([]);
  }
  return new Set(fakes.flatMap((f) => f.ops()));
}

describe('policy/iam-policy.json', () => {
  it('grants exactly the EC2 actions the code calls (CreateTags only for tag-on-create)', () => {
    const called = calledActions();
    expect(called.size).toBeGreaterThan(30);
    const expected = new Set([...called, 'CreateTags']);
    const granted = new Set(allows(policy).flatMap((s) => s.Action.map((a) => a.replace(/^ec2:/, ''))));
    expect([...expected].filter((a) => !granted.has(a)).sort()).toEqual([]); // called, not granted
    expect([...granted].filter((a) => !expected.has(a)).sort()).toEqual([]); // granted, never called
    for (const s of policy.Statement) for (const a of s.Action) expect(a).toMatch(/^ec2:[A-Z][A-Za-z]+$|^ec2:\*$/);
  });

  it('allows every call the code makes, and every grant allows at least one of them', async () => {
    policyGrantsUsed.clear();
    const seen = await everyPath();
    // The scenarios make every call the code has: the policy was held against all of them.
    expect([...calledActions()].filter((a) => !seen.has(a)).sort()).toEqual([]);
    const unused = allows(policy)
      .flatMap(grantsOf)
      .filter((g) => !policyGrantsUsed.has(g));
    expect(unused).toEqual([]);
  });

  it('scopes every grant but reads and images by the repository tag, which the README says to fill in', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(root, 'policy', 'iam-policy.json'), 'utf8')) as PolicyDocument;
    for (const s of allows(raw)) {
      if (!s.Condition) {
        expect(s.Action.every((a) => a.startsWith('ec2:Describe')) || s.Sid === 'LaunchFromAnyImage').toBe(true);
        continue;
      }
      const equals = s.Condition.StringEquals ?? {};
      const repo = equals[`aws:RequestTag/${Tags.Repository}`] ?? equals[`aws:ResourceTag/${Tags.Repository}`];
      expect({ sid: s.Sid, repo }).toEqual({ sid: s.Sid, repo: REPOSITORY_PLACEHOLDER });
    }
    expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(`sed 's#${REPOSITORY_PLACEHOLDER}#`);
  });
});

describe('what the policy refuses', () => {
  it("another repository's role can neither create nor change or delete this repository's stacks", async () => {
    const mine = rig({ [Inputs.StackId]: 'mine' });
    await mine.up();
    const before = mine.fake.liveResources().sort();
    const other = loadPolicy('someone/else');
    mine.fake.authorize = (checks) => evaluate(other, checks);
    const report = await mine.down();
    expect(report.deleted).toEqual([]);
    expect(mine.fake.errorsOf('UnauthorizedOperation').length).toBeGreaterThan(0);
    expect(mine.fake.liveResources().sort()).toEqual(before);

    const theirs = rig({ [Inputs.StackId]: 'theirs' }, {}, new FakeEc2());
    theirs.fake.authorize = (checks) => evaluate(other, checks);
    await expect(theirs.up()).rejects.toThrow(/UnauthorizedOperation/);
    expect(theirs.fake.liveResources()).toEqual([]);
  });

  it('refuses instances without IMDSv2 and unencrypted volumes, even though the code never asks for them', async () => {
    const r = rig();
    await r.up();
    const [launch] = r.fake.calls.filter((c) => c.op === 'RunInstances' && !c.error).map((c) => c.input);
    const without = (change: (i: Record<string, unknown>) => void) => {
      const input = JSON.parse(JSON.stringify(launch)) as Record<string, unknown>;
      change(input);
      return evaluate(policy, r.fake.checksFor('RunInstances', input));
    };
    expect(without(() => undefined)).toEqual({ allowed: true });
    expect(without((i) => delete i.MetadataOptions).reason).toMatch(
      /instance\/new: explicitly denied by DenyInstancesWithoutImdsV2/,
    );
    expect(without((i) => ((i.MetadataOptions as Record<string, string>).HttpTokens = 'optional')).allowed).toBe(false);
    const ebs = (i: Record<string, unknown>) =>
      (i.BlockDeviceMappings as Array<{ Ebs: Record<string, unknown> }>).map((m) => m.Ebs);
    expect(without((i) => (ebs(i)[0].Encrypted = false)).reason).toMatch(
      /volume\/new: explicitly denied by DenyUnencryptedVolumes/,
    );
    expect(without((i) => delete ebs(i)[0].Encrypted).reason).toMatch(/volume\/new: no statement allows it/);
    // And through the fake: EC2 answers UnauthorizedOperation and launches nothing.
    const count = r.fake.instances.size;
    const input = JSON.parse(JSON.stringify(launch)) as Record<string, unknown>;
    delete input.MetadataOptions;
    await expect(r.fake.call('RunInstances', input)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(r.fake.instances.size).toBe(count);
  });

  it("the README's limits on instance types and regions refuse what they leave out", async () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Statement);
    const limits = ['OnlyTheseInstanceTypes', 'OnlyTheseRegions'].map((sid) => blocks.find((b) => b.Sid === sid)!);
    expect(limits.every(Boolean)).toBe(true);
    const limited: PolicyDocument = { ...policy, Statement: [...policy.Statement, ...limits] };

    // The defaults still come up under the limits.
    const ok = rig({ [Inputs.Topology]: 'full' });
    ok.fake.authorize = (checks) => evaluate(limited, checks);
    await ok.up();
    // A type left out is refused at launch.
    const big = rig({ [Inputs.ComputeInstanceType]: 'm5.metal', [Inputs.Topology]: 'minimal' });
    big.fake.authorize = (checks) => evaluate(limited, checks);
    await expect(big.up()).rejects.toThrow(/UnauthorizedOperation.*OnlyTheseInstanceTypes/);
    // A region left out is refused for every call.
    const elsewhere: Check = { action: 'ec2:DescribeVpcs', arn: '*', context: { 'aws:RequestedRegion': 'ap-south-1' } };
    expect(evaluate(limited, [elsewhere]).reason).toMatch(/OnlyTheseRegions/);
    expect(evaluate(limited, [{ ...elsewhere, context: { 'aws:RequestedRegion': 'us-east-1' } }])).toEqual({
      allowed: true,
    });
  });
});

describe('what the policy refuses around baked images', () => {
  /** A request's tags as IAM sees them: aws:RequestTag/<key> per tag, with the ec2:CreateAction of CreateTags. */
  const tagCheck = (arn: string, tags: Record<string, string>, createAction?: string): Check => ({
    action: 'ec2:CreateTags',
    arn,
    context: {
      'aws:RequestedRegion': 'us-east-1',
      ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
      ...(createAction ? { 'ec2:CreateAction': createAction } : {}),
    },
  });

  it("CreateImage: only of this repository's instances, into images and snapshots tagged for it with a bake key and no stack id", async () => {
    const fake = new FakeEc2();
    const { env } = await bakedStack(fake, 'mine');
    const [create] = fake.calls.filter((c) => c.op === 'CreateImage' && !c.error).map((c) => c.input);
    const variant = (
      change: (specs: Array<{ ResourceType: string; Tags: Array<{ Key: string; Value: string }> }>) => void,
    ) => {
      const input = JSON.parse(JSON.stringify(create)) as Record<string, unknown>;
      change(input.TagSpecifications as never);
      return evaluate(policy, fake.checksFor('CreateImage', input));
    };
    expect(variant(() => undefined)).toEqual({ allowed: true });
    // BakeOnlyImagesTaggedForThisRepository
    const drop = (type: string, key: string) => (specs: Parameters<Parameters<typeof variant>[0]>[0]) => {
      const spec = specs.find((t) => t.ResourceType === type)!;
      spec.Tags = spec.Tags.filter((t) => t.Key !== key);
    };
    expect(variant(drop('image', Tags.BakeKey)).reason).toMatch(
      /ec2:CreateImage on arn:aws:ec2:us-east-1::image\/new: no statement allows it/,
    );
    expect(variant(drop('snapshot', Tags.Repository)).reason).toMatch(
      /ec2:CreateImage on arn:aws:ec2:us-east-1::snapshot\/new: no statement/,
    );
    expect(
      variant((specs) =>
        specs.find((t) => t.ResourceType === 'snapshot')!.Tags.push({ Key: Tags.StackId, Value: 'mine' }),
      ).reason,
    ).toMatch(/snapshot\/new: no statement allows it/);
    expect(
      variant(
        (specs) =>
          (specs.find((t) => t.ResourceType === 'image')!.Tags.find((t) => t.Key === Tags.Repository)!.Value =
            'someone/else'),
      ).allowed,
    ).toBe(false);
    // BakeOnlyThisRepositorysInstances: the instance of another repository is refused (through the fake).
    const instance = fake.instances.get(env.nodes[0].instanceId)!;
    instance.tags[Tags.Repository] = 'someone/else';
    await expect(fake.call('CreateImage', { ...create, Name: 'another-name' })).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
      message: expect.stringMatching(
        /ec2:CreateImage on arn:aws:ec2:us-east-1:123456789012:instance\/i-\S+: no statement/,
      ),
    });
  });

  it('CreateTags on images and snapshots: only while CreateImage makes them, tagged for this repository with a bake key', () => {
    const ours = { [Tags.Repository]: REPOSITORY, [Tags.BakeKey]: KEY };
    for (const arn of ['arn:aws:ec2:us-east-1::image/ami-1', 'arn:aws:ec2:us-east-1::snapshot/snap-1']) {
      expect(evaluate(policy, [tagCheck(arn, ours, 'CreateImage')])).toEqual({ allowed: true });
      // Tagging an existing image (e.g. to make another's look like ours), or as another create does: refused.
      expect(evaluate(policy, [tagCheck(arn, ours)]).allowed).toBe(false);
      expect(evaluate(policy, [tagCheck(arn, ours, 'CopyImage')]).allowed).toBe(false);
      expect(evaluate(policy, [tagCheck(arn, { [Tags.Repository]: REPOSITORY }, 'CreateImage')]).allowed).toBe(false);
      expect(
        evaluate(policy, [tagCheck(arn, { ...ours, [Tags.Repository]: 'someone/else' }, 'CreateImage')]).allowed,
      ).toBe(false);
    }
  });

  it("DeregisterImage and DeleteSnapshot: only this repository's baked images, never another's, an OS image or an unbaked AMI", async () => {
    const fake = new FakeEc2();
    const { images } = await bakedStack(fake, 'mine');
    const [image] = images;
    const snapshot = fake.images.find((i) => i.id === image.id)!.disks![0].snapshotId;
    // Another repository's role: refused, nothing deleted.
    const other = loadPolicy('someone/else');
    fake.authorize = (checks) => evaluate(other, checks);
    await expect(fake.call('DeregisterImage', { ImageId: image.id })).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
      message: expect.stringMatching(/ec2:DeregisterImage on arn:aws:ec2:us-east-1::image\/ami-\S+: no statement/),
    });
    await expect(fake.call('DeleteSnapshot', { SnapshotId: snapshot })).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    // This repository's role: an OS image and an AMI of the account without a bake key are refused.
    fake.authorize = (checks) => evaluate(policy, checks);
    await expect(fake.call('DeregisterImage', { ImageId: 'ami-0aaaaaaaaaaaaaaa4' })).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    const unbaked = fake.images.find((i) => i.id === images[1].id)!;
    delete unbaked.tags![Tags.BakeKey];
    await expect(fake.call('DeregisterImage', { ImageId: unbaked.id })).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    // Its own baked image: deregistered, then its snapshot deleted.
    await fake.call('DeregisterImage', { ImageId: image.id });
    await fake.call('DeleteSnapshot', { SnapshotId: snapshot });
    expect(fake.snapshots.has(snapshot)).toBe(false);
  });
});
