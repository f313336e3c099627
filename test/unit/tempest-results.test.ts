// Tempest reporting (issue 15, lines 6 and 7). Two sources of real result files:
// - made here, by the real tool chain: the stand-in suite (test/fixtures/smoke/tempest_standin.py,
//   Tempest's ids, failures in tests and in setUpClass, skips in both) recorded as a subunit v2
//   stream by python3-subunit and rendered by subunit2junitxml (python3-junitxml), as the
//   controller does after `tempest run --subunit`;
// - recorded earlier with the same tools (tempest-run-*.xml, see test/fixtures/smoke/README.md).
// Counts come from the cases, not from the suite's attributes (subunit2junitxml writes no skipped
// count) nor from the exit code.

import * as fs from 'fs';
import * as path from 'path';
import { junitCounts } from '../../src/smoke/junit-counts';
import {
  describeCounts,
  errorOf,
  listExclusions,
  listFailures,
  listSkipsByReason,
  parseTempestJunit,
  redactTempestJunit,
  tracebackHead,
} from '../../src/smoke/tempest-results';
import { maskSecrets } from '../../src/smoke/shell';
import { AS_ROOT, describeIf } from '../helpers/requires';
import { junitOf, needSubunitTools, standinSubunit } from '../helpers/tempest-standin';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/smoke', name), 'utf8');
const SECRET = 'Hq7Lm2Vx9Rt4Kp6Wb3Nz8Yc5';

