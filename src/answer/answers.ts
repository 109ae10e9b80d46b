import { HEADER_SIZE } from '../wire/constants.js';
import { Answer, type Below } from './answer.js';
import type { SectionTails } from './tails.js';

/** Octets a zone's arena starts with at least: doubled whenever it is full. */
const INITIAL_OCTETS = 4096;
/**
 * Octets to start with per record of the zone: about what a name with one record compiles to (its
 * answer with the apex NS as authority, and ANY's). Large arenas are mapped as they are written,
 * so room to spare costs address space, not memory, and a large zone is not copied as it grows.
 */
const OCTETS_PER_RECORD = 128;

/**
 * Arenas up to a sixteenth of this are cut from one shared slab, as Buffer.allocUnsafe cuts small
 * buffers from its pool: an ArrayBuffer of its own for each zone cost each compile thread 70 ms of
 * a 20,000-zone start (a tenth of compiling a zone of 50 records). A slab is freed once no zone's
 * packets are left in it.
 */
const SLAB_OCTETS = 1 << 20;
let slab = new Uint8Array(SLAB_OCTETS);
let slabUsed = 0;

/** `n` zeroed octets: from the slab when small, else of their own. */
function octets(n: number): Uint8Array {
  if (n > SLAB_OCTETS / 16) return new Uint8Array(n);
  if (slabUsed + n > SLAB_OCTETS) {
    slab = new Uint8Array(SLAB_OCTETS);
    slabUsed = 0;
  }
  slabUsed += n;
  return slab.subarray(slabUsed - n, slabUsed);
}

/**
 * A zone's answers as they are compiled: each numbered by its place in `list` (Answer.id), and
 * their packets end to end in one arena, as the image keeps them (header and body: see image.ts).
 * A zone of a million names compiles two million packets: this makes one object of each, not an
 * Answer and a Buffer, and the collector has no packet of its own to copy or trace.
 */
export class ZoneAnswers {
  readonly list: Answer[] = [];
  private bytes: Uint8Array;
  private used = 0;

  /**
   * `records`: how many the zone has; `tails`: the sections its answers share, encoded once
   * (packet.ts; none: each answer encoded whole).
   */
  constructor(records: number, public tails: SectionTails | null = null) {
    this.bytes = octets(Math.max(INITIAL_OCTETS, records * OCTETS_PER_RECORD));
  }

  /**
   * Runs `fn` with no tail found or kept: for the answers of another health state (health.ts),
   * compiled with health-checked RRsets holding other records, which tails, known by their RRsets
   * (the same objects), cannot tell apart.
   */
  untailed<T>(fn: () => T): T {
    const tails = this.tails;
    this.tails = null;
    try {
      return fn();
    } finally {
      this.tails = tails;
    }
  }

  /**
   * Adds an answer whose whole packet is `packet`'s first `length` octets, its question ending at
   * `qEnd` (the question is left out: the query's own is always sent in its place).
   */
  add(packet: Uint8Array, length: number, qEnd: number, relocs: Uint16Array | null, trimmed: Answer | null, below: Below | null): Answer {
    const stored = length - qEnd + HEADER_SIZE;
    if (this.used + stored > this.bytes.length) this.grow(this.used + stored);
    const bytes = this.bytes;
    const at = this.used;
    // Loops: most packets are a few dozen octets, shorter than a view made to copy them.
    for (let i = 0; i < HEADER_SIZE; i++) bytes[at + i] = packet[i];
    for (let i = qEnd, o = at + HEADER_SIZE; i < length; i++, o++) bytes[o] = packet[i];
    this.used += stored;
    const a = new Answer(at, stored, qEnd, relocs, trimmed, below, this.list.length);
    this.list.push(a);
    return a;
  }

  /** The packets so far: each answer's are `length` octets from its `at`. */
  packets(): Uint8Array {
    return this.bytes.subarray(0, this.used);
  }

  private grow(least: number): void {
    const next = octets(Math.max(2 * this.bytes.length, least));
    next.set(this.bytes.subarray(0, this.used));
    this.bytes = next;
  }
}
