// Helpers for the bash command lines the smoke checks build from Plan values and user inputs
// (image URL, names), and for what their failures show.

// The one quoting function (src/core/shell-quote.ts), under the short name the checks' many
// command lines use.
export { shellQuote as shq } from '../core/shell-quote';

/** The last lines of a command's output, bounded in size: what a failure report shows. */
export function tail(text: string, lines = 40, maxChars = 4000): string {
  const t = text.replace(/\s+$/, '').split('\n').slice(-lines).join('\n');
  return t.length > maxChars ? `…${t.slice(t.length - maxChars)}` : t;
}

/** Replaces every known secret value with ***. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***');
  }
  return out;
}
