// The outputs as a workflow sees them: written by @actions/core (actionsIo) into the runner's
// GITHUB_OUTPUT file and read back in its name<<delimiter format; the admin password masked in the
// log (::add-mask::) before anything else and present in the file; the files the outputs name.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { actionsIo } from '../../src/core/io';
import { Outputs } from '../../src/core/names';
import { buildPlan } from '../../src/plan/plan';
import type { Environment } from '../../src/provider';
import { dashboardUrl } from '../../src/report/credentials';
import { externalAddressesOutput, publishOutputs } from '../../src/report/outputs';
import { Timings } from '../../src/report/timings';
import type { CheckResult } from '../../src/smoke/types';
import { settingsFrom } from '../helpers/inputs';

const PASSWORD = 'Hk3Jd8Lq2Wz7Xv4Nb9Mc1Rt6';
// A certificate, not a secret: the files must carry it as given (its bytes do not matter here).
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBbTCCARSgAwIBAgIQQ2Ex\n-----END CERTIFICATE-----\n';

/** Parses the runner's file-command format: name<<DELIM \n value \n DELIM. */
function readOutputFile(file: string): Record<string, string> {
  const text = fs.readFileSync(file, 'utf8');
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(ghadelimiter_[0-9a-f-]+)\n([\s\S]*?)\n\2\n/gm;
  for (const m of text.matchAll(re)) out[m[1]] = m[3];
  return out;
}

describe('publishOutputs through actionsIo', () => {
  let dir: string;
  let outputFile: string;
  let stdout: string;
  const savedEnv = { ...process.env };
  let spy: jest.SpyInstance;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outputs-'));
    outputFile = path.join(dir, 'github_output');
    fs.writeFileSync(outputFile, '');
    process.env.GITHUB_OUTPUT = outputFile;
    stdout = '';
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
  });

  afterEach(() => {
    spy.mockRestore();
    process.env = { ...savedEnv };
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes every output; the password is masked first and lands only in the output file and the 0600 credential files', async () => {
    const keyPath = path.join(dir, 'id_ed25519');
    fs.writeFileSync(keyPath, 'not a real key\n', { mode: 0o644 });
    const env: Environment = {
      stackId: 'out1',
      nodes: [
        { name: 'controller', instanceId: 'i-0123456789abcdef0', managementIp: '10.42.0.11', nics: [] },
        { name: 'compute1', instanceId: 'i-0123456789abcdef1', managementIp: '10.42.0.21', nics: [] },
      ],
      controllerPublicIp: '198.51.100.12',
      sshPort: 22,
      routerPublicIp: '198.51.100.11',
      // The default fix (routed): the router gateway's elastic IP and one floating address's.
      poolElasticIps: { '10.42.1.100': '198.51.100.11', '10.42.1.101': '198.51.100.13' },
      sshUser: 'ubuntu',
      privateKeyPath: keyPath,
    };
    const plan = buildPlan(settingsFrom({ 'stack-id': 'out1' }), { now: new Date('2026-11-21T16:30:00Z') });
    const timings = new Timings();
    timings.record('provision', 'instances', 90);
    timings.record('stage', 'controller:keystone', 43.25);
    timings.record('check', 'keystone-token', 1.5);
    const results: CheckResult[] = [
      { id: 'keystone-token', name: 't', status: 'passed', seconds: 1.5, startedAt: 0, notes: [] },
      {
        id: 'router-ping',
        name: 'p',
        status: 'failed',
        seconds: 6,
        startedAt: 0,
        notes: [],
        failure: { message: 'm', command: 'c', output: 'o', hint: 'h' },
      },
    ];
    const workDir = path.join(dir, 'work');
    await publishOutputs({
      plan,
      env,
      io: actionsIo(),
      workDir,
      adminPassword: PASSWORD,
      caCertPem: CA_PEM,
      results,
      junitPath: '/tmp/x.xml',
      timings,
    });

    // masked before any other line, and never printed otherwise
    expect(stdout.split('\n')[0]).toBe(`::add-mask::${PASSWORD}`);
    expect(stdout.split(PASSWORD).length).toBe(2);

    const o = readOutputFile(outputFile);
    expect(o[Outputs.AdminPassword]).toBe(PASSWORD);
    expect(o).toMatchObject({
      [Outputs.StackId]: 'out1',
      [Outputs.AuthUrl]: 'https://198.51.100.12:13000/v3',
      [Outputs.DashboardUrl]: 'https://198.51.100.12/horizon',
      [Outputs.ControllerIp]: '198.51.100.12',
      [Outputs.CloudsYaml]: path.join(workDir, 'clouds.yaml'),
      [Outputs.Openrc]: path.join(workDir, 'admin-openrc.sh'),
      [Outputs.SshKeyPath]: keyPath,
      [Outputs.SmokeResult]: 'failed',
      [Outputs.JunitPath]: '/tmp/x.xml',
    });
    expect(JSON.parse(o[Outputs.InstanceIds])).toEqual({
      controller: 'i-0123456789abcdef0',
      compute1: 'i-0123456789abcdef1',
    });
    // All recorded as ending now (within milliseconds): the longest, 90 s, is the wall clock.
    expect(JSON.parse(o[Outputs.Timings]).wallSeconds).toBeCloseTo(90, 1);
    expect(JSON.parse(o[Outputs.Timings])).toEqual({
      provision: { instances: 90 },
      stage: { 'controller:keystone': 43.25 },
      netfix: {},
      check: { 'keystone-token': 1.5 },
      bake: {},
      teardown: {},
      totalSeconds: 134.75,
      wallSeconds: expect.any(Number),
      wallSecondsByKind: { provision: 90, stage: 43.25, check: 1.5 },
    });
    expect(JSON.parse(o[Outputs.PortForwards])).toEqual([
      {
        name: 'smoke-ssh',
        address: '198.51.100.11:522',
        host: '198.51.100.11',
        port: 522,
        targetPort: 22,
        description: 'SSH to the smoke-test instance',
      },
    ]);
    // The default fix (routed) has a pool of 4: the router's gateway, then floating addresses.
    expect(JSON.parse(o[Outputs.ExternalAddresses])).toEqual([
      { address: '10.42.1.100', use: 'router-gateway', publicIp: '198.51.100.11' },
      { address: '10.42.1.101', use: 'floating', publicIp: '198.51.100.13' },
      { address: '10.42.1.102', use: 'floating', publicIp: null },
      { address: '10.42.1.103', use: 'floating', publicIp: null },
    ]);

    for (const f of [o[Outputs.CloudsYaml], o[Outputs.Openrc], keyPath])
      expect(fs.statSync(f).mode & 0o777).toBe(0o600);

    // clouds.yaml as openstacksdk reads it (YAML), openrc as a shell sources it
    const cloud = JSON.parse(
      execFileSync('python3', [
        '-c',
        'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))',
        o[Outputs.CloudsYaml],
      ]).toString(),
    );
    expect(cloud).toEqual({
      clouds: {
        'openstack-on-aws': {
          auth: {
            auth_url: 'https://198.51.100.12:13000/v3',
            username: 'admin',
            password: PASSWORD,
            project_name: 'admin',
            user_domain_name: 'Default',
            project_domain_name: 'Default',
          },
          region_name: 'RegionOne',
          identity_api_version: 3,
          interface: 'public',
          cacert: path.join(workDir, 'ca.pem'),
        },
      },
    });
    const sourced = execFileSync(
      'bash',
      [
        '-c',
        '. "$1"; [ "$OS_PASSWORD" = "$EXPECTED" ] && echo "$OS_USERNAME $OS_PROJECT_NAME $OS_AUTH_URL $OS_REGION_NAME $OS_CACERT"',
        'x',
        o[Outputs.Openrc],
      ],
      {
        env: { PATH: process.env.PATH, EXPECTED: PASSWORD },
      },
    ).toString();
    expect(sourced.trim()).toBe(`admin admin https://198.51.100.12:13000/v3 RegionOne ${path.join(workDir, 'ca.pem')}`);
    // The CA certificate both point at: the stack's, as given (public: 0644).
    expect(fs.readFileSync(path.join(workDir, 'ca.pem'), 'utf8')).toBe(CA_PEM);
    expect(fs.statSync(path.join(workDir, 'ca.pem')).mode & 0o777).toBe(0o644);
  });
});

