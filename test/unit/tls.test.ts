// The stack's CA and server certificate, made by the real openssl command and checked by Node's own
// X.509 parser and a real TLS handshake on loopback: the right CA is trusted, another stack's CA
// and an address outside the certificate are refused, the server key is masked, and nothing (the CA
// key above all) is left in the work dir.

import { createPrivateKey, createPublicKey, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { issueStackTls, StackTls } from '../../src/core/tls';

const now = new Date('2026-12-01T09:00:00Z');
const notAfter = new Date('2026-12-01T15:00:00Z');
let workDir: string;

beforeEach(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-tls-test-'));
});
afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

function issue(ips: string[], mask: (s: string) => void = () => undefined, extra = {}): Promise<StackTls> {
  return issueStackTls({ stackId: 'tlsunit', ipAddresses: ips, notAfter, now, mask, workDir, ...extra });
}

/** A TLS server on a loopback address with the given certificate; resolves what a client saw. */
async function handshake(
  server: StackTls,
  listen: string,
  trust: string,
  name: string,
): Promise<{ ok: boolean; error?: string }> {
  const srv = tls.createServer({ cert: server.serverCertPem, key: server.serverKeyPem }, (s) => s.end('hello'));
  await new Promise<void>((r) => srv.listen(0, listen, () => r()));
  const port = (srv.address() as { port: number }).port;
  try {
    return await new Promise((resolve) => {
      // An IP address as host: Node checks it against the certificate's IP SANs (no SNI for IPs).
      const c = tls.connect({ host: listen, port, ca: trust, servername: name === listen ? undefined : name });
      c.once('secureConnect', () => {
        c.destroy();
        resolve({ ok: true });
      });
      c.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code ?? e.message }));
    });
  } finally {
    await new Promise((r) => srv.close(r));
  }
}

describe('issueStackTls', () => {
  test('a CA and a server certificate for exactly the given addresses, valid past the stack lifetime', async () => {
    const t = await issue(['198.51.100.12', '10.0.1.12', '198.51.100.12']);
    const ca = new X509Certificate(t.caCertPem);
    const cert = new X509Certificate(t.serverCertPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('openstack-on-aws tlsunit CA');
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('IP Address:198.51.100.12, IP Address:10.0.1.12');
    expect(cert.checkIP('198.51.100.12')).toBe('198.51.100.12');
    expect(cert.checkIP('10.0.1.12')).toBe('10.0.1.12');
    expect(cert.checkIP('198.51.100.13')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth only
    expect(new Date(cert.validTo).getTime()).toBeGreaterThanOrEqual(notAfter.getTime());
    expect(new Date(ca.validTo).getTime()).toBeGreaterThanOrEqual(notAfter.getTime());
    // The key belongs to the certificate.
    const fromKey = createPublicKey(createPrivateKey(t.serverKeyPem)).export({ format: 'der', type: 'spki' });
    expect(Buffer.compare(fromKey, cert.publicKey.export({ format: 'der', type: 'spki' }) as Buffer)).toBe(0);
    expect(t.serverKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  test('two stacks get two different CAs, and nothing stays in the work dir', async () => {
    const a = await issue(['127.0.0.1']);
    const b = await issue(['127.0.0.1']);
    expect(a.caCertPem).not.toBe(b.caCertPem);
    expect(new X509Certificate(a.serverCertPem).serialNumber).not.toBe(
      new X509Certificate(b.serverCertPem).serialNumber,
    );
    expect(fs.readdirSync(workDir)).toEqual([]);
  });

  test('the server key is masked whole and line by line; the certificates are not', async () => {
    const masked: string[] = [];
    const t = await issue(['127.0.0.1'], (s) => masked.push(s));
    expect(masked).toContain(t.serverKeyPem);
    for (const line of t.serverKeyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')))
      expect(masked).toContain(line);
    expect(masked.some((m) => t.caCertPem.includes(m) || t.serverCertPem.includes(m))).toBe(false);
  });

  test('a real handshake: the stack CA is trusted; another CA and an address outside the certificate are refused', async () => {
    const t = await issue(['127.0.0.1']);
    const other = await issue(['127.0.0.1']);
    expect(await handshake(t, '127.0.0.1', t.caCertPem, '127.0.0.1')).toEqual({ ok: true });
    const wrongCa = await handshake(t, '127.0.0.1', other.caCertPem, '127.0.0.1');
    expect(wrongCa.ok).toBe(false);
    expect(wrongCa.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|CERT_SIGNATURE_FAILURE/);
    const wrongAddress = await handshake(t, '127.0.0.2', t.caCertPem, '127.0.0.2');
    expect(wrongAddress).toEqual({ ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('bad addresses and a missing openssl are refused with a clear message', async () => {
    await expect(issue([])).rejects.toThrow('at least one address');
    await expect(issue(['controller'])).rejects.toThrow("'controller' is not an IPv4 address");
    await expect(issue(['127.0.0.1'], undefined, { openssl: '/nonexistent/openssl' })).rejects.toThrow(
      /openssl command was not found on the runner \(\/nonexistent\/openssl\)/,
    );
    expect(fs.readdirSync(workDir)).toEqual([]);
  });
});
