// The one secret masker. Every place that shows text which may hold a secret (the terminal, the job
// summary, JUnit, a remote command's error tail, the log bundle's files) masks it here, with the
// same rule: each known value of 4 characters or more becomes ***, longest first, so a secret that
// contains another is masked whole. Secrets the run was never told (Tempest's) are found by their
// shape instead: redactSecretShapes, at the end of this file.

/** Values shorter than this are not masked: masking "a" or "1" would garble every line. */
const MIN_SECRET_LENGTH = 4;

// Every secret this process has generated or been given (the process-wide list, like the runner's
// own): RemoteCommandError masks its output tail with it, wherever the error is raised.
const known = new Set<string>();

/** Adds a value to the process's known secrets (Io.setSecret and generateStackSecrets call it). */
export function registerSecret(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) known.add(value);
}

export function knownSecrets(): string[] {
  return [...known];
}

/** text with every secret replaced by ***, and how many replacements that took. */
export function maskCounting(text: string, secrets: Iterable<string>): { text: string; replacements: number } {
  const values = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  let out = text;
  let replacements = 0;
  for (const s of values) {
    const parts = out.split(s);
    if (parts.length > 1) {
      replacements += parts.length - 1;
      out = parts.join('***');
    }
  }
  return { text: out, replacements };
}

/** text with every secret replaced by ***: the given ones, or else every known one. */
export function maskSecrets(text: string, secrets: Iterable<string> = known): string {
  return maskCounting(text, secrets).text;
}

// Secrets no one told this run, found by their shape: Tempest's dynamic users' passwords and the
// private keys Nova generates for keypairs reach its log (request and response bodies) and, through
// the log testtools attaches to a failure, the JUnit and its tracebacks. A string value under a
// password-like key, in JSON or Python's repr, raw, escaped inside another string (\") or as XML
// writes it (&quot;), and every PEM private key block, whole or cut off.
const QUOTE = String.raw`\\"|\\'|&quot;|&apos;|&#34;|&#39;|&#x27;|"|'`;
const SECRET_KEY = String.raw`[A-Za-z_]*(?:password|passwd|adminPass|private_key|secret)`;
const KEYED_VALUE = new RegExp(
  String.raw`(${QUOTE})(${SECRET_KEY})\1(\s*:\s*)(${QUOTE})((?:(?!\4)(?:\\.|[^\n]))*)(\4|(?=\n)|$)`,
  'gi',
);
// The same value as a keyword argument or attribute in Python's repr (password='…').
const NAMED_VALUE = new RegExp(
  String.raw`\b(${SECRET_KEY})(\s*=\s*)(${QUOTE})((?:(?!\3)(?:\\.|[^\n]))*)(\3|(?=\n)|$)`,
  'gi',
);
// A block cut short (a log line's length limit) is redacted up to where its key material ends. The
// END is looked for within 16 KiB (an RSA 4096 key is about 3.3 KiB): a log full of cut-off blocks
// stays linear.
const PEM_PRIVATE_KEY =
  /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----(?:[\s\S]{0,16384}?-----END \1PRIVATE KEY-----|(?:[A-Za-z0-9+/=:,-]|\r?\n|\\[nr])*)/g;

/** text with every secret-shaped value replaced by ***, and how many replacements that took. */
export function redactSecretShapes(text: string): { text: string; replacements: number } {
  let replacements = 0;
  const out = text
    .replace(PEM_PRIVATE_KEY, (_m, kind: string) => {
      replacements++;
      return `-----BEGIN ${kind}PRIVATE KEY-----***-----END ${kind}PRIVATE KEY-----`;
    })
    .replace(KEYED_VALUE, (m, kq: string, key: string, sep: string, vq: string, value: string, end: string) => {
      if (value === '***') return m;
      replacements++;
      return `${kq}${key}${kq}${sep}${vq}***${end}`;
    })
    .replace(NAMED_VALUE, (m, key: string, sep: string, vq: string, value: string, end: string) => {
      if (value === '***') return m;
      replacements++;
      return `${key}${sep}${vq}***${end}`;
    });
  return { text: out, replacements };
}
