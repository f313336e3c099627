// Shared set-up for the EC2 provider tests: Settings and a Plan for a topology, a recording Io, a
// ledger, and a provider wired to a FakeEc2 on virtual time.

import { Settings } from '../../../src/settings/inputs';
import type { Io } from '../../../src/core/io';
import { Inputs, InputName, Tags } from '../../../src/core/names';
import { buildPlan } from '../../../src/plan/plan';
import type { Plan } from '../../../src/plan/types';
import type { Ticker } from '../../../src/core/progress';
import type { Provider, ResourceLedger, ResourceRecord, RunScope } from '../../../src/provider';
import type { BootImages } from '../../../src/bake/types';
import { createAwsProvider } from '../../../src/aws/provider';
import { generateHostKeys } from '../../../src/core/host-keys';
import type { SshKeyPair } from '../../../src/core/secrets';
import { FakeEc2, FakeEc2Options } from '../../helpers/fake-ec2';
import { evaluate, loadPolicy, PolicyDocument } from '../../helpers/iam-eval';
import { settingsFrom } from '../../helpers/inputs';

export const PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake test@openstack-on-aws';
export const RUNNER_IP = '203.0.113.1';
export const REPOSITORY = 'octo/repo';

/** "Sid ec2:Action" of every grant of policy/iam-policy.json that allowed a call of a rig in this test file. */
export const policyGrantsUsed = new Set<string>();
let policy: PolicyDocument | undefined;

/** Every rig's fake answers as an account whose role has policy/iam-policy.json filled for REPOSITORY. */
function underPolicy(fake: FakeEc2): void {
  if (fake.authorize) return;
  policy ??= loadPolicy(REPOSITORY);
  const doc = policy;
  fake.authorize = (checks) => evaluate(doc, checks, policyGrantsUsed);
}

export interface Recorded extends Io {
  lines: string[];
}

export function recordingIo(): Recorded {
  const lines: string[] = [];
  const state: Record<string, string> = {};
  return {
    lines,
    getInput: () => '',
    setOutput: (n, v) => lines.push(`output ${n}=${v}`),
    setSecret: () => undefined,
    saveState: (n, v) => (state[n] = v),
    getState: (n) => state[n] ?? '',
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    group: (_t, fn) => fn(),
    summary: async () => undefined,
    setFailed: (m) => lines.push(`failed: ${m}`),
  };
}

export function memoryLedger(): ResourceLedger & { records: ResourceRecord[] } {
  const records: ResourceRecord[] = [];
  return {
    records,
    record: (r) => {
      if (!records.some((x) => x.kind === r.kind && x.id === r.id)) records.push(r);
    },
    list: () => [...records],
  };
}

/** Heartbeats on the fake's virtual time, so long waits print their progress lines in tests too. */
export function virtualTicker(fake: FakeEc2): Ticker {
  return {
    every(ms, fn) {
      let stopped = false;
      void (async () => {
        while (!stopped) {
          await fake.clock.sleep(ms);
          if (!stopped) fn();
        }
      })();
      return () => {
        stopped = true;
      };
    },
    now: fake.clock.now,
  };
}

export interface Rig {
  fake: FakeEc2;
  settings: Settings;
  plan: Plan;
  provider: Provider;
  io: Recorded;
  ledger: ReturnType<typeof memoryLedger>;
  /** The host keys the run hands its instances (cloud-init's ssh_keys in their user-data). */
  hostKeys: Record<string, SshKeyPair>;
  /** up; with bootImages, the nodes boot those baked images (what image-cache auto hands it). */
  up(signal?: AbortSignal, bootImages?: BootImages): ReturnType<Provider['up']>;
  /** mode: down — the whole stack. */
  down(known?: ResourceRecord[]): ReturnType<Provider['down']>;
  /** The post step's teardown: only what this run created (its run id, attempt and created-at tags). */
  postDown(known?: ResourceRecord[]): ReturnType<Provider['down']>;
  /** A fresh provider on the same fake (what the post step is: a new process). */
  freshProvider(): Provider;
}

export function rig(
  inputs: Partial<Record<InputName, string>> = {},
  fakeOptions: FakeEc2Options = {},
  fake = new FakeEc2(fakeOptions),
  run: { runId: string; runAttempt: string } = { runId: '42', runAttempt: '1' },
): Rig {
  const settings = settingsFrom({ [Inputs.StackId]: 'unit-stack', [Inputs.Region]: 'us-east-1', ...inputs });
  underPolicy(fake);
  const plan = buildPlan(settings, {
    now: new Date(fake.clock.now()),
    repository: REPOSITORY,
    ...run,
  });
  const scope: RunScope = {
    tags: { [Tags.RunId]: run.runId, [Tags.RunAttempt]: run.runAttempt, [Tags.CreatedAt]: plan.createdAt },
  };
  const io = recordingIo();
  const ledger = memoryLedger();
  const make = () =>
    createAwsProvider(settings, {
      client: fake.client(),
      sleep: fake.clock.sleep,
      now: fake.clock.now,
      fetchRunnerIp: async () => RUNNER_IP,
      random: () => 0.5,
      ticker: virtualTicker(fake),
    });
  const provider = make();
  const hostKeys = generateHostKeys(
    plan.stackId,
    plan.nodes.map((n) => n.name),
    () => undefined,
  );
  return {
    hostKeys,
    fake,
    settings,
    plan,
    provider,
    io,
    ledger,
    up: (signal, bootImages) =>
      provider.up(plan, {
        io,
        ledger,
        sshPublicKey: PUBLIC_KEY,
        hostKeys,
        privateKeyPath: '/tmp/unit-stack/id_ed25519',
        signal,
        ...(bootImages ? { bootImages } : {}),
      }),
    down: (known = ledger.list()) => make().down(settings.stackId, { io, known }),
    postDown: (known = ledger.list()) => make().down(settings.stackId, { io, known, run: scope }),
    freshProvider: make,
  };
}
