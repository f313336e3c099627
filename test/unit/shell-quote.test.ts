// The one shell-quoting function, run through a real bash: any value survives word for word and
// nothing in it runs; no other copy of the quoting rule exists in src/; and the network fix's boot
// file, which bash sources as root at every boot, cannot be turned into a command by a value.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { shellQuote } from '../../src/core/shell-quote';
import { sq } from '../../src/netfix/shell';
import { shq } from '../../src/smoke/shell';

/**
 * bash -c SCRIPT $0 $1…, with a bare environment. Standard input is /dev/null: on a socket (node's
 * pipes are socket pairs) bash would think sshd started it and read ~/.bashrc.
 */
const bash = (script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  spawnSync('bash', ['-c', script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, ...env },
  });

/** Values that break naive quoting: quotes, expansions, command substitution, new lines, globs. */
const HOSTILE = [
  '',
  "it's",
  `'; touch "$MARK"; '`,
  '$(touch "$MARK")',
  '`touch "$MARK"`',
  '"; touch "$MARK"; "',
  'a\nb\ttouch "$MARK"',
  '\\\\ \\ $HOME ${HOME} $((1+1)) * ? [a] ~ ! # &|;<>',
  'ünïcödé ✓',
];

describe('shellQuote', () => {
  let dir: string;
  let mark: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-shell-quote-'));
    mark = path.join(dir, 'injected');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(HOSTILE.map((v) => [JSON.stringify(v), v]))('%s reaches bash word for word and runs nothing', (_, v) => {
    const r = bash(`printf %s ${shellQuote(v)}`, [], { MARK: mark });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(v);
    // Sourced as an assignment, the way the stage scripts read the node settings file.
    const file = path.join(dir, 'settings.env');
    fs.writeFileSync(file, `VALUE=${shellQuote(v)}\n`);
    expect(bash(`. "$1"; printf %s "$VALUE"`, ['bash', file], { MARK: mark }).stdout).toBe(v);
    expect(fs.existsSync(mark)).toBe(false);
  });

  test('refuses NUL, which no shell word can hold (it would cut the value short)', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  test("the network fix's and the smoke checks' short names are this same function", () => {
    expect(sq).toBe(shellQuote);
    expect(shq).toBe(shellQuote);
  });

  test('src/ holds no other copy of the quoting rule', () => {
    const root = path.join(__dirname, '../../src');
    const copies: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith(path.join('core', 'shell-quote.ts'))) {
          if (fs.readFileSync(p, 'utf8').includes(`'\\\\''`)) copies.push(path.relative(root, p));
        }
      }
    };
    walk(root);
    expect(copies).toEqual([]);
  });
});

describe("network-fix.sh's boot file", () => {
  const script = path.join(__dirname, '../../src/stages/network-fix.sh');
  // The script's functions without its command dispatch at the end, so one step can run alone.
  const functions = fs.readFileSync(script, 'utf8').split(/\ncase "\$\{1:-apply\}" in\n/)[0];
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-netfix-env-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** The inputs `apply` records, as load_inputs leaves them. */
  const recorded = {
    MAC_PROVIDER: '02:00:00:00:00:01',
    MAC_PUBLIC: '02:00:00:00:00:02',
    ROUTER_GATEWAY_IP: '10.42.1.10',
    EXTERNAL_CIDR: '10.42.1.0/24',
    EXTERNAL_GATEWAY: '10.42.1.1',
    QROUTER_NS: '',
    PORT_FORWARDS: '',
    NETWORK_DRIVER: 'linuxbridge',
    PING_TARGET: '8.8.8.8',
  };

  /** Runs step_persist (what `apply` ends with) in a scratch root, then sources the file as `boot` does. */
  function persistThenSource(values: Partial<typeof recorded>) {
    const mark = path.join(root, 'injected');
    const persist = bash(`${functions}\nstep_persist`, [script], {
      NETFIX_ROOT: root,
      MARK: mark,
      ...recorded,
      ...values,
    });
    expect(persist.stderr).toBe('');
    expect(persist.status).toBe(0);
    const envFile = path.join(root, 'etc/openstack-on-aws/network-fix.env');
    const names = Object.keys(values);
    const sourced = bash(`. "$1"; for v in ${names.join(' ')}; do printf '%s\\0' "\${!v}"; done`, ['bash', envFile], {
      MARK: mark,
    });
    expect(sourced.stderr).toBe('');
    return { sourced: sourced.stdout.split('\0').slice(0, -1), injected: fs.existsSync(mark), envFile };
  }

  test.each(HOSTILE.filter((v) => v !== '').map((v) => [JSON.stringify(v), v]))(
    'PING_TARGET=%s is recorded as data: sourcing the file runs nothing and gives the value back',
    (_, v) => {
      const r = persistThenSource({ PING_TARGET: v, PORT_FORWARDS: v, QROUTER_NS: 'qrouter-1' });
      expect(r.injected).toBe(false);
      expect(r.sourced).toEqual([v, v, 'qrouter-1']);
      expect(fs.statSync(r.envFile).mode & 0o777).toBe(0o600);
    },
  );

  test('the old unescaped form would have run the injected command (the test can fail)', () => {
    const mark = path.join(root, 'injected');
    const file = path.join(root, 'old.env');
    fs.writeFileSync(file, `PING_TARGET='${`'; touch "$MARK"; '`}'\n`);
    bash(`. "$1"`, ['bash', file], { MARK: mark });
    expect(fs.existsSync(mark)).toBe(true);
  });
});