describeIf(needSubunitTools(), AS_ROOT)('Tempest results from a real subunit stream', () => {
  let junit = '';
  beforeAll(() => {
    junit = junitOf(standinSubunit(SECRET));
  });

  it('counts passed, failed and skipped from the test cases (the suite has no skipped count)', () => {
    expect(junit).toMatch(/<testsuite errors="0" failures="3" name="" tests="8"/);
    expect(junit).not.toMatch(/skipped="/);
    const r = parseTempestJunit(junit);
    expect([r.passed, r.failed, r.skipped, r.cases.length]).toEqual([2, 3, 3, 8]);
    expect(describeCounts(r)).toBe('2 passed, 3 failed, 3 skipped');
    // the merged report counts the same skips from the elements
    expect(junitCounts(junit)).toEqual({ tests: 8, failures: 3, errors: 0, skipped: 3 });
  });

  it('names each failed test with its error and the first lines of its traceback', () => {
    const failures = listFailures(parseTempestJunit(redactTempestJunit(junit)));
    expect(failures.map((f) => f.split('\n')[0])).toEqual([
      `tempest.api.network.test_routers.RoutersTest.test_create_show_list_update_delete_router[id-f64403e2-8483-4b34-8ccd-b09a87bcc68c,smoke]: tempest.lib.exceptions.Conflict: Conflict with state of target resource Details: {'type': 'IpAddressGenerationFailure', 'message': 'No more IP addresses available on network 7c1c4d0e-6b4e-4a53-9b4b-6d0f0b1f3a55.', 'detail': ''} (request: {"auth": {"password": "***"}})`, // redacted by its shape, before any masking
      'setUpClass (tempest.api.compute.servers.test_server_actions.ServerActionsTestJSON): RuntimeError: setUpClass failed: image 8e2f5c1a never became ACTIVE',
      'tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba,smoke]: tempest.lib.exceptions.SSHTimeout: Connection to the 203.0.113.41 via SSH timed out. User: ooa, Password: None',
    ]);
    // below the name: the traceback from its start (testtools' prefix gone), the test's own frame first
    const router = failures[0].split('\n').slice(1);
    expect(router[0]).toBe('    Traceback (most recent call last):');
    expect(router[1]).toMatch(
      /^ {6}File ".*tempest_standin\.py", line \d+, in test_create_show_list_update_delete_router$/,
    );
    expect(router[2]).toBe('        self._set_gateway()');
    expect(router.length).toBeLessThanOrEqual(9);
    expect(failures.join('\n')).not.toContain('_StringException');
  });

  it('what the summary and the log show of it carries no secret once masked (as the check does)', () => {
    const shown = listFailures(parseTempestJunit(junit)).map((l) => maskSecrets(l, [SECRET]));
    expect(shown.join('\n')).toContain('"password": "***"');
    expect(shown.join('\n')).not.toContain(SECRET);
  });

  it('lists every skip with its reason, grouped by reason, setUpClass skips included', () => {
    expect(listSkipsByReason(parseTempestJunit(junit))).toEqual([
      [
        'Floating ips are not available (2; network-fix seeds has no floating IPs):',
        '    tempest.api.network.test_floating_ips.FloatingIPTestJSON.test_create_list_show_update_delete_floating_ip[id-62595970-ab1c-4b7f-8fcc-fddfe55e8718,smoke]',
        '    tempest.api.network.test_floating_ips.FloatingIPTestJSON.test_floating_ip_delete_port[id-e1f6bffd-442f-4668-b30e-df13f2705e77,smoke]',
      ].join('\n'),
      [
        'Cinder is not available (1; this topology deploys no Cinder (topology full does)):',
        '    setUpClass (tempest.api.volume.test_volumes_get.VolumesGetTest)',
      ].join('\n'),
    ]);
  });
});

describe("the skips' reasons, with why this cloud gives them", () => {
  const skipped = (reason: string) =>
    listSkipsByReason({
      passed: 0,
      failed: 0,
      skipped: 1,
      cases: [{ id: 'setUpClass (a.B)', status: 'skipped', detail: reason }],
    } as unknown as Parameters<typeof listSkipsByReason>[0])[0].split('\n')[0];
  it("names what the stack does not deploy for Tempest's own words, and leaves unknown reasons as they are", () => {
    expect(skipped('Identity api v2 is not enabled')).toContain('Keystone has had no v2 API since Queens');
    expect(skipped('ObjectTest skipped as swift is not available')).toContain('this topology deploys no Swift');
    expect(skipped('VolumesGetTest skipped as Cinder is not available')).toContain('this topology deploys no Cinder');
    expect(skipped('Volume service not enabled.')).toContain('this topology deploys no Cinder');
    expect(skipped('Less than 2 compute nodes, skipping multinode tests.')).toContain('one compute node');
    expect(skipped('Horizon support is required')).toContain("inside the router's namespace");
    expect(skipped('Only owner network supports creating interface by fixed ip.')).toContain('network-fix seeds');
    expect(skipped('Some feature is missing')).toBe('Some feature is missing (1):');
  });
});

describe('Tempest results (recorded subunit2junitxml output)', () => {
  it('counts a failing run from its cases: each failure with its error, each skip with its reason', () => {
    const xml = fixture('tempest-run-fail.xml');
    expect(xml).toMatch(/<testsuite errors="0" failures="3" name="" tests="8"/); // no skipped= at all
    const r = parseTempestJunit(xml);
    expect([r.passed, r.failed, r.skipped, r.cases.length]).toEqual([3, 3, 2, 8]);
    expect(listFailures(r).map((f) => f.split('\n')[0])).toEqual([
      'setUpClass (tempest.api.compute.test_servers.ServerActionsTestJSON): RuntimeError: setUpClass failed: image 8e2f5c1a never became ACTIVE',
      "tempest.api.network.test_routers.RoutersTest.test_create_show_list_update_delete_router[id-f64403e2-8483-4b34-8ccd-b09a87bcc68c,smoke]: tempest.lib.exceptions.Conflict: Conflict with state of target resource Details: {'type': 'IpAddressGenerationFailure', 'message': 'No more IP addresses available on network 7c1c4d0e-6b4e-4a53-9b4b-6d0f0b1f3a55.', 'detail': ''}",
      'tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba,smoke]: tempest.lib.exceptions.SSHTimeout: Connection to the 198.51.100.23 via SSH timed out. User: cirros, Password: None',
    ]);
    expect(listSkipsByReason(r)).toEqual([
      'Cinder is not available (1; this topology deploys no Cinder (topology full does)):\n    setUpClass (tempest.api.volume.test_volumes_get.VolumesGetTest)',
      'Floating ips are not available (1; network-fix seeds has no floating IPs):\n    tempest.api.network.test_floating_ips.FloatingIPTestJSON.test_create_list_show_update_delete_floating_ip[id-62595970-ab1c-4b7f-8fcc-fddfe55e8718,smoke]',
    ]);
  });

  it('the merged JUnit report counts the skips subunit2junitxml leaves uncounted', () => {
    expect(junitCounts(fixture('tempest-run-fail.xml'))).toEqual({ tests: 8, failures: 3, errors: 0, skipped: 2 });
    expect(
      junitCounts('<testsuite tests="2" skipped="1"><testcase name="a"><skipped/></testcase></testsuite>').skipped,
    ).toBe(1);
  });

  it('counts a passing run, skips included', () => {
    const r = parseTempestJunit(fixture('tempest-run-pass.xml'));
    expect([r.passed, r.failed, r.skipped]).toEqual([2, 0, 2]);
  });

  it('reads <error>, <skip>, <skipped message=…>, a bodiless unexpected success, and unescapes', () => {
    const r = parseTempestJunit(
      '<testsuite><testcase classname="a.B" name="t1"><error type="x">Traceback (most recent call last):\n  File "f.py", line 1, in t\n    x()\nValueError: a &lt;b&gt; &amp; c\n</error></testcase>' +
        '<testcase classname="a.B" name="t2"><skip>no &quot;swift&quot;</skip></testcase>' +
        '<testcase classname="a.B" name="t3"><skipped message="not deployed"/></testcase>' +
        '<testcase classname="a.B" name="t4"><failure type="unittest.case._UnexpectedSuccess"/></testcase></testsuite>',
    );
    expect(r.cases).toEqual([
      {
        id: 'a.B.t1',
        status: 'failed',
        detail: 'ValueError: a <b> & c',
        traceback: 'Traceback (most recent call last):\n  File "f.py", line 1, in t\n    x()\nValueError: a <b> & c',
      },
      { id: 'a.B.t2', status: 'skipped', detail: 'no "swift"' },
      { id: 'a.B.t3', status: 'skipped', detail: 'not deployed' },
      { id: 'a.B.t4', status: 'failed', detail: 'failed (unittest.case._UnexpectedSuccess)' },
    ]);
    expect(parseTempestJunit('')).toEqual({ passed: 0, failed: 0, skipped: 0, cases: [] });
    expect(errorOf('just one line')).toBe('just one line');
    expect(errorOf('x'.repeat(500))).toHaveLength(400);
  });

  it('keeps the head of a long traceback and says how much is left out', () => {
    const tb = ['Traceback (most recent call last):', ...Array.from({ length: 20 }, (_, i) => `  line ${i}`), 'E: x'];
    const head = tracebackHead(tb.join('\n')).split('\n');
    expect(head).toHaveLength(9);
    expect(head[8]).toBe('... (14 more lines in the JUnit report)');
  });
});

describe('the exclude list', () => {
  it('names each excluded pattern with its reason; comments and blank lines are no exclusions', () => {
    expect(listExclusions('test_a # why a\n\n# a comment\ntest_b\n')).toEqual([
      'test_a: why a',
      'test_b: no reason given',
    ]);
    expect(listExclusions('')).toEqual([]);
  });
});

describe('secrets by shape (passwords and keys this run was never told)', () => {
  it('are gone from the errors, tracebacks and skip reasons listed, before the 400-character cut', () => {
    const pw = 'Tq8-Ws3!Lx6vNb1k';
    const key = 'MIIEowIBAAKCAQEAvR2nK8sT5qW1Lm9Pz4Xc7Yb3Hd6Jf0Ge2Ra';
    // the PEM opens past the error's 400-character cut, so only redacting first hides what precedes it
    const pad = 'x'.repeat(380);
    const xml = `<testsuite tests="2"><testcase classname="tempest.api.compute.keypairs.test_keypairs.KeyPairsV2TestJSON" name="test_keypair_create_delete"><failure type="testtools.testresult.real._StringException">Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/tempest/lib/common/rest_client.py", line 977, in _error_checker
    raise exceptions.Conflict(resp_body, resp=resp)
tempest.lib.exceptions.Conflict: ${pad} {"keypair": {"private_key": "-----BEGIN RSA PRIVATE KEY-----\\n${key}\\n-----END RSA PRIVATE KEY-----\\n"}} {'password': '${pw}'}
</failure></testcase><testcase classname="a.B" name="t"><skipped>user {"password": "${pw}"} cannot log in</skipped></testcase></testsuite>`;
    const r = parseTempestJunit(redactTempestJunit(xml));
    const shown = [...listFailures(r), ...listSkipsByReason(r)].join('\n');
    expect(shown).not.toContain(pw);
    expect(shown).not.toContain(key.slice(0, 12));
    expect(listSkipsByReason(r)[0]).toBe('user {"password": "***"} cannot log in (1):\n    a.B.t');
    expect(redactTempestJunit(xml)).toContain(`{'password': '***'}`);
  });
});
