// Redacting a subunit v2 stream (the log bundle's results.subunit) keeps it readable: real streams
// from python3-subunit (the stand-in Tempest suite, and subunit-output with attachments of chosen
// sizes), read back by the real subunit2junitxml and subunit-stats.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { redactSecretShapes } from '../../src/core/mask';
import { parseTempestJunit } from '../../src/smoke/tempest-results';
import { maskSecretsInTree } from '../../src/report/mask-tree';
import { redactSubunit } from '../../src/report/subunit';
import { AS_ROOT, describeIf, needFile } from '../helpers/requires';
import { junitOf, needSubunitTools, standinSubunit } from '../helpers/tempest-standin';

const SECRET = 'Zq8Wm3Tx6Rb1Kp4Yv7Nc2Hd9';
const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'.repeat(8)}\n-----END OPENSSH PRIVATE KEY-----`;

function stats(stream: Buffer): string {
  const r = spawnSync('/usr/bin/subunit-stats', [], { input: stream, env: { PATH: '/usr/bin:/bin' } });
  return r.stdout.toString();
}

/** One failed test whose attachment is `text`, then one passed test: python3-subunit's own writer. */
function streamWith(text: string): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-subunit-'));
  try {
    fs.writeFileSync(path.join(dir, 'log.txt'), text);
    const out = (args: string[]) =>
      spawnSync('/usr/bin/subunit-output', args, { cwd: dir, env: { PATH: '/usr/bin:/bin' } }).stdout;
    return Buffer.concat([
      out(['--fail', 'tempest.api.test_a', '--attach-file', 'log.txt', '--mimetype', 'text/plain;charset=utf8']),
      out(['--success', 'tempest.api.test_b']),
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describeIf([...needSubunitTools(), needFile('/usr/bin/subunit-output', 'subunit')], AS_ROOT)(
  'redacting a real subunit v2 stream',
  () => {
    it("the stand-in Tempest run: the secret is gone and every test's result still reads", () => {
      const stream = standinSubunit(SECRET);
      const before = parseTempestJunit(junitOf(stream));
      expect(stream.toString('latin1')).toContain(SECRET);
      const r = redactSubunit(stream, redactSecretShapes);
      expect(r.replacements).toBeGreaterThan(0);
      expect(r.buf.toString('latin1')).not.toContain(SECRET);
      const junit = junitOf(r.buf);
      expect(junit).not.toMatch(/name="parser"/);
      const after = parseTempestJunit(junit);
      expect([after.passed, after.failed, after.skipped]).toEqual([before.passed, before.failed, before.skipped]);
      expect(junit).toContain('{"auth": {"password": "***"}}');
    });

    it('a text replacement breaks the stream (what this guards against), the rewrite does not', () => {
      const stream = streamWith(`request {"password": "${SECRET}"}\n`);
      expect(stats(stream)).toMatch(/Total tests:\s+2\n/);
      const naive = Buffer.from(redactSecretShapes(stream.toString('latin1')).text, 'latin1');
      expect(stats(naive)).not.toMatch(/Total tests:\s+2\nPassed tests:\s+1\nFailed tests:\s+1\n/);
      const r = redactSubunit(stream, redactSecretShapes);
      expect(stats(r.buf)).toMatch(/Total tests:\s+2\nPassed tests:\s+1\nFailed tests:\s+1\n/);
      expect(r.buf.toString('latin1')).not.toContain(SECRET);
    });

    it('a packet whose length field shrinks from 3 bytes to 2 (an attachment across 16 KiB) and a private key', () => {
      const text = `${'x'.repeat(16200)}\n${KEY}\n{"adminPass": "${SECRET}"}\n`;
      const stream = streamWith(text);
      const r = redactSubunit(stream, redactSecretShapes);
      expect(r.replacements).toBe(2);
      // The first packet's length field (after signature and flags): 3 bytes before, 2 after.
      expect([stream[3] >> 6, r.buf[3] >> 6]).toEqual([2, 1]);
      expect(r.buf.length).toBeLessThan(stream.length - KEY.length / 2);
      expect(stats(r.buf)).toMatch(/Total tests:\s+2\nPassed tests:\s+1\nFailed tests:\s+1\n/);
      const junit = junitOf(r.buf);
      expect(junit).toContain('-----BEGIN OPENSSH PRIVATE KEY-----***-----END OPENSSH PRIVATE KEY-----');
      expect(junit).not.toContain(SECRET);
    });

    it('secrets straddling chunk boundaries of interleaved attachments (concurrent workers) are redacted', () => {
      const r0 = spawnSync('/usr/bin/python3', [path.join(__dirname, '../fixtures/smoke/subunit_chunks.py'), SECRET], {
        env: { PATH: '/usr/bin:/bin' },
      });
      const stream = r0.stdout;
      // Each chunk alone holds only part of each secret: redacting packet by packet would miss both.
      expect(stream.toString('latin1')).not.toContain(`"password": "${SECRET}"`);
      expect(junitOf(stream)).toContain(`"password": "${SECRET}"`);
      const r = redactSubunit(stream, redactSecretShapes);
      expect([r.readable, r.replacements]).toEqual([true, 2]);
      expect(stats(r.buf)).toMatch(/Total tests:\s+2\nPassed tests:\s+1\nFailed tests:\s+1\n/);
      const junit = junitOf(r.buf);
      expect(junit).not.toMatch(/name="parser"/);
      expect(junit).not.toContain(SECRET.slice(0, 8));
      expect(junit).not.toContain('MIIEpAIBAAKCAQEA');
      expect(junit).toContain(`${'x'.repeat(40)}{"password": "***"}\n${'y'.repeat(100)}`);
    });

    it('a stream it cannot read (a broken checksum) is redacted as text, whole', () => {
      const stream = streamWith(`{"password": "${SECRET}"}\n`);
      stream[stream.length - 1] ^= 0xff;
      const r = redactSubunit(stream, redactSecretShapes);
      expect([r.readable, r.replacements]).toEqual([false, 1]);
      expect(r.buf.toString('latin1')).not.toContain(SECRET);
    });

    it("the bundle's known-value masking keeps results.subunit a stream too, and names one it could not read", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-subunit-tree-'));
      try {
        const known = 'kNoWn-RabbitMQ-pass-77';
        fs.mkdirSync(path.join(dir, 'controller/logs/tempest'), { recursive: true });
        fs.writeFileSync(
          path.join(dir, 'controller/logs/tempest/results.subunit'),
          streamWith(`amqp://openstack:${known}@controller\n`),
        );
        const broken = streamWith(`amqp://openstack:${known}@controller\n`);
        broken[broken.length - 1] ^= 0xff;
        fs.writeFileSync(path.join(dir, 'controller/logs/tempest/old.subunit'), broken);
        const m = await maskSecretsInTree(dir, [known]);
        expect([m.replacements, m.textOnly]).toEqual([2, ['controller/logs/tempest/old.subunit']]);
        const masked = fs.readFileSync(path.join(dir, 'controller/logs/tempest/results.subunit'));
        expect(masked.toString('latin1')).not.toContain(known);
        expect(stats(masked)).toMatch(/Total tests:\s+2\nPassed tests:\s+1\nFailed tests:\s+1\n/);
        expect(junitOf(masked)).toContain('amqp://openstack:***@controller');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a stream without secrets comes back byte for byte', () => {
      const stream = streamWith('nothing to hide here\n');
      const r = redactSubunit(stream, redactSecretShapes);
      expect(r.replacements).toBe(0);
      expect(r.buf.equals(stream)).toBe(true);
    });
  },
);
