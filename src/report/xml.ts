// XML text and attribute escaping for the JUnit report: command outputs carry every character a
// terminal can show, including colour codes that XML 1.0 does not allow at all.

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
// Everything XML 1.0 forbids: C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlClean(text: string): string {
  return text.replace(ANSI, '').replace(INVALID, '');
}

export function xmlText(text: string): string {
  return xmlClean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(text: string): string {
  return xmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
