// The one shell-quoting function. Every value that reaches a command line or a file a shell reads
// (the node settings, the network fix's command line, the smoke checks' commands, the remote
// wrappers) goes through it, so the rule is written and tested once.

/**
 * One word for bash or any POSIX shell, single-quoted: safe for every character but NUL, which no
 * shell word can hold (refused, so a value is never cut short silently).
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell word cannot contain a NUL character');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
