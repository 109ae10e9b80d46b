import { MAX_POINTER_OFFSET, POINTER_MASK } from './constants.js';
import { lowerByte, type Name } from './name.js';

/** No suffix: findSuffix's answer when no name written so far ends in it; the end of a chain. */
const NO_SUFFIX = -1;
/** Buckets of the suffix index to start with (a power of two); doubled when half full. */
const INITIAL_BUCKETS = 64;

/**
 * A growable output buffer with a name-compression dictionary (RFC 1035 §4.1.4). Used at
 * compile time only: the hot path copies packets built here.
 */
export class WireWriter {
  buf: Buffer;
  pos = 0;
  /**
   * The compression dictionary: where each name suffix written so far starts, chained by the
   * suffix's hash (suffixHashes) from `buckets`. No string is made per suffix: a zone compiles
   * millions of names, and a suffix is checked against the octets written instead.
   */
  private buckets = new Int32Array(INITIAL_BUCKETS).fill(NO_SUFFIX);
  private readonly suffixAt: number[] = [];
  private readonly suffixHash: number[] = [];
  private readonly suffixNext: number[] = [];
  /**
   * Suffixes remembered: the arrays above keep their length past it (emptying an array is a call
   * into the runtime, once per packet).
   */
  private suffixes = 0;
  /** Offsets of the compression pointers written, for relocating a packet's tail later. */
  readonly pointerSites: number[] = [];

  constructor(size = 512) {
    // Unzeroed: every octet below `pos` is written before it is read, and result() copies only those.
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  // Octet stores, not Buffer#writeUInt16BE and kin: those check their arguments on every call,
  // and a zone's compile writes millions of fields.
  u16(v: number): void {
    this.room(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = v >>> 16;
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A string's octets, one per character (a label as Name holds it). */
  latin1(s: string): void {
    this.room(s.length);
    // A loop: labels are short, and Buffer#write costs more to set up than to copy them.
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** Overwrites a 16-bit field written earlier (RDLENGTH, section counts). */
  patchU16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v;
  }

  /**
   * Remembers that labels written at `offset` (ending in the root or in a pointer) spell a suffix
   * whose suffixHashes value is `hash`, if a pointer can reach it. The caller has found no earlier
   * one (findSuffix): a pointer goes to the first place a suffix was written.
   */
  remember(hash: number, offset: number): void {
    if (offset > MAX_POINTER_OFFSET) return;
    if (2 * (this.suffixes + 1) > this.buckets.length) this.rehash(this.buckets.length * 2);
    const b = hash & (this.buckets.length - 1);
    const e = this.suffixes++;
    this.suffixNext[e] = this.buckets[b];
    this.buckets[b] = e;
    this.suffixAt[e] = offset;
    this.suffixHash[e] = hash;
  }

  /** Where a suffix equal to `name` from label `from` on was written (`hash`: its suffixHashes value), or -1. */
  findSuffix(name: Name, from: number, hash: number): number {
    for (let e = this.buckets[hash & (this.buckets.length - 1)]; e !== NO_SUFFIX; e = this.suffixNext[e]) {
      if (this.suffixHash[e] === hash && this.spells(this.suffixAt[e], name, from)) return this.suffixAt[e];
    }
    return NO_SUFFIX;
  }

  /**
   * True when the name written at `at` equals `name` from label `from` on (RFC 4343: ASCII case
   * folded). Only octets below `pos` are read: a name's own suffixes are remembered before its
   * labels are written, so a suffix whose hash collides with another of the same name is still
   * unfinished, and past `pos` lie an earlier packet's octets. Each pointer followed goes back to
   * an earlier suffix (remember), so the walk ends.
   */
  private spells(at: number, name: Name, from: number): boolean {
    const buf = this.buf;
    for (let i = from; ; i++) {
      if (at >= this.pos) return false;
      let len = buf[at];
      // RFC 1035 §4.1.4: a pointer ends a name; its target holds the rest.
      while ((len & POINTER_MASK) === POINTER_MASK) {
        const to = ((len & ~POINTER_MASK) << 8) | buf[at + 1];
        if (to >= at) return false;
        at = to;
        len = buf[at];
      }
      if (i === name.length) return len === 0;
      const label = name[i];
      if (len !== label.length) return false;
      for (let c = 0; c < len; c++) if (lowerByte(buf[at + 1 + c]) !== lowerByte(label.charCodeAt(c))) return false;
      at += 1 + len;
    }
  }

  /** Takes back what was written from `at` on: the octets, and the suffixes remembered there. */
  truncate(at: number): void {
    this.pos = at;
    // Suffixes are remembered in the order written: the last is its bucket's first.
    for (; this.suffixes > 0 && this.suffixAt[this.suffixes - 1] >= at; this.suffixes--) {
      const e = this.suffixes - 1;
      this.buckets[this.suffixHash[e] & (this.buckets.length - 1)] = this.suffixNext[e];
    }
  }

  private rehash(size: number): void {
    this.buckets = new Int32Array(size).fill(NO_SUFFIX);
    for (let e = 0; e < this.suffixes; e++) {
      const b = this.suffixHash[e] & (size - 1);
      this.suffixNext[e] = this.buckets[b];
      this.buckets[b] = e;
    }
  }

  /** Empties the writer for the next message, keeping its buffer (a packet compiler writes thousands). */
  reset(): void {
    this.pos = 0;
    // Only the buckets in use: most packets remember a few suffixes, or none.
    for (let e = 0; e < this.suffixes; e++) this.buckets[this.suffixHash[e] & (this.buckets.length - 1)] = NO_SUFFIX;
    this.suffixes = 0;
    // Only when not empty: setting an array's length is a call into the runtime.
    if (this.pointerSites.length > 0) this.pointerSites.length = 0;
  }

  /** A copy of the message (a loop: no view made of a packet of a few dozen octets). */
  result(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    for (let i = 0; i < this.pos; i++) out[i] = this.buf[i];
    return out;
  }
}
