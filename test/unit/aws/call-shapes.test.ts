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
import { createEc2Client } from '../../../src/aws/client';
import { createAwsProvider } from '../../../src/aws/provider';
import { deadMansSwitch } from '../../../src/aws/user-data';
import { InputError } from '../../../src/core/errors';
import { Inputs, Tags } from '../../../src/core/names';
import { buildPlan } from '../../../src/plan/plan';
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
