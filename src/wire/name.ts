import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH, POINTER_MASK } from './constants.js';
import { WireError } from './errors.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';
import { FNV_OFFSET, FNV_PRIME } from './fnv.js';

/**
 * A domain name as its labels, most specific first; each label is a latin1 string holding the
 * label's raw octets. The root is []. Names are always absolute.
 */
export type Name = readonly string[];

/** Upper bound on compression pointers followed in one name: more means a loop. */
const MAX_POINTER_HOPS = 64;

const ASCII_UPPER_A = 0x41;
const ASCII_UPPER_Z = 0x5a;
const ASCII_CASE_BIT = 0x20;

/** RFC 4343 §3: DNS comparisons fold ASCII letters only. */
export function lowerByte(b: number): number {
  return b >= ASCII_UPPER_A && b <= ASCII_UPPER_Z ? b | ASCII_CASE_BIT : b;
}

const ASCII_UPPER = /[A-Z]/;
const ASCII_UPPER_RUNS = /[A-Z]+/g;

/** RFC 4343 §3: only A–Z fold (String#toLowerCase alone would fold latin1 letters too). */
function lowerLabel(label: string): string {
  return ASCII_UPPER.test(label) ? label.replace(ASCII_UPPER_RUNS, (run) => run.toLowerCase()) : label;
}

/** Octets the name takes on the wire, uncompressed (RFC 1035 §3.1). */
export function wireLength(name: Name): number {
  let n = 1;
  for (const l of name) n += l.length + 1;
  return n;
}

/** Lower-cased wire form (latin1): equal for names equal under RFC 4343. */
export function nameKey(name: Name): string {
  let s = '';
  for (const l of name) s += String.fromCharCode(l.length) + l;
  s += '\0';
  // Length octets are at most 63 (RFC 1035 §2.3.4), below 'A': folding the whole string folds labels
  // only. One test of the whole string: the key is made for every lookup while a zone compiles.
  return ASCII_UPPER.test(s) ? s.replace(ASCII_UPPER_RUNS, (run) => run.toLowerCase()) : s;
}

/** Keys of the names nameKeyOf was asked about, while those names live. */
const keys = new WeakMap<Name, string>();

/**
 * nameKey(name), made once per name: for the names of a zone's records (owners, targets), which
 * compiling a zone writes and looks up in answer after answer.
 */
export function nameKeyOf(name: Name): string {
  let key = keys.get(name);
  if (key === undefined) keys.set(name, (key = nameKey(name)));
  return key;
}

/** True when two names are equal under RFC 4343 §3 (ASCII letters folded), without making keys. */
export function sameName(a: Name, b: Name): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x.length !== y.length) return false;
    for (let c = 0; c < x.length; c++) if (lowerByte(x.charCodeAt(c)) !== lowerByte(y.charCodeAt(c))) return false;
  }
  return true;
}

/** True when `name` is `ancestor` (its labels from `from` on) or lies below it. */
export function isSubdomain(name: Name, ancestor: Name, from = 0): boolean {
  const n = ancestor.length - from;
  if (n > name.length) return false;
  const off = name.length - n;
  for (let i = 0; i < n; i++) {
    // Labels of one zone are mostly the same strings: folding only when they differ spares a regex.
    const a = name[off + i];
    const b = ancestor[from + i];
    if (a !== b && lowerLabel(a) !== lowerLabel(b)) return false;
  }
  return true;
}

function checkLengths(labels: string[], text: string): void {
  for (const l of labels) {
    if (l.length === 0) throw new WireError('BAD_TEXT', `empty label in "${text}"`);
    if (l.length > MAX_LABEL_LENGTH) {
      throw new WireError('LABEL_TOO_LONG', `label "${l}" in "${text}" is ${l.length} octets; a label holds at most ${MAX_LABEL_LENGTH} (RFC 1035 §2.3.4): shorten it`);
    }
  }
  const octets = wireLength(labels);
  if (octets > MAX_NAME_LENGTH) {
    throw new WireError('NAME_TOO_LONG', `"${text}" is ${octets} octets in wire form; a name holds at most ${MAX_NAME_LENGTH} (RFC 1035 §2.3.4): use fewer or shorter labels`);
  }
}

/**
 * Parses a name in presentation format (RFC 1035 §5.1: `\X` and `\DDD` escapes). The name is
 * absolute whether or not it ends with a dot; "." and "" are the root. Presentation format is
 * ASCII: raw octets above 0x7F are written as `\DDD`, internationalised names as A-labels (the
 * zone files' Unicode names are converted first: src/zone/names.ts).
 */
export function parseName(text: string): Name {
  if (text === '.' || text === '') return [];
  const labels: string[] = [];
  let cur = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      const d = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new WireError('BAD_TEXT', `escape \\${d} in "${text}" is above 255`);
        cur += String.fromCharCode(v);
        i += 4;
      } else if (i + 1 < text.length) {
        cur += text[i + 1];
        i += 2;
      } else {
        throw new WireError('BAD_TEXT', `"${text}" ends with a lone backslash`);
      }
      continue;
    }
    if (c === '.') {
      labels.push(cur);
      cur = '';
      i++;
      if (i === text.length) break;
      continue;
    }
    const code = text.charCodeAt(i);
    // Not latin1 as raw octets: "bücher" would go out as b\252cher, which no resolver asks for.
    if (code > 0x7f) throw new WireError('BAD_TEXT', `"${text}" has a character outside ASCII; write the name's IDNA form (xn--…)`);
    cur += c;
    i++;
  }
  if (!text.endsWith('.') || text.endsWith('\\.')) labels.push(cur);
  checkLengths(labels, text);
  return labels;
}

