// Each instance's user-data on the stateful fake EC2: a MIME multi-part whose cloud-config installs
// exactly that node's host key (the one the runner pins) through cloud-init's ssh_keys, and whose
// shell part is the dead-man's switch. The key goes to its node only.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { hostKeyCloudConfig, instanceUserData } from '../../../src/aws/user-data';
import { generateSshKey } from '../../../src/core/secrets';
import { Tags } from '../../../src/core/names';
import { rig } from './harness';

/** The parts of a multipart/mixed document: content type → body. */
function mimeParts(doc: string): Array<{ type: string; body: string }> {
  const boundary = /boundary="([^"]+)"/.exec(doc)![1];
  const chunks = doc.split(`--${boundary}`);
  expect(chunks.at(-1)!.startsWith('--')).toBe(true); // the closing delimiter
  return chunks.slice(1, -1).map((c) => {
    const [head, ...rest] = c.replace(/^\n/, '').split('\n\n');
    return { type: /Content-Type: ([^;]+)/.exec(head)![1], body: rest.join('\n\n').replace(/\n$/, '') };
  });
}

describe('instance user-data', () => {
  it('hands every instance its own host key in cloud-config, next to the dead-man switch', async () => {
    const r = rig();
    await r.up();
    const instances = [...r.fake.instances.values()];
    expect(instances.length).toBe(r.plan.nodes.length);
    for (const inst of instances) {
      const node = inst.tags[Tags.Node];
      const doc = Buffer.from(inst.input.UserData!, 'base64').toString('utf8');
      const parts = mimeParts(doc);
      expect(parts.map((p) => p.type)).toEqual(['text/cloud-config', 'text/x-shellscript']);
      expect(parts[0].body.startsWith('#cloud-config\n')).toBe(true);
      const config = yaml.load(parts[0].body) as {
        ssh_deletekeys: boolean;
        ssh_keys: { ed25519_private: string; ed25519_public: string };
      };
      expect(config.ssh_deletekeys).toBe(true);
      expect(config.ssh_keys.ed25519_private).toBe(r.hostKeys[node].privateKey);
      expect(config.ssh_keys.ed25519_public).toBe(r.hostKeys[node].publicKey);
      // No other node's key travels with it.
      for (const [other, key] of Object.entries(r.hostKeys))
        if (other !== node) expect(doc).not.toContain(key.publicKey.split(' ')[1]);
      expect(parts[1].body).toContain('openstack-on-aws dead-man');
      expect(parts[1].body).toContain(r.plan.stackId);
    }
  });

  it('the cloud-config private key is byte for byte a key OpenSSH reads', () => {
    const key = generateSshKey('node.stack host key');
    const config = yaml.load(hostKeyCloudConfig(key)) as { ssh_keys: { ed25519_private: string } };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-userdata-'));
    try {
      const file = path.join(dir, 'ssh_host_ed25519_key');
      fs.writeFileSync(file, config.ssh_keys.ed25519_private, { mode: 0o600 });
      // ssh-keygen -y derives the public key from the private file: it must be the pinned one.
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim().split(' ');
      expect(derived.slice(0, 2)).toEqual(key.publicKey.split(' ').slice(0, 2));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a launch without a host key, and anything that is not an ed25519 key', async () => {
    const key = generateSshKey('x');
    expect(() => hostKeyCloudConfig({ ...key, publicKey: 'ssh-rsa AAAA x' })).toThrow('not an ssh-ed25519 public key');
    expect(() => hostKeyCloudConfig({ ...key, privateKey: 'nope' })).toThrow('not an OpenSSH private key');
    expect(instanceUserData('s', '2026-12-01T12:00:00Z', key)).toContain('multipart/mixed');
    const r = rig();
    for (const k of Object.keys(r.hostKeys)) delete r.hostKeys[k];
    await expect(r.up()).rejects.toThrow(/no host key was made for (controller|compute1)/);
  });
});
