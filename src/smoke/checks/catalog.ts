// The service catalog lists every service the topology installs, and every public endpoint in it
// answers HTTPS on the elastic IP with the stack's certificate: checked from the runner, as a user
// outside the VPC would use them.

import type { Plan } from '../../plan/types';
import { CheckFailure } from '../check-failure';
import type { CheckContext } from '../context';
import { CatalogService, describeRequestError, httpsRequest, issuePublicToken, keystoneUrl } from '../public-api';

/** The service types the catalog must list for this Plan (the same rule as plan.ts's check text). */
function expectedServiceTypes(plan: Plan): string[] {
  const types = ['identity', 'image', 'placement', 'compute', 'network'];
  if (plan.nodes.some((n) => n.role === 'block')) types.push('volumev3');
  if (plan.nodes.some((n) => n.role === 'object')) types.push('object-store');
  return types;
}

/** The catalog's public URL with the token's project filled in (Cinder's and Swift's carry it). */
function concrete(url: string, projectId: string | undefined): string {
  return url.replace(/%\(project_id\)s|\$\(project_id\)s|%\(tenant_id\)s|\$\(tenant_id\)s/g, projectId ?? '');
}

/**
 * Every service's public endpoint: https on the public address, and an answer through it (any
 * status below 500: the API itself answered; 502/503 would be the proxy without its backend).
 * Returns one problem per endpoint that does not hold.
 */
export async function probePublicEndpoints(
  catalog: CatalogService[],
  publicIp: string,
  caPem: string,
  token: string,
  projectId?: string,
): Promise<{ answered: string[]; problems: string[] }> {
  const answered: string[] = [];
  const problems: string[] = [];
  await Promise.all(
    catalog.map(async (svc) => {
      const pub = svc.endpoints.find((e) => e.interface === 'public');
      if (!pub) {
        problems.push(`${svc.type} has no public endpoint`);
        return;
      }
      const url = concrete(pub.url, projectId);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        problems.push(`${svc.type}: public endpoint '${pub.url}' is not a URL`);
        return;
      }
      if (parsed.protocol !== 'https:' || parsed.hostname !== publicIp) {
        problems.push(`${svc.type}: public endpoint ${pub.url} is not https on ${publicIp}`);
        return;
      }
      try {
        const r = await httpsRequest(url, caPem, { headers: { 'X-Auth-Token': token } });
        if (r.status >= 500) problems.push(`${svc.type}: ${pub.url} answered HTTP ${r.status}`);
        else answered.push(`${svc.type} ${r.status}`);
      } catch (err) {
        problems.push(`${svc.type}: ${pub.url}: ${describeRequestError(err)}`);
      }
    }),
  );
  return { answered: answered.sort(), problems: problems.sort() };
}

export async function checkCatalog(ctx: CheckContext): Promise<void> {
  const ip = ctx.env.controllerPublicIp;
  const access = ctx.options.publicAccess;
  const token = await issuePublicToken(ip, access, ctx.options.secrets ?? []);
  ctx.io.setSecret(token.id);
  const command = `the catalog of admin's token from ${keystoneUrl(ip)}`;
  const summary = JSON.stringify(
    token.catalog.map((s) => ({ type: s.type, public: s.endpoints.find((e) => e.interface === 'public')?.url })),
  );
  const listed = new Set(token.catalog.map((e) => e.type));
  const missing = expectedServiceTypes(ctx.plan).filter((t) => !listed.has(t));
  if (missing.length > 0)
    throw new CheckFailure(
      `the catalog lacks ${missing.join(', ')}`,
      command,
      summary,
      `the install stage of ${missing.join(', ')} did not register its service and endpoints (openstack service create / endpoint create); see that stage's log in the log bundle`,
    );
  const { answered, problems } = await probePublicEndpoints(token.catalog, ip, access.caPem, token.id, token.projectId);
  if (problems.length > 0)
    throw new CheckFailure(
      `${problems.length} public endpoint(s) do not answer over HTTPS: ${problems.join('; ')}`,
      `GET every public endpoint of ${command}`,
      summary,
      "check the tls-proxy stage's log and HAProxy (/etc/haproxy/haproxy.cfg, journalctl -u haproxy) on the controller, and that the service behind the port runs",
    );
  ctx.note(`catalog lists ${[...listed].sort().join(', ')}`);
  ctx.note(`every public endpoint answers over HTTPS: ${answered.join(', ')}`);
}
