// The stack's TLS certificates, made on the runner: a CA of its own per stack and one server
// certificate for the controller's public address, both ECDSA P-256. Node's crypto can make keys
// but cannot sign X.509, so the `openssl` command signs (present on GitHub's runners, installed by
// .ci/run); a hand-written DER encoder would be new security-critical code to get right, openssl is
// the reference. Everything happens in a private scratch dir inside the run's work dir, deleted before this returns: the
// CA key exists only for the seconds it takes to sign, never leaves the runner and is never reused
// (a stack has one server certificate; nothing signs again). The server key is masked before it is
// returned and travels only to the controller (0600).

import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import { isIPv4 } from 'net';
import * as path from 'path';

export interface StackTls {
  /** PEM of the stack's CA certificate: what clients trust (clouds.yaml cacert, OS_CACERT). */
  caCertPem: string;
  /** PEM of the controller's certificate, signed by the CA, valid for every public address. */
  serverCertPem: string;
  /** PEM (PKCS#8) of the controller's private key: a secret, masked, 0600 wherever it is written. */
  serverKeyPem: string;
}

interface IssueTlsOptions {
  stackId: string;
  /** The addresses clients reach the controller by (its elastic IP first); each becomes an IP SAN. */
  ipAddresses: string[];
  /** Certificates stay valid until at least then (the stack's expires-at; a day is added). */
  notAfter: Date;
  /** Called with the server key (whole and per line) before anything can print it. */
  mask: (secret: string) => void;
  /** The run's private work dir (0700, deleted at teardown): the scratch dir goes inside it, so even
   * a runner killed mid-way leaves nothing outside what teardown deletes. */
  workDir: string;
  now?: Date;
  /** The openssl binary (tests may point elsewhere). */
  openssl?: string;
}

const DAY_MS = 86_400_000;

function runOpenssl(bin: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new Error(
            missing
              ? `the openssl command was not found on the runner (${bin}); it signs the stack's TLS certificates: install it (apt-get install openssl)`
              : `openssl ${args[0]} failed: ${(stderr || stdout || err.message).trim().split('\n').slice(-5).join('\n')}`,
          ),
        );
        return;
      }
      resolve(stdout);
    });
  });
}

/** The subject's common name: printable, no '/' or '=' (the stack id is [a-z0-9-] already). */
function commonName(text: string): string {
  return text.replace(/[^A-Za-z0-9 .-]/g, '-').slice(0, 64);
}

function caConfig(stackId: string): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'x509_extensions = v3_ca',
    '[dn]',
    `CN = ${commonName(`openstack-on-aws ${stackId} CA`)}`,
    '[v3_ca]',
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

function serverConfig(ips: string[]): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    `CN = ${ips[0]}`,
    '[v3_server]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${ips.map((ip) => `IP:${ip}`).join(', ')}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid, issuer',
    '',
  ].join('\n');
}

/** A positive 127-bit serial (RFC 5280: positive, at most 20 octets; random so no two repeat). */
function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return `0x${b.toString('hex')}`;
}

/** Every line of a PEM body longer than a few characters, and the whole text: what the log masks. */
function maskPem(pem: string, mask: (secret: string) => void): void {
  mask(pem);
  for (const line of pem.split('\n')) if (line.length > 20 && !line.startsWith('-----')) mask(line);
}

/** Makes the stack's CA and the controller's certificate; see the file header for what stays where. */
export async function issueStackTls(opts: IssueTlsOptions): Promise<StackTls> {
  const ips = [...new Set(opts.ipAddresses)];
  if (ips.length === 0) throw new Error('a TLS certificate needs at least one address');
  for (const ip of ips) if (!isIPv4(ip)) throw new Error(`'${ip}' is not an IPv4 address for the TLS certificate`);
  const now = opts.now ?? new Date();
  const days = Math.max(1, Math.ceil((opts.notAfter.getTime() - now.getTime()) / DAY_MS) + 1);
  const bin = opts.openssl ?? 'openssl';
  await fs.mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(opts.workDir, 'tls-'));
  try {
    await fs.chmod(dir, 0o700);
    const ssl = (...args: string[]) => runOpenssl(bin, args, dir);
    await fs.writeFile(path.join(dir, 'ca.cnf'), caConfig(opts.stackId), { mode: 0o600 });
    await fs.writeFile(path.join(dir, 'server.cnf'), serverConfig(ips), { mode: 0o600 });
    const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    await ssl('genpkey', ...ec, '-out', 'ca.key');
    await ssl(
      'req',
      '-config',
      'ca.cnf',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-sha256',
      '-days',
      String(days),
      '-set_serial',
      serial(),
      '-out',
      'ca.crt',
    );
    await ssl('genpkey', ...ec, '-out', 'server.key');
    await ssl('req', '-config', 'server.cnf', '-new', '-key', 'server.key', '-out', 'server.csr');
    await ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      serial(),
      '-sha256',
      '-days',
      String(days),
      '-extfile',
      'server.cnf',
      '-extensions',
      'v3_server',
      '-out',
      'server.crt',
    );
    // The CA key has done its one job: gone before anything else can happen.
    await fs.rm(path.join(dir, 'ca.key'), { force: true });
    await ssl('verify', '-CAfile', 'ca.crt', 'server.crt');
    const read = (f: string) => fs.readFile(path.join(dir, f), 'utf8');
    const serverKeyPem = await read('server.key');
    maskPem(serverKeyPem, opts.mask);
    return { caCertPem: await read('ca.crt'), serverCertPem: await read('server.crt'), serverKeyPem };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
