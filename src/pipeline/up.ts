// mode: up — provision → install stages → network fix → smoke checks → report. Each phase is the
// module that owns it; this file only orders them, times them, keeps the outcome in the action's
// state for the post step, and collects the log bundle when something failed.

import * as fs from 'fs';
import * as path from 'path';
import { createdNothing, errorMessage } from '../core/errors';
import type { Settings } from '../settings/inputs';
import type { Io } from '../core/io';
import { stateLedger } from './ledger';
import { States, Tags } from '../core/names';
import { applyNetworkFix, describeVerify, hostFixInputs, verifyNetworkFix } from '../netfix';
import type { Plan } from '../plan/types';
import type { Environment, Provider } from '../provider';
import { closeAll, connectEnvironment } from '../remote/connect';
import { renderNodeSettings } from '../remote/node-settings';
import type { SshSession } from '../remote/session';
import { runStages } from '../remote/stage-runner';
import { costBasisOf } from '../report/cost';
import { ArtifactUploader, artifactUploaderFromEnv, publishLogBundle } from '../report/artifact-upload';
import { collectLogBundle } from '../report/log-bundle';
import { notifyPrUp } from '../report/pr-notify';
import { keepTimings, recordCheckTimings, reportUp, shouldCollectLogs } from '../report/report-run';
import { Timings } from '../report/timings';
import { generateStackSecrets, StackSecrets } from '../core/secrets';
import { generateHostKeys, pinnedHostKeys } from '../core/host-keys';
import { issueStackTls, StackTls } from '../core/tls';
import { installTlsFiles, tlsAddresses } from '../remote/tls-files';
import { PRIVATE_KEY_FILE } from '../core/work-files';
import { ADMIN_OPENRC } from '../core/node-paths';
import { runSmokeChecks, smokeResult } from '../smoke/run';
import type { CheckResult, TcpConnect } from '../smoke/types';
import type { UpOutcome } from './teardown-policy';
import { bakeStack, bootedFromOutput, findBootImages, planToRun } from './bake';
import { bakeKey } from '../bake/key';
import { Outputs } from '../core/names';

export interface UpDeps {
  provider: Provider;
  /** Private directory on the runner for the key, credentials, JUnit and log bundle. */
  workDir: string;
  /** Directory holding lib.sh and the stage scripts (dist/stages next to the bundle). */
  stagesDir: string;
  /** Runner-side TCP connect for the port-forward check (tests inject one). */
  tcpConnect?: TcpConnect;
  /** Where the log bundle is uploaded. Default: the workflow's artifact service when this runs as the action. */
  artifactUploader?: ArtifactUploader;
}

function saveOutcome(io: Io, outcome: UpOutcome): void {
  io.saveState(States.UpOutcome, outcome);
}

function secretValues(secrets: StackSecrets): string[] {
  return [...Object.values(secrets.passwords), secrets.sshKey.privateKey];
}

