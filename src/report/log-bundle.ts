// The failure log bundle: every node's diagnostics (collect-logs.sh), the EC2 console output, masked
// for secrets (Tempest's files for secret-shaped values too) and packed into one tar.gz on the
// runner. Its path is the `log-bundle` output; artifact-upload.ts uploads it as a workflow artifact
// when running as the action.

import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { errorMessage } from '../core/errors';
import type { Io } from '../core/io';
import { Outputs } from '../core/names';
import type { Plan } from '../plan/types';
import type { Environment } from '../provider';
import { withHeartbeat, Ticker, realTicker } from '../core/progress';
import type { RemoteSession } from '../remote/types';
import { shq } from '../smoke/shell';
import { AlsoRedact, maskSecretsInTree, MaskStats } from './mask-tree';
import { shippedScript } from '../core/shipped';
import { redactSecretShapes } from '../core/mask';

const run = promisify(execFile);

interface LogBundleOptions {
  plan: Plan;
  /** SSH sessions to the nodes that have one (matched by session.node); others get console output only. */
  sessions: RemoteSession[];
  io: Io;
  workDir: string;
  env?: Environment;
  /** Every secret value of the stack: replaced by *** in everything collected. */
  secrets: readonly string[];
  /** The EC2 console output of a node (GetConsoleOutput), when the provider has one. */
  consoleOutput?: (node: string) => Promise<string>;
  /** Where the nodes' /var/log is looked up (tests point it at a directory they made). */
  logRoot?: string;
  /** Only network namespaces with this prefix are entered (tests: only their own). */
  netnsPrefix?: string;
  collectTimeoutMs?: number;
  ticker?: Ticker;
}

type NodeCollection = 'collected' | 'console-only' | 'failed';

interface LogBundle {
  /** Artifact name: the archive's base name without .tar.gz. */
  name: string;
  /** The tar.gz on the runner. */
  path: string;
  /** The unpacked, masked directory the archive was made from. */
  dir: string;
  nodes: Record<string, NodeCollection>;
  masked: MaskStats;
}

const REMOTE_SCRIPT = '/tmp/openstack-on-aws-collect-logs.sh';

async function collectNode(o: LogBundleOptions, node: string, into: string): Promise<NodeCollection> {
  await fs.mkdir(into, { recursive: true, mode: 0o700 });
  let state: NodeCollection = 'console-only';
  const session = o.sessions.find((s) => s.node === node);
  if (session) {
    const remoteTar = `/tmp/openstack-on-aws-logs-${node}.tar.gz`;
    try {
      await session.writeFile(REMOTE_SCRIPT, shippedScript('collect-logs.sh'), 0o700);
      const env = [
        o.logRoot ? `LOG_ROOT=${shq(o.logRoot)} ` : '',
        o.netnsPrefix ? `NETNS_PREFIX=${shq(o.netnsPrefix)} ` : '',
      ].join('');
      await session.exec(`${env}bash ${REMOTE_SCRIPT} ${shq(remoteTar)}`, {
        stage: 'collect-logs',
        timeoutMs: o.collectTimeoutMs ?? 10 * 60_000,
      });
      const tarball = await session.readFile(remoteTar);
      await session.exec(`rm -f ${shq(remoteTar)} ${REMOTE_SCRIPT}`, { stage: 'collect-logs', allowFailure: true });
      const local = path.join(into, '..', `.${node}.tar.gz`);
      await fs.writeFile(local, tarball, { mode: 0o600 });
      try {
        await run('tar', ['-xzf', local, '-C', into, '--no-same-owner']);
      } finally {
        await fs.rm(local, { force: true });
      }
      state = 'collected';
    } catch (err) {
      state = 'failed';
      await fs.writeFile(
        path.join(into, 'collect-error.txt'),
        `collecting logs from ${node} failed: ${errorMessage(err)}\n`,
      );
    }
  } else {
    await fs.writeFile(
      path.join(into, 'collect-error.txt'),
      `no SSH session to ${node}: only the console output is included\n`,
    );
  }
  if (o.consoleOutput) {
    try {
      await fs.writeFile(path.join(into, 'ec2-console-output.txt'), await o.consoleOutput(node));
    } catch (err) {
      await fs.writeFile(
        path.join(into, 'ec2-console-output.txt'),
        `console output unavailable: ${errorMessage(err)}\n`,
      );
    }
  }
  return state;
}

/**
 * Tempest's files (collect-logs.sh puts them in <node>/logs/tempest) also lose every secret-shaped
 * value (core/mask.ts): its log quotes its dynamic users' passwords and Nova keypairs' private keys,
 * which no one told this run. Bytes as latin1, as the known-value masking reads them; the subunit
 * stream packet by packet (report/subunit.ts). In the same pass as the known values' masking.
 */
export function tempestShapeRedaction(nodes: readonly string[]): AlsoRedact {
  const folders = nodes.map((n) => path.join(n, 'logs', 'tempest') + path.sep);
  // The raw results stay a stream subunit's tools read: redactFile rewrites its packets, never edits them.
  return (relativePath) => (folders.some((f) => relativePath.startsWith(f)) ? redactSecretShapes : undefined);
}

export function logBundleName(stackId: string): string {
  return `openstack-on-aws-logs-${stackId}`;
}

export async function collectLogBundle(o: LogBundleOptions): Promise<LogBundle> {
  const name = logBundleName(o.plan.stackId);
  const dir = path.join(o.workDir, name);
  const archive = path.join(o.workDir, `${name}.tar.gz`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const nodes: Record<string, NodeCollection> = {};
  await withHeartbeat(
    o.io,
    `logs from ${o.plan.nodes.map((n) => n.name).join(', ')}`,
    () =>
      Promise.all(
        o.plan.nodes.map(async (n) => {
          nodes[n.name] = await collectNode(o, n.name, path.join(dir, n.name));
          o.io.info(`  logs of ${n.name}: ${nodes[n.name]}`);
        }),
      ),
    o.ticker ?? realTicker,
  );
  await fs.writeFile(
    path.join(dir, 'stack.json'),
    JSON.stringify({ stackId: o.plan.stackId, plan: o.plan, environment: o.env, nodes }, null, 2),
  );
  const masked = await maskSecretsInTree(dir, o.secrets, tempestShapeRedaction(o.plan.nodes.map((n) => n.name)));
  for (const f of masked.textOnly)
    o.io.warning(
      `${f} is not a subunit v2 stream this could read: its secrets were masked as text, so subunit's tools may not read it`,
    );
  await run('tar', ['-czf', archive, '-C', o.workDir, name]);
  await fs.chmod(archive, 0o600);
  o.io.info(`Log bundle ${archive}: ${masked.files} files, ${masked.replacements} secret occurrence(s) masked`);
  o.io.setOutput(Outputs.LogBundle, archive);
  return { name, path: archive, dir, nodes, masked };
}
