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

// The one masker (src/core/mask.ts), where the checks and the reports have always found it.
export { maskSecrets } from '../core/mask';
