// Tempest's selection and login inputs (issue 15, lines 5 and 6): tempest-regex replaces the smoke
// set, tempest-ssh-user names a user's own image's login; both strict, both only with tempest smoke,
// both carried into the Plan (the check hands them to tempest-smoke.sh).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../../src/core/errors';
import { buildPlan } from '../../src/plan/plan';
import { settingsFrom } from '../helpers/inputs';
import { AS_ROOT, itIf, needFile } from '../helpers/requires';

const base = { provider: 'aws', 'stack-id': 'tin', tempest: 'smoke' } as const;
const errorOf = (values: Record<string, string>): InputError => {
  try {
    settingsFrom(values);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('no InputError');
};

describe('tempest-regex and tempest-ssh-user', () => {
  it('empty: the smoke set and the known images’ logins; nothing in the Plan', () => {
    const s = settingsFrom(base);
    expect([s.tempestRegex, s.tempestSshUser]).toEqual([undefined, undefined]);
    const plan = buildPlan(s, { now: new Date() });
    expect(plan.checks.find((c) => c.id === 'tempest-smoke')!.description).toBe("Tempest's smoke set");
    expect('tempestRegex' in plan || 'tempestSshUser' in plan).toBe(false);
  });

  it('given: trimmed, into the Plan, and the check says what it runs', () => {
    const s = settingsFrom({
      ...base,
      'tempest-regex': '  tempest\\.api\\.(network|compute) ',
      'tempest-ssh-user': ' debian ',
    });
    expect([s.tempestRegex, s.tempestSshUser]).toEqual(['tempest\\.api\\.(network|compute)', 'debian']);
    const plan = buildPlan(s, { now: new Date() });
    expect([plan.tempestRegex, plan.tempestSshUser]).toEqual(['tempest\\.api\\.(network|compute)', 'debian']);
    expect(plan.checks.find((c) => c.id === 'tempest-smoke')!.description).toBe(
      "Tempest's tests matching tempest\\.api\\.(network|compute)",
    );
  });

  it('refused without tempest smoke, naming the input and the value', () => {
    for (const input of ['tempest-regex', 'tempest-ssh-user']) {
      const e = errorOf({ ...base, tempest: 'none', [input]: 'x' });
      expect([e.input, e.value]).toEqual([input, 'x']);
      expect(e.message).toMatch(/Tempest does not run \(tempest: none\).*Accepted: empty, or tempest: smoke/);
    }
  });

  it('a regex of more than one line, with control characters or too long is refused', () => {
    for (const bad of ['tempest.api\nnetwork', 'a\tb', 'x'.repeat(501)]) {
      const e = errorOf({ ...base, 'tempest-regex': bad });
      expect(e.input).toBe('tempest-regex');
      expect(e.accepted).toMatch(/one line of at most 500 printable characters/);
    }
    // Python's syntax, not JavaScript's
    expect(settingsFrom({ ...base, 'tempest-regex': '(?i)test_(?P<x>router)s' }).tempestRegex).toBe(
      '(?i)test_(?P<x>router)s',
    );
  });

  itIf([needFile('/usr/bin/python3', 'python3')], AS_ROOT)(
    "a regex Python's re refuses is refused at input time, with Python's reason; Python-only syntax passes",
    () => {
      const e = errorOf({ ...base, 'tempest-regex': 'tempest.api.(network' });
      expect([e.input, e.value]).toEqual(['tempest-regex', 'tempest.api.(network']);
      expect(e.message).toContain(
        "Input 'tempest-regex' has the value 'tempest.api.(network': Python's re refuses it (missing ), unterminated subpattern at position 12)",
      );
      expect(errorOf({ ...base, 'tempest-regex': 'test_(?<x>router)' }).reason).toMatch(/^Python's re refuses it \(/);
      // (?P<name>…) is Python's alone: JavaScript would refuse it, Python compiles it
      expect(settingsFrom({ ...base, 'tempest-regex': '(?P<x>router)s\\b' }).tempestRegex).toBe('(?P<x>router)s\\b');
    },
  );

  it('a runner without python3 leaves the syntax to the controller (the script checks it there)', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent-ooa';
    try {
      expect(settingsFrom({ ...base, 'tempest-regex': 'tempest.api.(network' }).tempestRegex).toBe(
        'tempest.api.(network',
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  it('a regex is judged by python3 once, though the CLI reads the inputs twice', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-python-count-'));
    const saved = process.env.PATH;
    try {
      const calls = path.join(dir, 'calls');
      // A python3 that records each call and hands it to the real one.
      const real = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
      fs.writeFileSync(path.join(dir, 'python3'), `#!/bin/sh\necho called >>${calls}\nexec ${real} "$@"\n`, {
        mode: 0o755,
      });
      process.env.PATH = `${dir}:${saved}`;
      const regex = 'tempest\\.api\\.image\\.v2';
      for (let i = 0; i < 2; i++) expect(settingsFrom({ ...base, 'tempest-regex': regex }).tempestRegex).toBe(regex);
      expect(fs.readFileSync(calls, 'utf8')).toBe('called\n');
    } finally {
      process.env.PATH = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an SSH user that is no user name is refused', () => {
    for (const bad of ['Debian', '1user', 'a b', 'root;id', 'x'.repeat(33), 'ec2-user@host']) {
      const e = errorOf({ ...base, 'tempest-ssh-user': bad });
      expect([e.input, e.value]).toEqual(['tempest-ssh-user', bad]);
      expect(e.accepted).toMatch(/a user name of the image/);
    }
    for (const good of ['ec2-user', '_svc', 'ooa', 'cloud_user1'])
      expect(settingsFrom({ ...base, 'tempest-ssh-user': good }).tempestSshUser).toBe(good);
  });
});
