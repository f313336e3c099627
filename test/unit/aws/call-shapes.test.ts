// The shapes of the EC2 calls that carry the security defaults, read through aws-sdk-client-mock:
// IMDSv2 required, encrypted gp3, DeleteOnTermination on every interface, terminate on shutdown,
// no secret in user-data or tags; and the client's region and endpoint.

import {
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  ImportKeyPairCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
  RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createEc2Client, ec2ClientConfig } from '../../../src/aws/client';
import { createAwsProvider } from '../../../src/aws/provider';
import { deadMansSwitch } from '../../../src/aws/user-data';
import { InputError } from '../../../src/core/errors';
import { Inputs, Tags } from '../../../src/core/names';
import { buildPlan } from '../../../src/plan/plan';
import { FakeEc2 } from '../../helpers/fake-ec2';
import { settingsFrom } from '../../helpers/inputs';
import { memoryLedger, PUBLIC_KEY, recordingIo, rig } from './harness';

describe('RunInstances', () => {
  it('carries the security defaults on every instance', async () => {
    const r = rig({ [Inputs.Topology]: 'full' });
    await r.up();
    const launches = r.fake
      .mock!.commandCalls(RunInstancesCommand)
      .map((c) => c.args[0].input as RunInstancesCommandInput);
    expect(launches).toHaveLength(r.plan.nodes.length);
    for (const input of launches) {
      const node = r.plan.nodes.find(
        (n) =>
          n.instanceType === input.InstanceType &&
          input.TagSpecifications?.[0].Tags?.some((t) => t.Key === Tags.Node && t.Value === n.name),
      )!;
      expect(node).toBeDefined();
      expect(input.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
      expect(input.InstanceInitiatedShutdownBehavior).toBe('terminate');
      expect(input.BlockDeviceMappings).toHaveLength(node.disks.length);
      for (const [i, m] of (input.BlockDeviceMappings ?? []).entries())
        expect(m.Ebs).toEqual({
          VolumeType: 'gp3',
          Encrypted: true,
          DeleteOnTermination: true,
          VolumeSize: node.disks[i].sizeGiB,
        });
      expect(input.NetworkInterfaces?.map((n) => n.DeviceIndex)).toEqual(node.nics.map((n) => n.deviceIndex));
      expect(input.KeyName).toBe('openstack-on-aws-unit-stack');
      expect(input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
      const userData = Buffer.from(input.UserData!, 'base64').toString('utf8');
      expect(userData).toContain('shutdown -h');
      expect(userData).toContain(String(Math.floor(Date.parse(r.plan.expiresAt) / 1000)));
      // The one secret it carries is this node's own host key (cloud-init's ssh_keys), nothing else.
      const hostKeyLines = new Set(r.hostKeys[node.name].privateKey.split('\n').filter((l) => l));
      const rest = userData.split('\n').filter((l) => !hostKeyLines.has(l.trim()));
      expect(rest.length).toBe(userData.split('\n').length - hostKeyLines.size);
      expect(rest.join('\n')).not.toMatch(/PRIVATE KEY|password|secret/i);
      expect(userData).not.toContain(PUBLIC_KEY.split(' ')[1]);
    }
  });

  it('sets DeleteOnTermination explicitly on every interface of every instance', async () => {
    const r = rig({ [Inputs.Topology]: 'full' });
    await r.up();
    const attachments = r.fake
      .mock!.commandCalls(ModifyNetworkInterfaceAttributeCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.Attachment);
    const interfaces = r.plan.nodes.reduce((n, node) => n + node.nics.length, 0);
    expect(attachments).toHaveLength(interfaces);
    for (const a of attachments)
      expect(a.Attachment).toMatchObject({
        DeleteOnTermination: true,
        AttachmentId: expect.stringMatching(/^eni-attach-/),
      });
    expect(new Set(attachments.map((a) => a.NetworkInterfaceId)).size).toBe(interfaces);
  });

  it('sends only the public half of the key, and no tag holds a secret', async () => {
    const r = rig();
    await r.up();
    const [imported] = r.fake.mock!.commandCalls(ImportKeyPairCommand).map((c) => c.args[0].input);
    expect(Buffer.from(imported.PublicKeyMaterial!).toString('utf8')).toBe(PUBLIC_KEY);
    const everything = JSON.stringify(r.fake.calls.map((c) => c.input));
    expect(everything).not.toContain('PRIVATE KEY');
    const tagValues = r.fake.calls.flatMap((c) =>
      ((c.input.TagSpecifications as Array<{ Tags: Array<{ Value: string }> }>) ?? []).flatMap((s) =>
        s.Tags.map((t) => t.Value),
      ),
    );
    expect(new Set(tagValues)).toEqual(
      new Set([
        ...Object.values(r.plan.tags),
        ...tagValues.filter((v) => /^openstack-on-aws-unit-stack|^(controller|compute1)$/.test(v)),
      ]),
    );
  });
});

describe('preflight with a plain aws-sdk-client-mock', () => {
  it('refuses an arm64 type before creating anything', async () => {
    const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(client);
    mock.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: ['m7i.xlarge', 'm8i.xlarge'].map((t) => ({
        InstanceType: t as 'm7i.xlarge',
        NetworkInfo: { MaximumNetworkInterfaces: 4 },
        ProcessorInfo: {
          SupportedArchitectures: [t === 'm8i.xlarge' ? 'arm64' : 'x86_64'],
          SupportedFeatures: ['nested-virtualization'],
        },
      })),
    });
    mock.on(DescribeInstanceTypeOfferingsCommand).resolves({ InstanceTypeOfferings: [] });
    mock.on(DescribeImagesCommand).resolves({ Images: [] });
    const settings = settingsFrom({ [Inputs.StackId]: 'shape' });
    const plan = buildPlan(settings, { now: new Date('2026-01-01T00:00:00Z') });
    const provider = createAwsProvider(settings, {
      client,
      sleep: async () => undefined,
      fetchRunnerIp: async () => '203.0.113.1',
    });
    const ledger = memoryLedger();
    await expect(
      provider.up(plan, { io: recordingIo(), ledger, sshPublicKey: PUBLIC_KEY, hostKeys: {}, privateKeyPath: '/x' }),
    ).rejects.toBeInstanceOf(InputError);
    expect(mock.commandCalls(CreateVpcCommand)).toHaveLength(0);
    expect(mock.commandCalls(ImportKeyPairCommand)).toHaveLength(0);
    expect(ledger.records).toEqual([]);
  });
});

