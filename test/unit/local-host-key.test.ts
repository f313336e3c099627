// The local provider writes each node's host key, made on the runner, into the node's root file
// system before it boots (what cloud-init's ssh_keys does on EC2): mode 0600, the exact key the
// runner pins, not replaced by `ssh-keygen -A` (which adds only the other types).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateHostKeys } from '../../src/core/host-keys';
import { runHost } from '../../src/local/exec';
import { osArchive } from '../../src/local/os-archives';
import { writeNodeFiles } from '../../src/local/node-files';

test('writeNodeFiles installs the pinned ed25519 host key (0600) and keeps it through ssh-keygen -A', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-node-root-'));
  try {
    const masked: string[] = [];
    const keys = generateHostKeys('hostkeyunit', ['controller', 'compute1'], (s) => masked.push(s));
    expect(keys.controller.publicKey).not.toBe(keys.compute1.publicKey);
    expect(masked).toContain(keys.controller.privateKey);
    expect(masked).not.toContain(keys.controller.publicKey);
    await writeNodeFiles(runHost, root, {
      hostname: 'controller',
      nics: [],
      hosts: [{ name: 'controller', ip: '10.0.0.11' }],
      sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE8x test',
      hostKey: keys.controller,
      aptProxy: 'http://10.0.0.1:3142',
      archive: osArchive('debian-12', { archive: 'http://deb.debian.org/debian' }),
    });
    const file = path.join(root, 'etc/ssh/ssh_host_ed25519_key');
    expect(fs.readFileSync(file, 'utf8')).toBe(keys.controller.privateKey);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${file}.pub`, 'utf8')).toBe(`${keys.controller.publicKey}\n`);
    // What sshd will present: derived from the private file by OpenSSH itself.
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).split(' ').slice(0, 2);
    expect(derived).toEqual(keys.controller.publicKey.split(' ').slice(0, 2));
    expect(fs.existsSync(path.join(root, 'etc/ssh/ssh_host_rsa_key'))).toBe(true); // the other types, made there
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