it('the dashboard is /dashboard on the RHEL family and /horizon elsewhere', () => {
  const e = { controllerPublicIp: '198.51.100.12' };
  expect(dashboardUrl({ os: { family: 'rhel', id: 'rocky-9', label: 'Rocky 9', sshUser: 'rocky' } }, e)).toBe(
    'https://198.51.100.12/dashboard',
  );
  expect(dashboardUrl({ os: { family: 'debian', id: 'debian-12', label: 'Debian 12', sshUser: 'admin' } }, e)).toBe(
    'https://198.51.100.12/horizon',
  );
});

it('external-addresses: the routed pool in order, each with its elastic IP or null', () => {
  const plan = buildPlan(
    settingsFrom({
      'stack-id': 'out2',
      'network-fix': 'routed',
      'external-pool-size': '4',
      'floating-elastic-ips': '1',
    }),
    { now: new Date('2026-11-21T16:30:00Z') },
  );
  const pool = plan.networks.external.pool;
  expect(pool.map((p) => p.use)).toEqual(['router-gateway', 'floating', 'floating', 'floating']);
  const env = {
    routerPublicIp: '198.51.100.11',
    poolElasticIps: { [pool[0].ip]: '198.51.100.11', [pool[1].ip]: '198.51.100.13' },
  } as unknown as Environment;
  expect(externalAddressesOutput(plan, env)).toEqual([
    { address: pool[0].ip, use: 'router-gateway', publicIp: '198.51.100.11' },
    { address: pool[1].ip, use: 'floating', publicIp: '198.51.100.13' },
    { address: pool[2].ip, use: 'floating', publicIp: null },
    { address: pool[3].ip, use: 'floating', publicIp: null },
  ]);
  // Exactly the addresses the plan gives an elastic IP are the ones the provider mapped.
  expect(pool.filter((p) => p.elasticIp).map((p) => p.ip)).toEqual([pool[0].ip, pool[1].ip]);
  // The seeds' fix has no pool: nothing to make a floating IP on.
  const seeds = buildPlan(settingsFrom({ 'stack-id': 'out2', 'network-fix': 'seeds' }), {
    now: new Date('2026-11-21T16:30:00Z'),
  });
  expect(externalAddressesOutput(seeds, env)).toEqual([]);
});
