// Tempest's results, counted from what it recorded (subunit, as subunit2junitxml renders it), never
// from its exit code: one entry per test case with its status, the error of a failure (the
// exception line of its traceback, and the traceback's first lines) and the reason of a skip.
// subunit2junitxml writes no `skipped` count on the suite, so the suite's attributes are not
// trusted either. Also the listings the log and the job summary show: failures with their errors,
// skips grouped by reason, and the exclusions (the release's, the network fix's) with theirs. Secrets
// by shape are redacted (redactTempestJunit) once, before the JUnit is merged or read.

import { redactSecretShapes } from '../core/mask';

type TempestStatus = 'passed' | 'failed' | 'skipped';

interface TempestCase {
  /** classname.name, or the name alone (setUpClass (…) failures and skips have no class). */
  id: string;
  status: TempestStatus;
  /** failed: the exception the test ended with; skipped: the reason. */
  detail?: string;
  /** failed: the first lines of its traceback (where in the test it failed). */
  traceback?: string;
}

interface TempestResults {
  passed: number;
  failed: number;
  skipped: number;
  cases: TempestCase[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

function attribute(attrs: string, name: string): string {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(attrs);
  return m ? unescape(m[1]) : '';
}

/**
 * The error a traceback ends with: the lines after the last frame (`File "…", line N` and its
 * code line), joined; without frames, the last non-empty line. At most 400 characters.
 */
export function errorOf(traceback: string): string {
  const lines = traceback.replace(/\r/g, '').split('\n');
  let last = -1;
  lines.forEach((l, i) => {
    if (/^\s+File ".*", line \d+/.test(l)) last = i;
  });
  const tail = (last >= 0 ? lines.slice(last + 2) : lines.filter((l) => l.trim()).slice(-1))
    .map((l) => l.trim())
    .filter((l) => l);
  const text = tail.join(' ') || traceback.trim().split('\n').pop() || '';
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

/**
 * The first lines of a traceback as subunit2junitxml renders it (testtools prefixes the exception
 * type of its details to the first line): the test's own frames come first in Tempest's.
 */
export function tracebackHead(traceback: string, lines = TRACEBACK_LINES): string {
  const all = traceback
    .replace(/\r/g, '')
    .replace(/^\s*testtools\.testresult\.real\._StringException:\s*/, '')
    .split('\n');
  while (all.length && !all[all.length - 1].trim()) all.pop();
  const head = all.slice(0, lines);
  if (all.length > lines) head.push(`... (${all.length - lines} more lines in the JUnit report)`);
  return head.join('\n').trim();
}

const TRACEBACK_LINES = 8;

/**
 * The JUnit with every secret-shaped value redacted (core/mask.ts): Tempest's dynamic users'
 * passwords and Nova's keypair private keys, which the log testtools attaches to a failure quotes
 * and which this run was never told. What the report merges and everything listed come from it.
 */
export function redactTempestJunit(xml: string): string {
  return redactSecretShapes(xml).text;
}

/** The results of a JUnit the caller has redacted (redactTempestJunit): this only reads. */
export function parseTempestJunit(xml: string): TempestResults {
  const cases: TempestCase[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = m[1];
    const body = m[2] ?? '';
    const classname = attribute(attrs, 'classname');
    const name = attribute(attrs, 'name');
    const id = classname ? `${classname}.${name}` : name;
    const failure = /<(failure|error)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    const skip = /<(skipped|skip)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    if (failure) {
      const open = failure[0].slice(0, failure[0].indexOf('>') + 1);
      const body = unescape(failure[2] ?? '');
      // An unexpected success has no body, only its type.
      const type = attribute(open, 'type');
      const detail = errorOf(body) || attribute(open, 'message') || (type ? `failed (${type})` : 'failed');
      const traceback = tracebackHead(body);
      cases.push({ id, status: 'failed', detail, ...(traceback ? { traceback } : {}) });
    } else if (skip) {
      const reason = unescape(skip[3] ?? '').trim() || attribute(skip[2], 'message');
      cases.push({ id, status: 'skipped', detail: reason || 'no reason given' });
    } else cases.push({ id, status: 'passed' });
  }
  const count = (s: TempestStatus) => cases.filter((c) => c.status === s).length;
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), cases };
}

export function describeCounts(r: TempestResults): string {
  return `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
}

/** Per failed test: "<test id>: <error>" and, indented below it, the first lines of its traceback. */
export function listFailures(r: TempestResults): string[] {
  return r.cases
    .filter((c) => c.status === 'failed')
    .map((c) =>
      [
        `${c.id}: ${c.detail}`,
        ...(c.traceback ?? '')
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => `    ${l}`),
      ].join('\n'),
    );
}

/** The skips grouped by reason, most frequent first: "<reason> (<n>):" and the test ids below it. */
export function listSkipsByReason(r: TempestResults): string[] {
  const groups = new Map<string, string[]>();
  for (const c of r.cases.filter((x) => x.status === 'skipped')) {
    const reason = c.detail ?? 'no reason given';
    groups.set(reason, [...(groups.get(reason) ?? []), c.id]);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([reason, ids]) => {
      const why = SKIP_WHY.find((w) => w.reason.test(reason))?.why;
      return [`${reason} (${ids.length}${why ? `; ${why}` : ''}):`, ...ids.map((id) => `    ${id}`)].join('\n');
    });
}

/**
 * Why this cloud gives Tempest the reason it skips for: what the stack does not deploy, in words a
 * user can check against the inputs (Tempest's own words name only its configuration).
 */
const SKIP_WHY: ReadonlyArray<{ reason: RegExp; why: string }> = [
  { reason: /^Identity api v2 is not enabled/, why: 'Keystone has had no v2 API since Queens' },
  { reason: /swift is not available$/i, why: 'this topology deploys no Swift (topology full does)' },
  {
    reason: /cinder is not available$|^Volume service not enabled/i,
    why: 'this topology deploys no Cinder (topology full does)',
  },
  { reason: /^Less than 2 compute nodes/, why: 'this topology has one compute node' },
  {
    reason: /^Horizon support is required$/,
    why: "Horizon is deployed, but Tempest ran inside the router's namespace (network-fix seeds), which cannot reach it",
  },
  {
    reason: /^Only owner network supports creating interface by fixed ip/,
    why: "network-fix seeds: the test projects share the stack's network (only its router can have a gateway)",
  },
  { reason: /^Floating ips are not available$/, why: 'network-fix seeds has no floating IPs' },
];

/**
 * The exclude list tempest-smoke.sh wrote (stestr's "regex # reason" lines): "<regex>: <reason>"
 * per excluded pattern. Excluded tests never run, so the results cannot name them.
 */
export function listExclusions(excludeFile: string): string[] {
  return excludeFile
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [regex, ...reason] = l.split('#');
      return `${regex.trim()}: ${reason.join('').trim() || 'no reason given'}`;
    });
}
