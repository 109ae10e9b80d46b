import { MAX_POINTER_OFFSET } from './constants.js';

/**
 * A growable output buffer with a name-compression dictionary (RFC 1035 §4.1.4). Used at
 * compile time only: the hot path copies packets built here.
 */
export class WireWriter {
  buf: Buffer;
  pos = 0;
  /** Lower-cased wire suffix (latin1) → offset where it was written. */
  readonly names = new Map<string, number>();
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

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
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
    this.buf.writeUInt16BE(v, at);
  }

  /** Remembers a name suffix at `offset` for later compression, if a pointer can reach it. */
  remember(suffixKey: string, offset: number): void {
    if (offset <= MAX_POINTER_OFFSET && !this.names.has(suffixKey)) this.names.set(suffixKey, offset);
  }

  /** Empties the writer for the next message, keeping its buffer (a packet compiler writes thousands). */
  reset(): void {
    this.pos = 0;
    // Only when not empty: each is a call into the runtime, and most packets compress nothing.
    if (this.names.size > 0) this.names.clear();
    if (this.pointerSites.length > 0) this.pointerSites.length = 0;
  }

  /** A copy of the message (a loop: no view made of a packet of a few dozen octets). */
  result(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    for (let i = 0; i < this.pos; i++) out[i] = this.buf[i];
    return out;
  }
}
