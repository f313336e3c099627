// Shell words and the value checks for the few command lines src/netfix sends to the controller.
// Values are validated before; quoting is the second line of defence. No secret ever goes on a
// command line.

// The one quoting function (src/core/shell-quote.ts), under the short name the fix's many command
// lines use.
export { shellQuote as sq } from '../core/shell-quote';

export function isMac(s: string): boolean {
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(s);
}

export function isUuidLike(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);
}