export async function runUp(io: Io, settings: Settings, plan: Plan, deps: UpDeps): Promise<void> {
  fs.mkdirSync(deps.workDir, { recursive: true, mode: 0o700 });
  io.saveState(States.WorkDir, deps.workDir);
  const timings = new Timings();
  io.saveState(States.StartedAt, new Date().toISOString());
  const cost = costBasisOf(plan);
  io.saveState(States.CostBasis, JSON.stringify(cost));
  // Masked before anything else can see them.
  const secrets = generateStackSecrets(plan.stackId, (s) => io.setSecret(s));
  const hostKeys = generateHostKeys(
    plan.stackId,
    plan.nodes.map((n) => n.name),
    (s) => io.setSecret(s),
  );
  const privateKeyPath = path.join(deps.workDir, PRIVATE_KEY_FILE);
  fs.writeFileSync(privateKeyPath, secrets.sshKey.privateKey, { mode: 0o600 });
  const ledger = stateLedger(io);

  saveOutcome(io, 'provisioning');
  let env: Environment;
  let run = plan;
  // Both moments of baked images need it (read the stage files once); a run with neither reads none.
  const key = settings.imageCache === 'auto' || settings.bake ? bakeKey(plan, deps.stagesDir) : '';
  try {
    // image-cache auto: one baked image per role of this stack's key, or a cold install.
    const boot = await timings.time('provision', 'baked image lookup', () =>
      findBootImages(io, settings, plan, deps.provider, key),
    );
    io.setOutput(Outputs.BootedFrom, bootedFromOutput(boot));
    run = planToRun(plan, boot);
    // A cancelled run gets SIGINT/SIGTERM: stop creating at once; the post step deletes what exists.
    const cancel = new AbortController();
    const onSignal = () => cancel.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      env = await timings.time('provision', `${plan.provider} up`, () =>
        deps.provider.up(plan, {
          io,
          ledger,
          sshPublicKey: secrets.sshKey.publicKey,
          hostKeys,
          privateKeyPath,
          signal: cancel.signal,
          bootImages: boot,
        }),
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } catch (err) {
    saveOutcome(io, createdNothing(err) ? 'refused' : 'provisioning-failed');
    keepTimings(io, timings);
    throw err;
  }
  saveOutcome(io, 'provisioned');
  for (const step of deps.provider.upSteps?.() ?? [])
    timings.record('provision', step.name, step.seconds, step.startedAt, `${plan.provider} up`);
  io.info(`Provisioned ${env.nodes.length} node(s); controller at ${env.controllerPublicIp}`);

  let sessions: Map<string, SshSession> | undefined;
  let results: CheckResult[] | undefined;
  let failure: unknown;
  let tls: StackTls | undefined;
  try {
    // The controller's certificate names the elastic IP, known only now.
    tls = await timings.time('provision', 'tls certificates', () =>
      issueStackTls({
        stackId: plan.stackId,
        ipAddresses: tlsAddresses(plan, env),
        notAfter: new Date(plan.expiresAt),
        mask: (s) => io.setSecret(s),
        workDir: deps.workDir,
      }),
    );
    const stackTls = tls;
    const settingsFor = (node: string) => renderNodeSettings(plan, env, secrets, node);
    sessions = await timings.time('provision', 'ssh ready', () =>
      connectEnvironment(env, { privateKey: secrets.sshKey.privateKey, hostKeys: pinnedHostKeys(hostKeys), io }),
    );
    const open = sessions;
    const session = (node: string) => {
      const s = open.get(node);
      if (!s) throw new Error(`no SSH session for node ${node}`);
      return s;
    };
    await installTlsFiles(session('controller'), stackTls);
    await runStages({
      plan: run,
      sessions: session,
      io,
      stagesDir: deps.stagesDir,
      settingsFor,
      onStageDone: (t) => timings.record('stage', t.id, t.seconds, t.startedAt),
      secrets: secretValues(secrets),
    });
    const controller = session('controller');
    // The smoke instance gets a fixed address, so the port-forward can point at it before it exists.
    const instanceIp = plan.smoke ? plan.networks.tenant.smokeInstanceIp : undefined;
    const fix = await timings.time('netfix', 'apply', () =>
      applyNetworkFix({ plan, env, controller, io, instanceIp, adminRc: ADMIN_OPENRC }),
    );
    const verdict = await timings.time('netfix', 'verify', () =>
      verifyNetworkFix({ controller, inputs: hostFixInputs(plan, env, fix.neutron.qrouterNamespace, instanceIp) }),
    );
    io.info(describeVerify(verdict));
    if (!verdict.ok) throw new Error(describeVerify(verdict));
    if (plan.checks.length > 0) {
      results = await runSmokeChecks({
        plan,
        env,
        controller,
        io,
        adminOpenrcPath: ADMIN_OPENRC,
        publicAccess: { caPem: stackTls.caCertPem, adminPassword: secrets.passwords.admin },
        secrets: secretValues(secrets),
        connect: deps.tcpConnect,
      });
      recordCheckTimings(timings, results);
      if (smokeResult(results) === 'failed') {
        const failed = results.filter((r) => r.status === 'failed').map((r) => r.id);
        failure = new Error(
          `smoke checks failed: ${failed.join(', ')} (details in the JUnit report and the job summary)`,
        );
      }
    }
    if (settings.bake && failure === undefined) {
      if (run !== plan) {
        io.info('bake: this stack booted baked images of its own key; they are current, nothing new to bake');
      } else {
        await timings.time('bake', 'images', () =>
          bakeStack({
            io,
            settings,
            plan,
            env,
            provider: deps.provider,
            sessions: session,
            stagesDir: deps.stagesDir,
            key,
            settingsFor,
            secrets: secretValues(secrets),
            onStageDone: (t) => timings.record('bake', t.id, t.seconds, t.startedAt, 'images'),
          }),
        );
      }
    }
  } catch (err) {
    failure = err;
  }
  // Outputs and summary also after a failure: the controller's address, the key and the timeline
  // are what a user needs to look at a broken cloud.
  try {
    await reportUp({
      plan,
      env,
      io,
      workDir: deps.workDir,
      adminPassword: secrets.passwords.admin,
      caCertPem: tls?.caCertPem,
      results,
      timings,
      secrets: secretValues(secrets),
    });
    await notifyPrUp(io, settings, plan, env, results ? smokeResult(results) : 'skipped');
  } catch (err) {
    io.warning(`could not publish every output: ${errorMessage(err)}`);
  }
  saveOutcome(io, failure ? 'failed' : 'succeeded');
  if (shouldCollectLogs(settings.logBundle, failure !== undefined)) {
    const bundle = await collectLogsQuietly(io, plan, env, sessions, deps, secrets);
    if (bundle) {
      await publishLogBundle(io, {
        stackId: plan.stackId,
        file: bundle,
        uploader: deps.artifactUploader ?? artifactUploaderFromEnv(process.env),
        runAttempt: plan.tags[Tags.RunAttempt],
      });
    }
  }
  if (sessions) await closeAll(sessions);
  if (failure !== undefined) throw failure;
}

async function collectLogsQuietly(
  io: Io,
  plan: Plan,
  env: Environment,
  sessions: Map<string, SshSession> | undefined,
  deps: Pick<UpDeps, 'provider' | 'workDir'>,
  secrets: StackSecrets,
): Promise<string | undefined> {
  const { provider } = deps;
  const nodeOf = (name: string) => env.nodes.find((n) => n.name === name);
  try {
    const bundle = await collectLogBundle({
      plan,
      sessions: sessions ? [...sessions.values()] : [],
      io,
      workDir: deps.workDir,
      env,
      secrets: secretValues(secrets),
      consoleOutput: provider.consoleOutput
        ? async (name) => {
            const node = nodeOf(name);
            if (!node) throw new Error(`${name} was never created`);
            return provider.consoleOutput!(plan.stackId, node, io);
          }
        : undefined,
    });
    return bundle.path;
  } catch (err) {
    // The bundle is a diagnostic aid: failing to collect it must not hide the real failure.
    io.warning(`could not collect the log bundle: ${errorMessage(err)}`);
    return undefined;
  }
}
