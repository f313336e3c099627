// Quoting for the few command lines src/netfix sends to the controller. Values are validated
// before; quoting is the second line of defence. No secret ever goes on a command line.

/** Single-quoted for bash. */
export function sq(value: string): string {
  if (value.includes('\0')) throw new Error('a shell word cannot contain NUL');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function isMac(s: string): boolean {
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(s);
}

export function isUuidLike(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);
}
