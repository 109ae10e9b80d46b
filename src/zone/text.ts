import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { ZoneFileError, type ZoneProblem } from './problem.js';

/** TOML v1.0.0: "A TOML file must be a valid UTF-8 encoded Unicode document." */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_LENIENT = new TextDecoder('utf-8', { ignoreBOM: true });
const LF = 0x0a;
/** Characters shown on each side of the first bad byte in the message. */
const EXCERPT = 20;

/**
 * A zone file's text from its bytes. Bytes that are not UTF-8 reject the file, naming the line:
 * decoded leniently they would become U+FFFD and be served in TXT records.
 */
export function decodeZoneText(bytes: Uint8Array, origin: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ZoneFileError([badLine(bytes, origin)]);
  }
}

/**
 * A zone file's octets, checked to be UTF-8 (utf8Octets): a source hands a large file over so, and
 * it is decoded on the thread that compiles it (zoneTextOf), not on the one answering queries.
 */
export type Utf8Octets = Uint8Array & { readonly utf8: unique symbol };

/** A zone file as a source hands it over: its text, or its octets checked to be UTF-8. */
export type ZoneContent = string | Utf8Octets;

/**
 * `bytes` as Utf8Octets; bytes that are not UTF-8 reject the file as decodeZoneText does. The
 * check makes no string: a zone of 200,000 records is a 9 MB string, decoded in milliseconds and
 * left to the garbage collector of the thread that made it.
 */
export function utf8Octets(bytes: Uint8Array, origin: string): Utf8Octets {
  if (!isUtf8(bytes)) throw new ZoneFileError([badLine(bytes, origin)]);
  return bytes as Utf8Octets;
}

/** The text of a zone file handed over as ZoneContent. */
export function zoneTextOf(content: ZoneContent, origin: string): string {
  return typeof content === 'string' ? content : decodeZoneText(content, origin);
}

/** The first line that is not UTF-8 (LF never occurs inside a multi-octet sequence: RFC 3629 §3). */
function badLine(bytes: Uint8Array, origin: string): ZoneProblem {
  for (let line = 1, start = 0; ; line++) {
    const end = bytes.indexOf(LF, start);
    const piece = bytes.subarray(start, end < 0 ? bytes.length : end);
    if (end < 0 || !isUtf8(piece)) {
      const shown = UTF8_LENIENT.decode(piece);
      const at = Math.max(0, shown.indexOf('\uFFFD'));
      const excerpt = shown.slice(Math.max(0, at - EXCERPT), at + EXCERPT);
      return {
        origin, line,
        message: `not UTF-8: bytes that are no character, shown as \uFFFD in "${excerpt}"; save the file as UTF-8 (a zone file is TOML, which is UTF-8)`,
      };
    }
    start = end + 1;
  }
}

/**
 * The SHA-256 of a zone file's text (its UTF-8 octets), in hex: the version of a zone file
 * wherever it lies, so that a file edited directly and one written through the HTTP API compare
 * alike (the API's ETag, src/api/). Made from the octets as read, it is the same: decodeZoneText
 * replaces nothing and keeps a BOM (the folder source hashes them to see whether a file changed).
 */
export function textDigest(text: string | Uint8Array): string {
  return hash(TEXT_DIGEST_ALGORITHM, text, 'hex');
}

/** The hash textDigest makes (for a digest made in steps: src/sources/source.ts digestInSteps). */
export const TEXT_DIGEST_ALGORITHM = 'sha256';

/**
 * V8 copies a slice of a string shorter than this; a longer one is a view of the string it is
 * sliced from, which it keeps in memory (a whole zone file) as long as it lives.
 */
export const MIN_SLICED = 13;
