/**
 * A client's address as the socket gives it (text) to octets, without allocating: what cookies
 * hash (RFC 9018 §4.4) and rate limiting groups by prefix. An IPv4-mapped IPv6 address (a dual-stack
 * socket's view of an IPv4 client, RFC 4291 §2.5.5.2) is its IPv4 address.
 */

const COLON = 0x3a;
const DOT = 0x2e;

/** Writes the octets of `text` into `out` (16 octets at least); returns 4 or 16, or 0 when it is not an address. */
export function clientOctets(text: string, out: Uint8Array): number {
  if (text.indexOf(':') < 0) return ipv4(text, 0, text.length, out, 0) ? 4 : 0;
  if (!ipv6(text, out)) return 0;
  // ::ffff:a.b.c.d is the IPv4 client a.b.c.d.
  for (let i = 0; i < 10; i++) if (out[i] !== 0) return 16;
  if (out[10] !== 0xff || out[11] !== 0xff) return 16;
  for (let i = 0; i < 4; i++) out[i] = out[12 + i];
  return 4;
}

/** Dotted quad `text[from..end)` into `out[at..at+4)`. */
function ipv4(text: string, from: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** IPv6 text (RFC 4291 §2.2: groups, one ::, an IPv4 tail; a %zone ignored) into `out[0..16)`. */
function ipv6(text: string, out: Uint8Array): boolean {
  let end = text.indexOf('%');
  if (end < 0) end = text.length;
  let words = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === COLON) {
    if (text.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    // An IPv4 tail: the rest holds a dot before any colon.
    let j = i;
    while (j < end && text.charCodeAt(j) !== COLON && text.charCodeAt(j) !== DOT) j++;
    if (j < end && text.charCodeAt(j) === DOT) {
      if (words > 6 || !ipv4(text, i, end, out, words * 2)) return false;
      words += 2;
      break;
    }
    let value = 0;
    const start = i;
    for (; i < end && text.charCodeAt(i) !== COLON; i++) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0 || i - start >= 4) return false;
      value = (value << 4) | h;
    }
    if (i === start || words >= 8) return false;
    out[words * 2] = value >> 8;
    out[words * 2 + 1] = value & 0xff;
    words++;
    if (i < end) {
      i++;
      if (i < end && text.charCodeAt(i) === COLON) {
        if (gap >= 0) return false;
        gap = words;
        i++;
      } else if (i === end) {
        return false;
      }
    }
  }
  if (gap < 0) return words === 8;
  if (words > 7) return false;
  // Move the groups after :: to the end, zeros in between.
  const tail = (words - gap) * 2;
  for (let k = tail - 1; k >= 0; k--) out[16 - tail + k] = out[gap * 2 + k];
  for (let k = gap * 2; k < 16 - tail; k++) out[k] = 0;
  return true;
}
