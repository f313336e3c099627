// The shape redaction (core/mask.ts): secrets no one told this run, in text as Tempest leaves it.
// The samples are the forms its rest_client logs bodies in (JSON sent, Python's repr of the bytes
// received) and the log testtools attaches to a failure, as subunit2junitxml renders that in the
// JUnit (quotes raw in the body, &quot; in attributes).

import { redactSecretShapes } from '../../src/core/mask';

const redact = (s: string) => redactSecretShapes(s).text;
const USER_PW = 'Qm4-Rt8!Vw2zLp6s';
const ADMIN_PASS = 'nR4vB8sQ2kLp';
const KEY_BODY = 'MIIEowIBAAKCAQEAyK3f9Xq2Lm7Vt1Wb8Nz5Hc4Jd6Pe0Rs2Tu9Ya3Bo7Ci1Dk5Fg8';

// A failing test's details as the JUnit carries them: the captured log, then the traceback.
const TRACEBACK = [
  "testtools.testresult.real._StringException: pythonlogging:'': {{{",
  `2026-11-21 17:02:11,123 12345 DEBUG    [tempest.lib.common.rest_client] Request - Headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-Auth-Token': '<omitted>'}`,
  `        Body: {"user": {"name": "tempest-RoutersTest-1234-user", "password": "${USER_PW}", "project_id": "3f2a", "email": "tempest@example.com", "enabled": true}}`,
  `    Response - Headers: {'date': 'Sat, 21 Nov 2026 17:02:11 GMT', 'content-type': 'application/json', 'status': '201'}`,
  `        Body: b'{"keypair": {"name": "tempest-keypair-99", "public_key": "ssh-rsa AAAAB3Nza Generated-by-Nova", "private_key": "-----BEGIN RSA PRIVATE KEY-----\\\\n${KEY_BODY}\\\\n-----END RSA PRIVATE KEY-----\\\\n", "user_id": "u1"}}'`,
  `        Body: b'{"server": {"id": "9c1d", "links": [], "OS-DCF:diskConfig": "MANUAL", "adminPass": "${ADMIN_PASS}"}}'`,
  '}}}',
  '',
  'Traceback (most recent call last):',
  '  File "/usr/lib/python3/dist-packages/tempest/api/compute/servers/test_servers.py", line 61, in test_create_server',
  "    server = self.create_test_server(adminPass='" + ADMIN_PASS + "')",
  "tempest.lib.exceptions.Conflict: Conflict with state of target resource Details: {'password': '" +
    USER_PW +
    "', 'type': 'x'}",
].join('\n');

describe('redactSecretShapes', () => {
  it("a Tempest failure: the dynamic user's password, adminPass and the keypair's private key gone, the rest kept", () => {
    const r = redactSecretShapes(TRACEBACK);
    for (const secret of [USER_PW, ADMIN_PASS, KEY_BODY]) expect(r.text).not.toContain(secret);
    expect(r.text).toContain('"name": "tempest-RoutersTest-1234-user", "password": "***", "project_id": "3f2a"');
    expect(r.text).toContain('"private_key": "***", "user_id": "u1"');
    expect(r.text).toContain('"adminPass": "***"}}');
    expect(r.text).toContain("Details: {'password': '***', 'type': 'x'}");
    // what is not secret stays readable
    expect(r.text).toContain("'X-Auth-Token': '<omitted>'");
    expect(r.text).toContain('"public_key": "ssh-rsa AAAAB3Nza Generated-by-Nova"');
    expect(r.text.split('\n')).toHaveLength(TRACEBACK.split('\n').length);
    expect(r.text).toContain("self.create_test_server(adminPass='***')");
    // the key block, then its JSON value again, the two passwords, adminPass twice
    expect(r.replacements).toBe(6);
  });

  it('py-repr quoting, a value with the other quote or an escaped one, and a secret inside an escaped string', () => {
    expect(redact(`{'password': "it's-Q9z", 'name': 'u'}`)).toBe(`{'password': "***", 'name': 'u'}`);
    expect(redact(String.raw`{"password": "a\"b\\c", "x": 1}`)).toBe(`{"password": "***", "x": 1}`);
    expect(redact(String.raw`"blob": "{\"access\": \"a1\", \"secret\": \"s3cr3tV\"}"`)).toBe(
      String.raw`"blob": "{\"access\": \"a1\", \"secret\": \"***\"}"`,
    );
    expect(redact('{"admin_password": "Ab12Cd34", "original_password": "Ef56", "new_password": "Gh78"}')).toBe(
      '{"admin_password": "***", "original_password": "***", "new_password": "***"}',
    );
  });

  it('as XML writes it (attributes): &quot; quotes', () => {
    expect(redact('message="{&quot;password&quot;: &quot;Zx8Qw&amp;1&quot;}"')).toBe(
      'message="{&quot;password&quot;: &quot;***&quot;}"',
    );
  });

  it("a keyword argument or attribute in Python's repr", () => {
    expect(redact("Credentials(username='u1', password='Ab12Cd34', project_name='p')")).toBe(
      "Credentials(username='u1', password='***', project_name='p')",
    );
  });

  it('a raw PEM block, and one cut short by a log line limit', () => {
    const raw = `key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAB\n-----END OPENSSH PRIVATE KEY-----\nnext line`;
    expect(redact(raw)).toBe(
      'key:\n-----BEGIN OPENSSH PRIVATE KEY-----***-----END OPENSSH PRIVATE KEY-----\nnext line',
    );
    expect(redact(`"private_key": "-----BEGIN RSA PRIVATE KEY-----\\n${KEY_BODY}\\nMIIE<truncated>`)).not.toContain(
      KEY_BODY,
    );
    expect(redact(`-----BEGIN PRIVATE KEY-----\n${KEY_BODY}`)).not.toContain(KEY_BODY);
  });

  it('a value cut off at the end of its line is redacted to there', () => {
    expect(redact(`Body: {"password": "${USER_PW}\nnext`)).toBe('Body: {"password": "***\nnext');
  });

  it('leaves alone what only looks near: an object under "password", a masked value, an unquoted Password', () => {
    const text = `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "x", "password": "***"}}}}} User: ooa, Password: None; "secret_ref": "https://barbican/v1/secrets/1"`;
    expect(redactSecretShapes(text)).toEqual({ text, replacements: 0 });
  });
});
