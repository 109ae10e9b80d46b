import { isIPv4, isIPv6 } from 'node:net';
import { WireError } from './errors.js';

const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MAX_OCTET = 255;

/** Dotted-quad text → 4 octets (RFC 1035 §3.4.1). */
export function parseIPv4(text: string): Uint8Array {
  const octets = dottedQuad(text);
  if (octets !== null) return octets;
  if (!isIPv4(text)) throw new WireError('BAD_TEXT', `"${text}" is not an IPv4 address (write it as 192.0.2.1)`);
  return Uint8Array.from(text.split('.').map(Number));
}

/**
 * Four decimal numbers from 0 to 255 without leading zeros, read without a regular expression, a
 * split or an array (most records of most zones are A records); null for anything else, which
 * parseIPv4 checks the slow way (and says what is wrong with).
 */
function dottedQuad(text: string): Uint8Array | null {
  const octets = new Uint8Array(4);
  let n = 0;
  let value = 0;
  let digits = 0;
  // The end of the text ends the last number as a dot does.
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : DOT;
    if (c === DOT && digits > 0 && n < 4) {
      octets[n++] = value;
      value = 0;
      digits = 0;
    } else if (c >= DIGIT_0 && c <= DIGIT_9 && (digits === 0 || value > 0) && value * 10 + c - DIGIT_0 <= MAX_OCTET) {
      value = value * 10 + c - DIGIT_0;
      digits++;
    } else {
      return null;
    }
  }
  return n === 4 ? octets : null;
}

/** IPv6 text (RFC 4291 §2.2, including :: and an embedded IPv4 tail) → 16 octets. */
export function parseIPv6(text: string): Uint8Array {
  if (!isIPv6(text) || text.includes('%')) {
    throw new WireError('BAD_TEXT', `"${text}" is not an IPv6 address (write it as 2001:db8::1)`);
  }
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    // An embedded IPv4 tail is two more 16-bit groups (RFC 4291 §2.2, form 3).
    const v4 = parseIPv4(s.slice(lastColon + 1));
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const dbl = s.indexOf('::');
  let words: number[];
  if (dbl >= 0) {
    const head = groups(s.slice(0, dbl));
    const rest = groups(s.slice(dbl + 2));
    words = [...head, ...new Array(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    words = groups(s);
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 §4 canonical text: lower case, leading zeros dropped, longest zero run as ::. */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1]);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}