const PRESENTATION_SPECIAL = new Set(['.', '\\', '"', ';', '(', ')', '@', '$']);

/** Presentation format with a trailing dot, escaped as dig prints it. */
export function formatName(name: Name): string {
  if (name.length === 0) return '.';
  let s = '';
  for (const l of name) {
    for (let i = 0; i < l.length; i++) {
      const ch = l[i];
      const code = l.charCodeAt(i);
      if (PRESENTATION_SPECIAL.has(ch)) s += '\\' + ch;
      else if (code < 0x21 || code > 0x7e) s += '\\' + String(code).padStart(3, '0');
      else s += ch;
    }
    s += '.';
  }
  return s;
}

/**
 * Reads a possibly compressed name (RFC 1035 §4.1.4). Pointers must point strictly backwards
 * from where they stand, at most MAX_POINTER_HOPS of them, and the result must fit 255 octets.
 */
export function readName(r: WireReader): Name {
  const buf = r.buf;
  const labels: string[] = [];
  let pos = r.pos;
  let total = 1;
  let hops = 0;
  let resumeAt = -1;
  for (;;) {
    if (pos >= r.end) throw new WireError('TRUNCATED', `message ends inside a name at offset ${pos}`);
    const len = buf[pos];
    if ((len & POINTER_MASK) === POINTER_MASK) {
      if (pos + 1 >= r.end) throw new WireError('TRUNCATED', `message ends inside a pointer at offset ${pos}`);
      const target = ((len & ~POINTER_MASK) << 8) | buf[pos + 1];
      if (target >= pos) throw new WireError('BAD_POINTER', `pointer at offset ${pos} points forward to ${target}`);
      if (++hops > MAX_POINTER_HOPS) throw new WireError('BAD_POINTER', `more than ${MAX_POINTER_HOPS} pointers in one name`);
      if (resumeAt < 0) resumeAt = pos + 2;
      pos = target;
      continue;
    }
    if (len & POINTER_MASK) throw new WireError('BAD_LABEL_TYPE', `label type 0x${(len & POINTER_MASK).toString(16)} at offset ${pos} is not supported`);
    if (len === 0) {
      r.pos = resumeAt >= 0 ? resumeAt : pos + 1;
      return labels;
    }
    total += len + 1;
    if (total > MAX_NAME_LENGTH) throw new WireError('NAME_TOO_LONG', `name at offset ${r.pos} is longer than ${MAX_NAME_LENGTH} octets`);
    if (pos + 1 + len > r.end) throw new WireError('TRUNCATED', `message ends inside a label at offset ${pos}`);
    labels.push(Buffer.from(buf.buffer, buf.byteOffset + pos + 1, len).toString('latin1'));
    pos += 1 + len;
  }
}

/**
 * The offset just past the name at `p` (labels ending in a root label or in a pointer, RFC 1035
 * §4.1.4), without reading it; -1 when it runs past `end` or uses a reserved label type. For the
 * paths that only need to step over names (a query's records, a response we built).
 */
export function skipName(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const len = b[p];
    if (len === 0) return p + 1;
    if ((len & POINTER_MASK) === POINTER_MASK) return p + 2 <= end ? p + 2 : -1;
    if ((len & POINTER_MASK) !== 0) return -1;
    p += 1 + len;
  }
  return -1;
}

/**
 * Fills `out[i]` with a hash of `name` from label i on (lower-cased, RFC 4343), for every i: from
 * the root up, each suffix's hash extends the next one's, so all cost one pass over the name.
 */
export function suffixHashes(name: Name, out: Int32Array): void {
  let h = FNV_OFFSET;
  for (let i = name.length - 1; i >= 0; i--) {
    const label = name[i];
    h = Math.imul(h ^ label.length, FNV_PRIME);
    for (let c = 0; c < label.length; c++) h = Math.imul(h ^ lowerByte(label.charCodeAt(c)), FNV_PRIME);
    out[i] = h;
  }
}

/** suffixHashes of the name being written (a name has at most 127 labels, RFC 1035 §3.1). */
const hashes = new Int32Array(MAX_NAME_LENGTH);

/**
 * Writes a name; with `compress`, reuses the longest suffix already written (RFC 1035 §4.1.4)
 * and remembers the suffixes it writes. RFC 3597 §4: only well-known types compress RDATA names.
 */
export function writeName(w: WireWriter, name: Name, compress: boolean): void {
  if (compress) suffixHashes(name, hashes);
  for (let i = 0; i < name.length; i++) {
    if (compress) {
      const to = w.findSuffix(name, i, hashes[i]);
      if (to >= 0) {
        w.pointerSites.push(w.pos);
        w.u16(0xc000 | to);
        return;
      }
      w.remember(hashes[i], w.pos);
    }
    w.u8(name[i].length);
    w.latin1(name[i]);
  }
  w.u8(0);
}
