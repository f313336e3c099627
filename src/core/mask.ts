// The one secret masker. Every place that shows text which may hold a secret (the terminal, the job
// summary, JUnit, a remote command's error tail, the log bundle's files) masks it here, with the
// same rule: each known value of 4 characters or more becomes ***, longest first, so a secret that
// contains another is masked whole.

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
