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
  return hash('sha256', text, 'hex');
}

/**
 * V8 copies a slice of a string shorter than this; a longer one is a view of the string it is
 * sliced from, which it keeps in memory (a whole zone file) as long as it lives.
 */
export const MIN_SLICED = 13;
