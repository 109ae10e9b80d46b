/**
 * SOA serials: RFC 1982 serial number arithmetic, and the rule that makes a zone's serial grow with
 * every change, so that secondaries, which take a zone only when its serial is greater than the one
 * they have (RFC 1034 §4.3.5), take every change.
 */

/** RFC 1982 §2: SERIAL_BITS is 32 for the SOA serial (RFC 1035 §3.3.13). */
const SERIAL_SPACE = 2 ** 32;
const HALF_SPACE = 2 ** 31;

/**
 * RFC 1982 §3.2: whether serial `a` is greater than `b`, in a space that wraps around. Two serials
 * exactly 2^31 apart are neither greater nor less than each other (undefined, §3.2).
 */
export function serialGreater(a: number, b: number): boolean {
  return (a > b && a - b < HALF_SPACE) || (a < b && b - a > HALF_SPACE);
}

/** RFC 1982 §3.1: s + n modulo 2^32, for n from 0 to 2^31 - 1. */
export function serialAdd(s: number, n: number): number {
  return (s + n) % SERIAL_SPACE;
}

/** A zone's new serial, and a warning when secondaries will not take the new version. */
export interface NextSerial {
  serial: number;
  warning?: string;
}

/**
 * The serial of a zone's new content (call it when the content changed, not when the same text is
 * read again). `previous`: the serial served for the zone's previous content, when there was one;
 * `explicit`: the file's `[domain] serial`, when it sets one; `modifiedUnixSeconds`: when the
 * source last modified the file (the file's mtime, the S3 object's LastModified).
 *
 * The default is the modification time in Unix seconds (as Knot's `serial-policy: unixtime` and
 * BIND's `serial-update-method unixtime`): every replica reading the same object gets the same
 * serial, it grows with every later change (one second apart or more), and it reads as a date.
 * A YYYYMMDDnn serial would need a counter `nn` that replicas do not share. When the time does not
 * lead to a greater serial (two changes in one second, a clock set back, a file restored with its
 * old time), the serial is the previous one plus one (RFC 1982 §3.1), so it only ever grows.
 * An explicit serial wins, even a lower one; a serial that is not greater than the one served gets
 * a warning, since secondaries keep what they have.
 */
export function nextSerial(previous: number | undefined, explicit: number | undefined, modifiedUnixSeconds: number): NextSerial {
  if (explicit !== undefined) {
    if (previous === undefined || serialGreater(explicit, previous)) return { serial: explicit };
    return {
      serial: explicit,
      warning: `serial ${explicit} is not greater than ${previous}, the serial served for the zone's previous content (RFC 1982): secondaries keep the zone they have; write serial = ${serialAdd(previous, 1)} or more, or leave serial out to have it derived from the file's modification time`,
    };
  }
  const derived = Math.floor(modifiedUnixSeconds) % SERIAL_SPACE;
  if (previous === undefined || serialGreater(derived, previous)) return { serial: derived };
  return { serial: serialAdd(previous, 1) };
}
