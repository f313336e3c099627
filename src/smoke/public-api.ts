// The cloud's public endpoints as a user outside the VPC meets them: HTTPS on the controller's
// elastic IP, from the runner, trusting the stack's CA and nothing else (never without
// verification). Keystone's token and catalog come from here; every other check stays on the
// controller, on the internal endpoints (the controller cannot reach its own elastic IP on AWS).

import * as https from 'https';
import type { IncomingHttpHeaders } from 'http';
import { publicTlsPort } from '../plan/plan';
import { errorMessage } from '../core/errors';
import { ADMIN_PROJECT, ADMIN_USER } from '../report/credentials';
import { CheckFailure } from './check-failure';
import { maskSecrets, tail } from './shell';

/** What the runner needs to speak to the public endpoints. */
export interface PublicAccess {
  /** PEM of the stack's CA: the only certificate trusted. */
  caPem: string;
  adminPassword: string;
}

interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: Array<{ interface: string; url: string; region?: string }>;
}

interface PublicToken {
  id: string;
  expiresAt: string;
  projectId?: string;
  catalog: CatalogService[];
}

const TIMEOUT_MS = 30_000;

/** One HTTPS request verified against `caPem` alone; rejects with the TLS or network error. */
export function httpsRequest(
  url: string,
  caPem: string,
  opts: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: caPem,
        rejectUnauthorized: true,
        agent: false,
        timeout: opts.timeoutMs ?? TIMEOUT_MS,
        headers: {
          Accept: 'application/json',
          ...(opts.body !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(opts.body)) }
            : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${Math.round((opts.timeoutMs ?? TIMEOUT_MS) / 1000)} s`)),
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A TLS or network error in words a user can act on (the code names the certificate problem). */
export function describeRequestError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const tlsCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|SIGNATURE/;
  if (code && tlsCodes.test(code))
    return `the TLS certificate was not accepted with the stack's CA (${code}: ${errorMessage(err)})`;
  return code ? `${code}: ${errorMessage(err)}` : errorMessage(err);
}

export function keystoneUrl(publicIp: string): string {
  return `https://${publicIp}:${publicTlsPort(5000)}/v3`;
}

const TOKEN_HINT =
  "Keystone's public endpoint did not give admin a token: check the tls-proxy stage's log and /var/log/haproxy* on the controller, that the security group opens the HTTPS ports to this runner, and /var/log/keystone";

/** admin's project-scoped token from the public Keystone, with the catalog it carries. */
export async function issuePublicToken(
  publicIp: string,
  access: PublicAccess,
  secrets: string[],
): Promise<PublicToken> {
  const url = `${keystoneUrl(publicIp)}/auth/tokens`;
  const command = `POST ${url} (password of ${ADMIN_USER}, project ${ADMIN_PROJECT})`;
  const body = JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: ADMIN_USER, domain: { name: 'Default' }, password: access.adminPassword } },
      },
      scope: { project: { name: ADMIN_PROJECT, domain: { name: 'Default' } } },
    },
  });
  const mask = (text: string) => maskSecrets(tail(text), [...secrets, access.adminPassword]);
  let answer: HttpAnswer;
  try {
    answer = await httpsRequest(url, access.caPem, { method: 'POST', body });
  } catch (err) {
    throw new CheckFailure(
      `Keystone's public endpoint could not be reached over HTTPS: ${describeRequestError(err)}`,
      command,
      '',
      TOKEN_HINT,
    );
  }
  const id = answer.headers['x-subject-token'];
  if (answer.status !== 201 || typeof id !== 'string')
    throw new CheckFailure(
      `Keystone answered HTTP ${answer.status} without a token`,
      command,
      mask(answer.body),
      TOKEN_HINT,
    );
  let token: { token?: { expires_at?: string; project?: { id?: string }; catalog?: CatalogService[] } };
  try {
    token = JSON.parse(answer.body);
  } catch {
    throw new CheckFailure('Keystone answered a token whose body is not JSON', command, mask(answer.body), TOKEN_HINT);
  }
  if (!token.token?.expires_at)
    throw new CheckFailure('Keystone answered a token without an expiry', command, mask(answer.body), TOKEN_HINT);
  return {
    id,
    expiresAt: token.token.expires_at,
    projectId: token.token.project?.id,
    catalog: token.token.catalog ?? [],
  };
}
