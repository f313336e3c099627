// Secret redaction that keeps a subunit v2 stream readable. Each packet carries its own length, the
// length of its attachment and a CRC32, so a text replacement inside an attachment (where Tempest's
// logs quote passwords and private keys) breaks the packet, and every reader drops it as a parser
// error. An attachment also comes in chunks, one packet each (testtools cuts captured logs every
// 4 KiB), and concurrent workers' chunks interleave: a secret can straddle two packets. So the
// chunks of each attachment (same route code, test id and file name, up to the one marked EOF) are
// joined, redacted as one text, and written back with the whole redacted text in the first chunk and
// the others empty; every changed packet gets its lengths and CRC anew. Bytes between packets are
// redacted as text. A stream this cannot read is redacted as text whole (readable: false): a broken
// file is better than a leaked secret.

import { crc32 } from 'zlib';

type Redact = (text: string) => { text: string; replacements: number };

const SIGNATURE = 0xb3;
const FLAG_TEST_ID = 0x0800;
const FLAG_ROUTE_CODE = 0x0400;
const FLAG_TIMESTAMP = 0x0200;
const FLAG_TAGS = 0x0080;
const FLAG_FILE_CONTENT = 0x0040;
const FLAG_MIME_TYPE = 0x0020;
const FLAG_EOF = 0x0010;
const VERSION_MASK = 0xf000;
const VERSION_2 = 0x2000;
/** The largest packet subunit v2 writes (a 3-byte length). */
const MAX_PACKET = 4194303;

/** subunit's variable-length number: the top two bits of the first byte say 1 to 4 bytes. */
function readNumber(b: Buffer, at: number): [value: number, next: number] {
  if (at >= b.length) throw new Error('truncated number');
  const size = (b[at] >> 6) + 1;
  if (at + size > b.length) throw new Error('truncated number');
  let v = b[at] & 0x3f;
  for (let i = 1; i < size; i++) v = v * 256 + b[at + i];
  return [v, at + size];
}

