// Real Tempest's smoke set (or the tempest-regex selection), configured for this cloud: validation
// logs into the servers it boots when the image's login is known (see tempest-smoke.sh for how it
// reaches them under each network fix). Its JUnit is merged into the report; its counts, failures
// (with their errors) and skips (grouped by reason) are read from its results.

import { shq, tail } from '../shell';
import type { CheckContext } from '../context';
import { CheckSkipped } from '../check-failure';
import {
  describeCounts,
  listExclusions,
  listFailures,
  listSkipsByReason,
  parseTempestJunit,
  redactTempestJunit,
} from '../tempest-results';
import { TEMPEST_DIR, TLS_CA_CERT_PATH } from '../../core/node-paths';
import { controllerDashboardUrl } from '../../report/credentials';
import { redactSecretShapes } from '../../core/mask';
import { shippedScript } from '../../core/shipped';
import { withHeartbeat } from '../../core/progress';
import { findRelease } from '../../settings/matrix';
import type { Plan } from '../../plan/types';
import { routerId } from './router';

const REMOTE_SCRIPT = '/var/tmp/openstack-on-aws-tempest-smoke.sh';

/**
 * The images whose login Tempest's validation can rely on, by the file name of image-url: CirrOS,
 * and the project's test image (scripts/build-test-image.sh: ooa-test-disk.img, user ooa with sudo,
 * its key from the config drive or the metadata service).
 */
const KNOWN_IMAGE_USERS: ReadonlyArray<{ file: RegExp; user: string }> = [
  { file: /cirros/i, user: 'cirros' },
  { file: /^ooa-test-disk\b/, user: 'ooa' },
];

/** The login of the image's servers: tempest-ssh-user, else a known image's; undefined: none known. */
export function imageSshUser(plan: Pick<Plan, 'imageUrl' | 'tempestSshUser'>): string | undefined {
  if (plan.tempestSshUser) return plan.tempestSshUser;
  const file = plan.imageUrl.split('/').pop() ?? '';
  return KNOWN_IMAGE_USERS.find((k) => k.file.test(file))?.user;
}

/**
 * Whether Nova's metadata API is deployed: every OS serves it (Debian's nova-api-metadata, the
 * nova-api of Ubuntu and RHEL) but Ubuntu from Gazpacho, whose packages serve the compute API from
 * Apache and ship no metadata API (lib-os.sh's service list).
 */
export function metadataApiDeployed(plan: {
  os: Pick<Plan['os'], 'family'>;
  release: Pick<Plan['release'], 'id'>;
}): boolean {
  if (plan.os.family !== 'ubuntu') return true;
  const release = findRelease(plan.release.id);
  const gazpacho = findRelease('gazpacho');
  return !release || !gazpacho || release.order < gazpacho.order;
}

export async function checkTempestSmoke(ctx: CheckContext): Promise<void> {
  const s = ctx.state;
  if (!s.imageId || !s.flavorId) throw new CheckSkipped('needs the image and the flavor, which are not there');
  const router = await routerId(ctx);
  await ctx.cli.session.writeFile(REMOTE_SCRIPT, shippedScript('tempest-smoke.sh'), 0o700);
  const has = (role: string) => ctx.plan.nodes.some((n) => n.role === role);
  const vars: Record<string, string> = {
    OPENRC: ctx.options.adminOpenrcPath,
    IMAGE_ID: s.imageId,
    FLAVOR_ID: s.flavorId,
    NETWORK_NAME: ctx.names.network,
    ROUTER_ID: router,
    TENANT_CIDR: ctx.plan.networks.tenant.cidr,
    HAS_CINDER: String(has('block')),
    HAS_SWIFT: String(has('object')),
    OS_FAMILY: ctx.plan.os.family,
    // Validation logs into the servers Tempest boots: only with a login it knows.
    IMAGE_SSH_USER: imageSshUser(ctx.plan) ?? '',
    NETWORK_FIX: ctx.plan.networkFix,
    METADATA_API: String(metadataApiDeployed(ctx.plan)),
    TEMPEST_REGEX: ctx.plan.tempestRegex ?? '',
    TEMPEST_DIR,
    // Horizon is on every controller: its basic scenario logs in through the HTTPS proxy.
    DASHBOARD_URL: controllerDashboardUrl(ctx.plan) ?? '',
    DASHBOARD_CA: TLS_CA_CERT_PATH,
  };
  const command = `${Object.entries(vars)
    .map(([k, v]) => `${k}=${shq(v)}`)
    .join(' ')} bash ${shq(REMOTE_SCRIPT)}`;
  const hint = `see ${TEMPEST_DIR}/logs/tempest.log on the controller (in the log bundle) and the failed test cases in the JUnit report`;
  const r = await withHeartbeat(
    ctx.io,
    'Tempest (install, configure and run the smoke set)',
    () =>
      ctx.cli.run(command, {
        timeoutMs: ctx.bounds.tempestMs,
        // Per chunk (a value split across two chunks escapes it): the failure's output below is whole.
        onOutput: (c) => ctx.io.info(redactSecretShapes(c.replace(/\n$/, '')).text),
      }),
    ctx.clock,
  );
  const read = (file: string) =>
    ctx.cli.session.readFile(`${TEMPEST_DIR}/${file}`).then(
      (b) => b.toString('utf8'),
      () => '',
    );
  // Redacted before it is merged or listed: passwords and private keys this run was never told.
  const junit = redactTempestJunit(await read('junit.xml'));
  // What Tempest printed itself (a traceback of its own): redacted as its JUnit is.
  const printed = redactSecretShapes(r.stdout + r.stderr).text;
  ctx.setJunit(junit);
  // Counted from the results Tempest recorded, not from its exit code nor its printed summary.
  const results = parseTempestJunit(junit);
  const total = results.cases.length;
  const summary = `${describeCounts(results)} of ${total}`;
  const failed = listFailures(results);
  // ctx.list masks every known secret in what it shows (a traceback may quote a request).
  ctx.list('failed tests', failed);
  ctx.list('skipped tests, by reason', listSkipsByReason(results), results.skipped);
  ctx.list("excluded (this cloud's probes and this network fix's list)", listExclusions(await read('exclude.txt')));
  const output = (failed.length ? failed.join('\n') : tail(printed)).slice(0, 20_000);
  if (results.failed > 0)
    throw ctx.cli.failure(
      `Tempest smoke: ${summary}; failed: ${results.cases
        .filter((c) => c.status === 'failed')
        .map((c) => c.id)
        .join(', ')}`,
      command,
      output,
      hint,
    );
  if (total === 0)
    throw ctx.cli.failure(`Tempest smoke: no results (exit code ${r.code})`, command, tail(printed), hint);
  if (r.code !== 0)
    throw ctx.cli.failure(
      `Tempest smoke: ${summary}, but tempest exited with ${r.code} (a failure its results do not show)`,
      command,
      tail(printed),
      hint,
    );
  ctx.note(`Tempest smoke: ${summary}`);
}
