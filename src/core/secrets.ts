// Per-stack secrets: the admin, database, RabbitMQ and service passwords and the SSH key pair. All
// are generated here, in the action, and masked before anything can print them.

import { generateKeyPairSync, randomBytes } from 'crypto';
import { registerSecret } from './mask';

export const PASSWORD_NAMES = [
  'admin',
  'demo',
  'mariadb-root',
  'rabbitmq',
  'keystone-db',
  'glance-db',
  'glance',
  'placement-db',
  'placement',
  'nova-db',
  'nova',
  'neutron-db',
  'neutron',
  'metadata-secret',
  'cinder-db',
  'cinder',
  'swift',
  'swift-hash-prefix',
  'swift-hash-suffix',
  'horizon-secret-key',
] as const;
export type PasswordName = (typeof PASSWORD_NAMES)[number];

export interface SshKeyPair {
  /** OpenSSH private key file content (openssh-key-v1, unencrypted). */
  privateKey: string;
  /** One line: "ssh-ed25519 AAAA... comment". */
  publicKey: string;
}

export interface StackSecrets {
  passwords: Record<PasswordName, string>;
  sshKey: SshKeyPair;
}

/** 24 characters from [A-Za-z0-9]: safe unquoted in ini files, SQL, URLs and shell. */
export function generatePassword(random: (n: number) => Buffer = randomBytes): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < 24) {
    for (const b of random(32)) {
      if (b < 248 && out.length < 24) out += alphabet[b % 62]; // 248 = 4 × 62: no modulo bias
    }
  }
  return out;
}

function sshString(data: Buffer | string): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** An ed25519 key pair in OpenSSH's own formats (node's crypto only speaks PEM/DER/JWK). */
export function generateSshKey(comment: string): SshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]);
  const b64 = body
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .replace(/\n$/, '');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`,
  };
}

/**
 * Generates every secret of a stack and masks each one through `mask` (the Io's) and the process's
 * own masker (src/core/mask.ts) before returning it.
 */
export function generateStackSecrets(stackId: string, maskInIo: (secret: string) => void): StackSecrets {
  const mask = (s: string) => {
    registerSecret(s);
    maskInIo(s);
  };
  const passwords = Object.fromEntries(PASSWORD_NAMES.map((n) => [n, generatePassword()])) as Record<
    PasswordName,
    string
  >;
  for (const p of Object.values(passwords)) mask(p);
  const sshKey = generateSshKey(`openstack-on-aws-${stackId}`);
  mask(sshKey.privateKey);
  for (const line of sshKey.privateKey.split('\n')) if (line.length > 20 && !line.startsWith('-----')) mask(line);
  return { passwords, sshKey };
}