describe('the EC2 client', () => {
  it('takes the region from Settings and the endpoint from ec2-endpoint (or AWS_ENDPOINT_URL_EC2)', async () => {
    const fromInput = settingsFrom({ [Inputs.Region]: 'eu-central-1', [Inputs.Ec2Endpoint]: 'http://127.0.0.1:4566' });
    const client = createEc2Client(fromInput);
    expect(await client.config.region()).toBe('eu-central-1');
    const endpoint = await client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:4566');

    const fromEnv = settingsFrom({}, { env: { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:5000' } });
    const envEndpoint = await createEc2Client(fromEnv).config.endpoint!();
    expect(Number(envEndpoint.port)).toBe(5000);
  });
});

describe('retries', () => {
  it('the SDK sends each request once in standard mode; throttled calls wait in our own back-off alone', async () => {
    const config = ec2ClientConfig(settingsFrom({ [Inputs.Region]: 'us-east-1' }));
    const client = createEc2Client(settingsFrom({ [Inputs.Region]: 'us-east-1' }));
    expect(await client.config.maxAttempts()).toBe(1);
    expect((await client.config.retryStrategy()) as unknown).toMatchObject({ mode: 'standard' });

    // Through the SDK's real middleware stack (its retry strategy included), with the same config.
    const fake = new FakeEc2({ sdkConfig: config, latencyMs: 100 });
    let refused = 0;
    fake.throttle = (op) => op === 'CreateVpc' && refused++ < 3;
    const r = rig({}, {}, fake);
    await r.up();
    const vpcCalls = fake.calls.filter((c) => c.op === 'CreateVpc');
    expect(vpcCalls.map((c) => c.error)).toEqual([
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      undefined,
    ]);
    expect(r.io.lines.filter((l) => /^EC2 CreateVpc: RequestLimitExceeded, retrying in/.test(l))).toHaveLength(3);
    // The calls that do not wait for the VPC were not slowed: they went out with the first attempt.
    const first = vpcCalls[0].at;
    for (const op of ['CreateInternetGateway', 'ImportKeyPair', 'AllocateAddress'])
      expect(fake.calls.find((c) => c.op === op)!.at).toBe(first);
  });

  it('every create EC2 takes a ClientToken for carries one, the same on a resend, another in another run', async () => {
    const tokens = async (attempt: string) => {
      const r = rig({}, {}, new FakeEc2(), { runId: '42', runAttempt: attempt });
      r.fake.throttle = (op, n) => n % 5 === 0 && /^(RunInstances|CreateNetworkInterface|CreateRouteTable)$/.test(op);
      await r.up();
      const sent = r.fake.calls.filter((c) => /^(RunInstances|CreateNetworkInterface|CreateRouteTable)$/.test(c.op));
      for (const c of sent) expect(c.input.ClientToken).toMatch(/^[0-9a-f]{64}$/);
      // A resend (after throttling) repeats its token: one distinct token per resource.
      const created = r.fake.calls.filter((c) => sent.includes(c) && !c.error).length;
      expect(new Set(sent.map((c) => c.input.ClientToken)).size).toBe(created);
      expect(r.fake.errorsOf('RequestLimitExceeded').length).toBeGreaterThan(0);
      return new Set(sent.map((c) => String(c.input.ClientToken)));
    };
    const one = await tokens('1');
    const two = await tokens('2');
    expect([...one].filter((t) => two.has(t))).toEqual([]);
  });
});

describe("the dead-man's switch", () => {
  it('schedules shutdown -h for the expiry when it runs (with a stand-in shutdown)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oooa-deadman-'));
    try {
      const expires = new Date(Date.now() + 90 * 60_000).toISOString();
      const script = deadMansSwitch('unit-stack', expires);
      // The per-boot script it installs, run as cloud-init would, with `shutdown` recording its arguments.
      const arm = script.slice(script.indexOf("<<'ARM'\n") + 8, script.indexOf('ARM\nchmod'));
      fs.writeFileSync(path.join(dir, 'arm.sh'), arm);
      fs.writeFileSync(path.join(dir, 'shutdown'), `#!/bin/sh\necho "$@" > ${dir}/called\n`, { mode: 0o755 });
      execFileSync('sh', [path.join(dir, 'arm.sh')], { env: { PATH: `${dir}:/usr/bin:/bin` } });
      const called = fs.readFileSync(path.join(dir, 'called'), 'utf8');
      const minutes = Number(/^-h \+(\d+) /.exec(called)?.[1]);
      expect(minutes).toBeGreaterThanOrEqual(89);
      expect(minutes).toBeLessThanOrEqual(91);
      expect(script).not.toMatch(/PRIVATE|password/i);
      execFileSync('sh', ['-n', '-c', script]);
      fs.writeFileSync(path.join(dir, 'user-data.sh'), script);
      execFileSync('shellcheck', ['-s', 'sh', path.join(dir, 'user-data.sh'), path.join(dir, 'arm.sh')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
