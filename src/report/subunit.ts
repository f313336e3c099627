// Secret redaction that keeps a subunit v2 stream readable. Each packet carries its own length, the
// length of its attachment and a CRC32, so a text replacement inside an attachment (where Tempest's
// logs quote passwords and private keys) breaks the packet and every reader drops it as a parser
// error. Here each packet's attachment is redacted and the packet written anew (lengths and CRC
// recomputed); bytes between packets are redacted as text. A stream this cannot read is redacted as
// text whole: a broken file is better than a leaked secret. (The route code, last in a packet, is
// carried over as it is.)

import { crc32 } from 'zlib';

type Redact = (text: string) => { text: string; replacements: number };

const SIGNATURE = 0xb3;
const FLAG_TEST_ID = 0x0800;
const FLAG_TIMESTAMP = 0x0200;
const FLAG_TAGS = 0x0080;
const FLAG_FILE_CONTENT = 0x0040;
const FLAG_MIME_TYPE = 0x0020;
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

/** Skips a length-prefixed string. */
function skipString(b: Buffer, at: number): number {
  const [len, next] = readNumber(b, at);
  return next + len;
}

interface Packet {
  end: number;
  /** Where the attachment's length field starts and its bytes end, when it has one. */
  file?: { lengthAt: number; start: number; end: number };
}

function readPacket(b: Buffer, at: number): Packet {
  const flags = b.readUInt16BE(at + 1);
  if ((flags & VERSION_MASK) !== VERSION_2) throw new Error('not a subunit v2 packet');
  const [length, afterLength] = readNumber(b, at + 3);
  const end = at + length;
  if (length < 8 || end > b.length) throw new Error('bad packet length');
  if (crc32(b.subarray(at, end - 4)) !== b.readUInt32BE(end - 4)) throw new Error('bad packet checksum');
  let p = afterLength;
  if (flags & FLAG_TIMESTAMP) p = readNumber(b, p + 4)[1];
  if (flags & FLAG_TEST_ID) p = skipString(b, p);
  if (flags & FLAG_TAGS) {
    const [count, next] = readNumber(b, p);
    p = next;
    for (let i = 0; i < count; i++) p = skipString(b, p);
  }
  if (flags & FLAG_MIME_TYPE) p = skipString(b, p);
  if (!(flags & FLAG_FILE_CONTENT)) return { end };
  p = skipString(b, p);
  const [size, start] = readNumber(b, p);
  if (start + size > end - 4) throw new Error('attachment past its packet');
  return { end, file: { lengthAt: p, start, end: start + size } };
}

/** The packet with a new attachment: its length, the packet's length and the CRC written anew. */
function rewritePacket(b: Buffer, at: number, pk: Packet & { file: NonNullable<Packet['file']> }, content: Buffer) {
  const [, afterLength] = readNumber(b, at + 3);
  const head = b.subarray(afterLength, pk.file.lengthAt);
  const tail = b.subarray(pk.file.end, pk.end - 4);
  const body = Buffer.concat([head, encodeNumber(content.length), content, tail]);
  // The length counts the whole packet, its own bytes included.
  let total = 3 + body.length + 4;
  for (let size = 1; size <= 4; size++) {
    if (encodeNumber(total + size).length === size) {
      total += size;
      break;
    }
  }
  if (total > MAX_PACKET) throw new Error('packet too long after redaction');
  const packet = Buffer.concat([b.subarray(at, at + 3), encodeNumber(total), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(packet));
  return Buffer.concat([packet, crc]);
}

function redactBytes(b: Buffer, redact: Redact): { buf: Buffer; replacements: number } {
  const r = redact(b.toString('latin1'));
  return { buf: r.replacements ? Buffer.from(r.text, 'latin1') : b, replacements: r.replacements };
}

/** The stream with every secret in its attachments and stray bytes redacted, still a valid stream. */
export function redactSubunit(stream: Buffer, redact: Redact): { buf: Buffer; replacements: number } {
  const out: Buffer[] = [];
  let replacements = 0;
  const add = (r: { buf: Buffer; replacements: number }) => {
    out.push(r.buf);
    replacements += r.replacements;
  };
  try {
    let at = 0;
    while (at < stream.length) {
      if (stream[at] !== SIGNATURE) {
        let next = stream.indexOf(SIGNATURE, at);
        if (next < 0) next = stream.length;
        add(redactBytes(stream.subarray(at, next), redact));
        at = next;
        continue;
      }
      const pk = readPacket(stream, at);
      const file = pk.file;
      const content = file ? redactBytes(stream.subarray(file.start, file.end), redact) : undefined;
      if (file && content && content.replacements > 0)
        add({ buf: rewritePacket(stream, at, { ...pk, file }, content.buf), replacements: content.replacements });
      else out.push(stream.subarray(at, pk.end));
      at = pk.end;
    }
  } catch {
    return redactBytes(stream, redact);
  }
  return { buf: Buffer.concat(out), replacements };
}
