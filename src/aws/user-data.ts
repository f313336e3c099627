// What each instance boots with (EC2 user-data, a MIME multi-part cloud-init reads):
// - cloud-config with the node's SSH host key, made on the runner, which pins its public half, so
//   the first connection already refuses any other key. cloud-init writes it in its init stage,
//   which runs before sshd first starts, and deletes the image's own host keys (ssh_deletekeys).
//   The private half is a secret of that node alone: user-data is readable by whoever may call
//   DescribeInstanceAttribute in the account and by root on the instance (IMDSv2), and by nobody
//   else; it authenticates the node to the runner and opens nothing. It is masked on the runner.
// - the dead-man's switch: with instance-initiated shutdown = terminate, a per-boot script
//   schedules `shutdown -h` for the stack's expires-at, so a runner that dies cannot leave
//   instances running. Only the stack id and a timestamp.

import type { SshKeyPair } from '../core/secrets';

import { shellQuote } from '../core/shell-quote';

export function deadMansSwitch(stackId: string, expiresAt: string): string {
  const expiry = new Date(expiresAt);
  if (Number.isNaN(expiry.getTime())) throw new Error(`expires-at '${expiresAt}' is not a timestamp`);
  const epoch = Math.floor(expiry.getTime() / 1000);
  const arm = `#!/bin/sh
# openstack-on-aws stack ${stackId}: power off (= terminate) at ${expiry.toISOString()}
now=$(date +%s)
left=$(( (${epoch} - now + 59) / 60 ))
if [ "$left" -lt 1 ]; then left=1; fi
shutdown -h +"$left" ${shellQuote(`openstack-on-aws: stack ${stackId} reached its lifetime`)} >/dev/null 2>&1 || true
`;
  return `#!/bin/sh
# openstack-on-aws dead-man's switch: only a stack id and a time, nothing confidential
mkdir -p /var/lib/cloud/scripts/per-boot
cat > /var/lib/cloud/scripts/per-boot/openstack-on-aws-expiry.sh <<'ARM'
${arm}ARM
chmod 0755 /var/lib/cloud/scripts/per-boot/openstack-on-aws-expiry.sh
/var/lib/cloud/scripts/per-boot/openstack-on-aws-expiry.sh
`;
}

/** YAML literal block: every line of `text` indented, so no character of it needs escaping. */
function literalBlock(text: string, indent: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `${indent}${l}`)
    .join('\n');
}

/** cloud-config that installs `hostKey` as the node's ed25519 host key. */
export function hostKeyCloudConfig(hostKey: SshKeyPair): string {
  const pub = hostKey.publicKey.trim();
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+( [^\n]*)?$/.test(pub))
    throw new Error('the host key is not an ssh-ed25519 public key line');
  if (!hostKey.privateKey.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----'))
    throw new Error('the host key is not an OpenSSH private key');
  return [
    '#cloud-config',
    "# openstack-on-aws: this node's SSH host key, made on the runner, which pins it",
    'ssh_deletekeys: true',
    'ssh_keys:',
    '  ed25519_private: |',
    literalBlock(hostKey.privateKey, '    '),
    `  ed25519_public: ${JSON.stringify(pub)}`,
    '',
  ].join('\n');
}

/** The whole user-data: the host key's cloud-config and the dead-man's switch, as MIME parts. */
export function instanceUserData(stackId: string, expiresAt: string, hostKey: SshKeyPair): string {
  const parts: Array<[string, string]> = [
    ['text/cloud-config', hostKeyCloudConfig(hostKey)],
    ['text/x-shellscript', deadMansSwitch(stackId, expiresAt)],
  ];
  // '-' is outside base64's alphabet and no part has such a line: the boundary cannot occur inside.
  const boundary = '==openstack-on-aws-part==';
  const lines = [`Content-Type: multipart/mixed; boundary="${boundary}"`, 'MIME-Version: 1.0', ''];
  for (const [type, body] of parts) {
    lines.push(
      `--${boundary}`,
      `Content-Type: ${type}; charset="us-ascii"`,
      'MIME-Version: 1.0',
      'Content-Transfer-Encoding: 7bit',
      '',
      body.trimEnd(),
      '',
    );
  }
  lines.push(`--${boundary}--`, '');
  return lines.join('\n');
}

export function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
