// The bash the smoke checks and the log bundle ship to nodes passes real shellcheck, and the
// loaders find the files (ncc copies them next to the bundle by the same path pattern).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { shippedScript } from '../../src/core/shipped';

const tempestScript = () => shippedScript('tempest-smoke.sh');
const collectLogsScript = () => shippedScript('collect-logs.sh');

const scripts = [
  path.join(__dirname, '../../src/smoke/tempest-smoke.sh'),
  path.join(__dirname, '../../src/report/collect-logs.sh'),
];

it.each(scripts)('%s is shellcheck-clean', (file) => {
  // shellcheck exits non-zero on any finding; its output names the finding.
  expect(execFileSync('shellcheck', ['--severity=style', file]).toString()).toBe('');
});

it('the loaders read the shipped scripts', () => {
  expect(tempestScript()).toMatch(/^#!\/bin\/bash\n/);
  expect(tempestScript()).toContain('connect_method = $CONNECT_METHOD');
  expect(collectLogsScript()).toContain('iptables-save');
});

it('the Tempest script takes the password from the sourced openrc, never from its arguments', () => {
  const s = tempestScript();
  expect(s).toContain('. "$OPENRC"');
  expect(s).toContain('admin_password = $OS_PASSWORD');
  expect(s).toContain('umask 077');
});

it("the loader keeps the one form ncc's asset relocator recognises in CommonJS output", () => {
  const loader = fs.readFileSync(path.join(__dirname, '../../src/core/shipped.ts'), 'utf8');
  for (const f of ['smoke/tempest-smoke.sh', 'report/collect-logs.sh'])
    expect(loader).toContain(`fs.readFileSync(__dirname + '/../${f}'`);
});
