// Tempest's results, counted from what it recorded (subunit, as subunit2junitxml renders it), never
// from its exit code: one entry per test case with its status, the error of a failure (the
// exception line of its traceback) and the reason of a skip. subunit2junitxml writes no
// `skipped` count on the suite, so the suite's attributes are not trusted either.

type TempestStatus = 'passed' | 'failed' | 'skipped';

interface TempestCase {
  /** classname.name, or the name alone (setUpClass (…) failures and skips have no class). */
  id: string;
  status: TempestStatus;
  /** failed: the exception the test ended with; skipped: the reason. */
  detail?: string;
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
      const message = attribute(failure[0].slice(0, failure[0].indexOf('>') + 1), 'message');
      cases.push({ id, status: 'failed', detail: errorOf(unescape(failure[2] ?? '')) || message || 'failed' });
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

/** "<test id>: <error>" per failed test, and "<test id>: <reason>" per skip. */
export function listCases(r: TempestResults, status: 'failed' | 'skipped'): string[] {
  return r.cases.filter((c) => c.status === status).map((c) => `${c.id}: ${c.detail}`);
}
