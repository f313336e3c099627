// Real Tempest's smoke set, configured for this cloud (see tempest-smoke.sh for the validation
// limits on AWS), its JUnit merged into the report.

import { shq, tail } from '../shell';
import type { CheckContext } from '../context';
import { CheckSkipped } from '../check-failure';
import { describeCounts, listCases, parseTempestJunit } from '../tempest-results';
import { TEMPEST_DIR } from '../../core/node-paths';
import { shippedScript } from '../../core/shipped';
import { withHeartbeat } from '../../core/progress';
import { routerId } from './router';

const REMOTE_SCRIPT = '/var/tmp/openstack-on-aws-tempest-smoke.sh';

/** CirrOS (the default image) is the one image whose SSH user Tempest's validation can rely on. */
export function cirrosImage(imageUrl: string): boolean {
  return /cirros/i.test(imageUrl.split('/').pop() ?? '');
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
    RELEASE: ctx.plan.release.codename,
    // Validation logs into the servers Tempest boots: only CirrOS has a login Tempest knows.
    VALIDATION_IMAGE: cirrosImage(ctx.plan.imageUrl) ? 'cirros' : 'other',
    TEMPEST_DIR,
  };
  const command = `${Object.entries(vars)
    .map(([k, v]) => `${k}=${shq(v)}`)
    .join(' ')} bash ${shq(REMOTE_SCRIPT)}`;
  const hint = `see ${TEMPEST_DIR}/logs/tempest.log on the controller (in the log bundle) and the failed test cases in the JUnit report`;
  const r = await withHeartbeat(
    ctx.io,
    'Tempest (install, configure and run the smoke set)',
    () => ctx.cli.run(command, { timeoutMs: ctx.bounds.tempestMs, onOutput: (c) => ctx.io.info(c.replace(/\n$/, '')) }),
    ctx.clock,
  );
  const junit = await ctx.cli.session.readFile(`${TEMPEST_DIR}/junit.xml`).then(
    (b) => b.toString('utf8'),
    () => '',
  );
  ctx.setJunit(junit);
  // Counted from the results Tempest recorded, not from its exit code.
  const results = parseTempestJunit(junit);
  const total = results.cases.length;
  const summary = `${describeCounts(results)} of ${total}`;
  const failed = listCases(results, 'failed');
  ctx.list('failed tests', failed);
  ctx.list('skipped tests', listCases(results, 'skipped'));
  const output = (failed.length ? failed.join('\n') : tail(r.stdout + r.stderr)).slice(0, 20_000);
  if (results.failed > 0)
    throw ctx.cli.failure(
      `Tempest smoke: ${summary}; failed: ${failed.map((f) => f.split(': ')[0]).join(', ')}`,
      command,
      output,
      hint,
    );
  if (total === 0)
    throw ctx.cli.failure(`Tempest smoke: no results (exit code ${r.code})`, command, tail(r.stdout + r.stderr), hint);
  if (r.code !== 0)
    throw ctx.cli.failure(
      `Tempest smoke: ${summary}, but tempest exited with ${r.code} (a failure its results do not show)`,
      command,
      tail(r.stdout + r.stderr),
      hint,
    );
  ctx.note(`Tempest smoke: ${summary}`);
}
