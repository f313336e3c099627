// Tempest reporting (issue 15, line 6) on recorded outputs: tempest-run-*.xml are what
// subunit2junitxml (python3-subunit 1.4 / junitxml 0.7, Debian bookworm) printed for a subunit v2
// stream of a stand-in suite with Tempest's ids (testtools' attr ids), failures and skips, including
// setUpClass ones (see test/fixtures/smoke/README.md). Counts come from the cases, not from the
// suite's attributes (subunit2junitxml writes no skipped count) nor from the exit code.

import * as fs from 'fs';
import * as path from 'path';
import { junitCounts } from '../../src/smoke/junit-counts';
import { errorOf, listCases, parseTempestJunit } from '../../src/smoke/tempest-results';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/smoke', name), 'utf8');

describe('Tempest results', () => {
  it('counts a failing run from its cases: each failure with its error, each skip with its reason', () => {
    const xml = fixture('tempest-run-fail.xml');
    expect(xml).toMatch(/<testsuite errors="0" failures="3" name="" tests="8"/); // no skipped= at all
    const r = parseTempestJunit(xml);
    expect([r.passed, r.failed, r.skipped, r.cases.length]).toEqual([3, 3, 2, 8]);
    expect(listCases(r, 'failed')).toEqual([
      'setUpClass (tempest.api.compute.test_servers.ServerActionsTestJSON): RuntimeError: setUpClass failed: image 8e2f5c1a never became ACTIVE',
      "tempest.api.network.test_routers.RoutersTest.test_create_show_list_update_delete_router[id-f64403e2-8483-4b34-8ccd-b09a87bcc68c,smoke]: tempest.lib.exceptions.Conflict: Conflict with state of target resource Details: {'type': 'IpAddressGenerationFailure', 'message': 'No more IP addresses available on network 7c1c4d0e-6b4e-4a53-9b4b-6d0f0b1f3a55.', 'detail': ''}",
      'tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba,smoke]: tempest.lib.exceptions.SSHTimeout: Connection to the 198.51.100.23 via SSH timed out. User: cirros, Password: None',
    ]);
    expect(listCases(r, 'skipped')).toEqual([
      'tempest.api.network.test_floating_ips.FloatingIPTestJSON.test_create_list_show_update_delete_floating_ip[id-62595970-ab1c-4b7f-8fcc-fddfe55e8718,smoke]: Floating ips are not available',
      'setUpClass (tempest.api.volume.test_volumes_get.VolumesGetTest): Cinder is not available',
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

  it('reads <error>, <skip> and <skipped message=…> too, and unescapes', () => {
    const r = parseTempestJunit(
      '<testsuite><testcase classname="a.B" name="t1"><error type="x">Traceback (most recent call last):\n  File "f.py", line 1, in t\n    x()\nValueError: a &lt;b&gt; &amp; c\n</error></testcase>' +
        '<testcase classname="a.B" name="t2"><skip>no &quot;swift&quot;</skip></testcase>' +
        '<testcase classname="a.B" name="t3"><skipped message="not deployed"/></testcase></testsuite>',
    );
    expect(r.cases).toEqual([
      { id: 'a.B.t1', status: 'failed', detail: 'ValueError: a <b> & c' },
      { id: 'a.B.t2', status: 'skipped', detail: 'no "swift"' },
      { id: 'a.B.t3', status: 'skipped', detail: 'not deployed' },
    ]);
    expect(parseTempestJunit('')).toEqual({ passed: 0, failed: 0, skipped: 0, cases: [] });
    expect(errorOf('just one line')).toBe('just one line');
    expect(errorOf('x'.repeat(500))).toHaveLength(400);
  });
});
