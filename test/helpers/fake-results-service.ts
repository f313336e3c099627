// A stand-in for GitHub's artifact backend, on 127.0.0.1 only, for the real @actions/artifact
// client: the results service's Twirp JSON calls (CreateArtifact hands out a signed blob URL,
// FinalizeArtifact records size and hash) and the Azure block-blob PUTs the client sends to that URL
// (Put Block + Put Block List, or one Put Blob). It records what it received so a test can compare
// it with what the action meant to upload, and can be told to fail a call.

import { randomBytes } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';

export type TwirpMethod = 'CreateArtifact' | 'FinalizeArtifact';

export interface TwirpCall {
  body: Record<string, unknown>;
  authorization: string | undefined;
}

export interface FakeResultsService {
  /** The value for ACTIONS_RESULTS_URL. */
  url: string;
  created: TwirpCall[];
  finalized: TwirpCall[];
  /** Committed blobs by artifact name. */
  blobs: Map<string, Buffer>;
  /** "METHOD /path" of every request, in order (query strings left off). */
  requests: string[];
  /** Every later call of `method` is answered with this HTTP status and a Twirp error. */
  fail(method: TwirpMethod, status: number, msg: string): void;
  close(): Promise<void>;
}

/** A JWT-shaped runtime token whose scopes name the run and job, as the client parses them. */
export function fakeRuntimeToken(runBackendId: string, jobBackendId: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = { scp: `Actions.GenericRead:${runBackendId} Actions.Results:${runBackendId}:${jobBackendId}` };
  return `${part({ typ: 'JWT', alg: 'none' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** What Azure answers to a successful PUT; the client reads these headers, not a body. */
function created(res: http.ServerResponse): void {
  res.writeHead(201, {
    'x-ms-request-id': randomBytes(8).toString('hex'),
    'x-ms-version': '2025-01-05',
    'x-ms-request-server-encrypted': 'true',
    ETag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
    'Last-Modified': new Date().toUTCString(),
    Date: new Date().toUTCString(),
    'Content-Length': '0',
  });
  res.end();
}

function azureError(res: http.ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml', 'x-ms-error-code': code });
  res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
}

export async function startFakeResultsService(): Promise<FakeResultsService> {
  const failures = new Map<TwirpMethod, { status: number; msg: string }>();
  // Per artifact: the signature its upload URL carries, the staged blocks, the committed blob.
  const uploads = new Map<string, { sig: string; blocks: Map<string, Buffer> }>();
  let nextArtifactId = 1000;
  let base = '';

  const service: FakeResultsService = {
    url: '',
    created: [],
    finalized: [],
    blobs: new Map(),
    requests: [],
    fail: (method, status, msg) => failures.set(method, { status, msg }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // The client keeps its connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };

  async function twirp(req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> {
    const body = JSON.parse((await readBody(req)).toString('utf8')) as Record<string, unknown>;
    const call = { body, authorization: req.headers.authorization };
    const failure = failures.get(method as TwirpMethod);
    if (method === 'CreateArtifact') service.created.push(call);
    else if (method === 'FinalizeArtifact') service.finalized.push(call);
    else return json(res, 404, { code: 'bad_route', msg: `no method ${method}` });
    if (failure) return json(res, failure.status, { code: 'internal', msg: failure.msg });

    const name = String(body.name);
    if (method === 'CreateArtifact') {
      if (uploads.has(name)) return json(res, 409, { code: 'already_exists', msg: `artifact ${name} already exists` });
      const sig = randomBytes(24).toString('base64url');
      uploads.set(name, { sig, blocks: new Map() });
      const blobPath = `/devstoreaccount1/actions-results/${encodeURIComponent(name)}.zip`;
      return json(res, 200, { ok: true, signed_upload_url: `${base}${blobPath}?sv=2025-01-05&sr=b&sp=cw&sig=${sig}` });
    }
    // FinalizeArtifact: only for an artifact whose blob was committed.
    if (!service.blobs.has(name)) return json(res, 404, { code: 'not_found', msg: `no uploaded blob for ${name}` });
    return json(res, 200, { ok: true, artifact_id: String(nextArtifactId++) });
  }

  async function blob(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const name = decodeURIComponent(
      url.pathname
        .split('/')
        .pop()!
        .replace(/\.zip$/, ''),
    );
    const upload = uploads.get(name);
    if (!upload || url.searchParams.get('sig') !== upload.sig) return azureError(res, 403, 'AuthenticationFailed');
    const body = await readBody(req);
    const comp = url.searchParams.get('comp');
    if (comp === 'block') {
      upload.blocks.set(url.searchParams.get('blockid') ?? '', body);
      return created(res);
    }
    if (comp === 'blocklist') {
      const ids = [...body.toString('utf8').matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map(
        (m) => m[2],
      );
      const missing = ids.filter((id) => !upload.blocks.has(id));
      if (missing.length > 0) return azureError(res, 400, 'InvalidBlockList');
      service.blobs.set(name, Buffer.concat(ids.map((id) => upload.blocks.get(id)!)));
      return created(res);
    }
    if (comp === null && req.headers['x-ms-blob-type'] === 'BlockBlob') {
      service.blobs.set(name, body);
      return created(res);
    }
    return azureError(res, 400, 'UnsupportedQueryParameter');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    service.requests.push(`${req.method} ${url.pathname}`);
    const handle =
      req.method === 'POST' && url.pathname.startsWith(TWIRP_PREFIX)
        ? twirp(req, res, url.pathname.slice(TWIRP_PREFIX.length))
        : req.method === 'PUT'
          ? blob(req, res, url)
          : Promise.resolve(json(res, 404, { code: 'bad_route', msg: `${req.method} ${url.pathname}` }));
    handle.catch((err: unknown) => json(res, 500, { code: 'internal', msg: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  service.url = `${base}/`;
  return service;
}
