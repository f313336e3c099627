// The JUnit report parsed back by a real XML parser (python3's expat via minidom): well-formed,
// counts that add up, every awkward character escaped and restored, secrets masked, Tempest merged.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderJunit, writeJunit } from '../../src/report/junit';
import type { CheckResult } from '../../src/smoke/types';
import { fixture } from '../fixtures/smoke/fake-controller';

const SECRET = 'Zq8xWm3pLk7vTn2rBy6dHs4c';
const NASTY = `a <b> & "c" 'd' ]]> \x1b[31mred\x1b[0m bell\x07 tab\tend`;

interface Parsed {
  root: string;
  attrs: Record<string, string>;
  suites: Array<{ name: string; tests: string; failures: string; skipped: string; cases: number }>;
  cases: Array<{ name: string; time: string; failure?: { message: string; body: string }; skipped?: string }>;
}

function parse(xml: string): Parsed {
  const script = `
import json, sys
from xml.dom import minidom
doc = minidom.parseString(sys.stdin.buffer.read())
root = doc.documentElement
text = lambda n: ''.join(c.data for c in n.childNodes if c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE))
out = {'root': root.tagName, 'attrs': dict(root.attributes.items()), 'suites': [], 'cases': []}
for s in root.getElementsByTagName('testsuite'):
    out['suites'].append({'name': s.getAttribute('name'), 'tests': s.getAttribute('tests'), 'failures': s.getAttribute('failures'), 'skipped': s.getAttribute('skipped'), 'cases': len(s.getElementsByTagName('testcase'))})
for c in root.getElementsByTagName('testcase'):
    e = {'name': c.getAttribute('name'), 'time': c.getAttribute('time')}
    f = c.getElementsByTagName('failure')
    if f: e['failure'] = {'message': f[0].getAttribute('message'), 'body': text(f[0])}
    k = c.getElementsByTagName('skipped')
    if k: e['skipped'] = k[0].getAttribute('message') or text(k[0])
    out['cases'].append(e)
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: xml }).toString()) as Parsed;
}

const base = { startedAt: Date.parse('2026-11-21T16:40:00Z'), notes: [] as string[] };
const results: CheckResult[] = [
  {
    ...base,
    id: 'keystone-token',
    name: 'Keystone issues a token for admin',
    status: 'passed',
    seconds: 1.25,
    notes: ['token expires soon'],
  },
  {
    ...base,
    id: 'router-ping',
    name: 'the router namespace pings 203.0.113.10',
    status: 'failed',
    seconds: 6.5,
    failure: {
      message: `cannot reach ${NASTY}`,
      command: `ip netns exec qrouter-x ping -c 3 -W 2 '203.0.113.10' && echo "${SECRET}"`,
      output: `line 1 <INCOMPLETE>\npassword=${SECRET}\n${NASTY}`,
      hint: 'check the "gateway" & <MAC>',
    },
  },
  {
    ...base,
    id: 'port-forward',
    name: 'port-forward',
    status: 'skipped',
    seconds: 0,
    skippedReason: 'needs the booted instance',
  },
];

describe('renderJunit', () => {
  it('is well-formed, one test case per check with its time in seconds and the right counts', () => {
    const p = parse(renderJunit(results, { stackId: 'smoke1', timestamp: '2026-11-21T16:40:00Z', secrets: [SECRET] }));
    expect(p.root).toBe('testsuites');
    expect(p.attrs).toMatchObject({ tests: '3', failures: '1', skipped: '1', errors: '0', time: '7.750' });
    expect(p.suites).toEqual([{ name: 'smoke', tests: '3', failures: '1', skipped: '1', cases: 3 }]);
    expect(p.cases.map((c) => [c.name, c.time])).toEqual([
      ['keystone-token', '1.250'],
      ['router-ping', '6.500'],
      ['port-forward', '0.000'],
    ]);
    expect(p.cases[2].skipped).toBe('needs the booted instance');
  });

  it('escapes <>&"\' in messages and bodies, drops what XML forbids, and masks secrets', () => {
    const xml = renderJunit(results, { stackId: 'smoke1', secrets: [SECRET] });
    expect(xml).not.toContain(SECRET);
    expect(xml).not.toContain('\x1b');
    const f = parse(xml).cases[1].failure!;
    const cleaned = NASTY.replace('\x1b[31m', '').replace('\x1b[0m', '').replace('\x07', '');
    expect(f.message).toBe(`cannot reach ${cleaned}`);
    expect(f.body).toBe(
      [
        `Command: ip netns exec qrouter-x ping -c 3 -W 2 '203.0.113.10' && echo "***"`,
        'Output:',
        'line 1 <INCOMPLETE>',
        'password=***',
        cleaned,
        'Hint: check the "gateway" & <MAC>',
      ].join('\n'),
    );
  });

  it("merges Tempest's suite beside ours and counts it in the totals", () => {
    const withTempest: CheckResult[] = [
      ...results,
      {
        ...base,
        id: 'tempest-smoke',
        name: 'Tempest',
        status: 'failed',
        seconds: 201.8,
        junit: fixture('tempest-junit-fail.xml'),
        failure: { message: 'Tempest smoke: 1 failure', command: 'bash x', output: '', hint: 'h' },
      },
    ];
    const p = parse(renderJunit(withTempest, { stackId: 'smoke1' }));
    expect(p.suites.map((s) => [s.name, s.tests, s.failures, s.cases])).toEqual([
      ['smoke', '4', '2', 4],
      ['tempest-smoke', '3', '1', 3],
    ]);
    expect(p.attrs).toMatchObject({ tests: '7', failures: '3' });
    expect(p.cases.find((c) => c.name.startsWith('test_server_basic_ops'))!.failure!.body).toContain('SSHTimeout');
  });

  it('writeJunit puts the file under the work directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junit-'));
    try {
      const file = await writeJunit(results, dir, { stackId: 'smoke1' });
      expect(file).toBe(path.join(dir, 'smoke-smoke1.junit.xml'));
      expect(parse(fs.readFileSync(file, 'utf8')).cases.length).toBe(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
