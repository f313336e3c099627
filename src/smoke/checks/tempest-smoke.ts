// Real Tempest's smoke set, configured for this cloud (see tempest-smoke.sh for the validation
// limits on AWS), its JUnit merged into the report.

import { shq, tail } from '../shell';
import type { CheckContext } from '../context';
import { CheckSkipped } from '../check-failure';
import { junitCounts } from '../junit-counts';
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
  const counts = junitCounts(junit);
  ctx.setJunit(junit);
  const summary = `${counts.tests} tests, ${counts.failures} failures, ${counts.errors} errors, ${counts.skipped} skipped`;
  if (r.code !== 0 || counts.tests === 0 || counts.failures + counts.errors > 0)
    throw ctx.cli.failure(`Tempest smoke: ${summary} (exit code ${r.code})`, command, tail(r.stdout + r.stderr), hint);
  ctx.note(`Tempest smoke: ${summary}`);
}