function encodeNumber(v: number): Buffer {
  if (v < 0x40) return Buffer.from([v]);
  if (v < 0x4000) return Buffer.from([0x40 | (v >> 8), v & 0xff]);
  if (v < 0x400000) return Buffer.from([0x80 | (v >> 16), (v >> 8) & 0xff, v & 0xff]);
  return Buffer.from([0xc0 | (v >>> 24), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
}

/** A length-prefixed string: its text and where it ends. */
function readString(b: Buffer, at: number): [text: string, next: number] {
  const [len, start] = readNumber(b, at);
  if (start + len > b.length) throw new Error('truncated string');
  return [b.toString('latin1', start, start + len), start + len];
}

interface Packet {
  start: number;
  end: number;
  /** The chunk of an attachment: its key, whether it is the last, and where its bytes are. */
  file?: { key: string; eof: boolean; lengthAt: number; start: number; end: number };
}

function readPacket(b: Buffer, at: number): Packet {
  const flags = b.readUInt16BE(at + 1);
  if ((flags & VERSION_MASK) !== VERSION_2) throw new Error('not a subunit v2 packet');
  const [length, afterLength] = readNumber(b, at + 3);
  const end = at + length;
  if (length < 8 || end > b.length) throw new Error('bad packet length');
  if (crc32(b.subarray(at, end - 4)) !== b.readUInt32BE(end - 4)) throw new Error('bad packet checksum');
  let p = afterLength;
  let testId = '';
  if (flags & FLAG_TIMESTAMP) p = readNumber(b, p + 4)[1];
  if (flags & FLAG_TEST_ID) [testId, p] = readString(b, p);
  if (flags & FLAG_TAGS) {
    const [count, next] = readNumber(b, p);
    p = next;
    for (let i = 0; i < count; i++) p = readString(b, p)[1];
  }
  if (flags & FLAG_MIME_TYPE) p = readString(b, p)[1];
  if (!(flags & FLAG_FILE_CONTENT)) return { start: at, end };
  const [fileName, lengthAt] = readString(b, p);
  const [size, start] = readNumber(b, lengthAt);
  if (start + size > end - 4) throw new Error('attachment past its packet');
  const route = flags & FLAG_ROUTE_CODE ? readString(b, start + size)[0] : '';
  const key = [route, testId, fileName].join('\0');
  return { start: at, end, file: { key, eof: (flags & FLAG_EOF) !== 0, lengthAt, start, end: start + size } };
}

/** The packet with a new attachment chunk: its length, the packet's length and the CRC written anew. */
function rewritePacket(b: Buffer, pk: Packet & { file: NonNullable<Packet['file']> }, content: Buffer): Buffer {
  const [, afterLength] = readNumber(b, pk.start + 3);
  const head = b.subarray(afterLength, pk.file.lengthAt);
  const tail = b.subarray(pk.file.end, pk.end - 4);
  const body = Buffer.concat([head, encodeNumber(content.length), content, tail]);
  // The length counts the whole packet, its own bytes included (as subunit's writer does).
  const base = 3 + body.length + 4;
  const size = [1, 2, 3, 4].find((n) => encodeNumber(base + n).length === n) ?? 4;
  if (base + size > MAX_PACKET) throw new Error('packet too long after redaction');
  const packet = Buffer.concat([b.subarray(pk.start, pk.start + 3), encodeNumber(base + size), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(packet));
  return Buffer.concat([packet, crc]);
}

function redactBytes(b: Buffer, redact: Redact): { buf: Buffer; replacements: number } {
  const r = redact(b.toString('latin1'));
  return { buf: r.replacements ? Buffer.from(r.text, 'latin1') : b, replacements: r.replacements };
}

/** Every packet and every run of bytes between packets, in order. */
function readStream(stream: Buffer): Array<Packet | { stray: [number, number] }> {
  const parts: Array<Packet | { stray: [number, number] }> = [];
  let at = 0;
  while (at < stream.length) {
    if (stream[at] !== SIGNATURE) {
      let next = stream.indexOf(SIGNATURE, at);
      if (next < 0) next = stream.length;
      parts.push({ stray: [at, next] });
      at = next;
      continue;
    }
    const pk = readPacket(stream, at);
    parts.push(pk);
    at = pk.end;
  }
  return parts;
}

/** New contents per packet (by index) for each attachment whose joined text held a secret. */
function redactAttachments(stream: Buffer, parts: ReturnType<typeof readStream>, redact: Redact) {
  const changed = new Map<number, Buffer>();
  let replacements = 0;
  const open = new Map<string, number[]>();
  const close = (chunks: number[]) => {
    const joined = Buffer.concat(
      chunks.map((i) => stream.subarray((parts[i] as Packet).file!.start, (parts[i] as Packet).file!.end)),
    );
    const r = redactBytes(joined, redact);
    if (r.replacements === 0) return;
    replacements += r.replacements;
    chunks.forEach((i, n) => changed.set(i, n === 0 ? r.buf : Buffer.alloc(0)));
  };
  parts.forEach((part, i) => {
    if (!('file' in part) || !part.file) return;
    const chunks = open.get(part.file.key) ?? [];
    chunks.push(i);
    if (part.file.eof) {
      open.delete(part.file.key);
      close(chunks);
    } else open.set(part.file.key, chunks);
  });
  // An attachment the stream never closed (a run cut short) is redacted as far as it goes.
  for (const chunks of open.values()) close(chunks);
  return { changed, replacements };
}

/**
 * The stream with every secret in its attachments and stray bytes redacted. readable: whether it
 * was read as subunit v2 (and so is still a valid stream); false: it was redacted as plain text.
 */
export function redactSubunit(
  stream: Buffer,
  redact: Redact,
): { buf: Buffer; replacements: number; readable: boolean } {
  try {
    const parts = readStream(stream);
    const { changed, replacements: inFiles } = redactAttachments(stream, parts, redact);
    let replacements = inFiles;
    const out = parts.map((part, i) => {
      if ('stray' in part) {
        const r = redactBytes(stream.subarray(...part.stray), redact);
        replacements += r.replacements;
        return r.buf;
      }
      const content = changed.get(i);
      return content && part.file
        ? rewritePacket(stream, { ...part, file: part.file }, content)
        : stream.subarray(part.start, part.end);
    });
    return { buf: Buffer.concat(out), replacements, readable: true };
  } catch {
    return { ...redactBytes(stream, redact), readable: false };
  }
}
