import { finishHash, FNV_OFFSET, FNV_PRIME } from '../wire/fnv.js';
import type { Answer, Below } from './answer.js';
import { NONE } from './image.js';
import { workInts } from './work-arrays.js';

/** The records' work arrays (see Records). */
const WORK = { of: workInts(), buckets: workInts(), trimmed: workInts(), below: workInts(), hashes: workInts(), earlier: workInts() };

/**
 * The records of a zone's answers. Answers that send the same octets (sameResponse) share one
 * record: a packet's question is never sent (respond.ts writes the query's own, 0x20 case and
 * QTYPE included), so answers with one key send the same octets to every query and share one
 * packet and one record: a name's ANY answer and the answer for the type of the one RRset it holds
 * (RFC 8482 §4.1, as NSD) when their authority sections agree (their packets differ in QTYPE
 * alone), or the answers of two names as long as each other with the same records. A packet with
 * no relocations still compresses into the question at fixed offsets: an equal body points at the
 * same places of the query's question, which is what each name's own packet does.
 */
export class Records {
  /** The answer first given each record: its packet is the record's. */
  readonly answers: Answer[] = [];
  // The numbers below are in typed arrays sized once (WORK): a zone of a million names has millions
  // of answers, and arrays of them grown by push would be copied as they grow and traced by the
  // collector, which then costs more than the packing.
  /** Each record's smaller form's record and below's number (NONE: none). */
  readonly trimmed: Int32Array;
  readonly below: Int32Array;
  /** Each answer's record, by its id (NONE: not added). */
  private readonly of: Int32Array;
  /**
   * Records by responseHash: the last one made in each bucket (the hash's low bits), and each
   * record's hash and the one made before it in its bucket.
   */
  private readonly buckets: Int32Array;
  private readonly hashes: Int32Array;
  private readonly earlier: Int32Array;

  /** `answers`: how many the zone has (ids), and at most how many will be added. */
  constructor(private readonly packets: Uint8Array, private readonly belows: ReadonlyMap<Below, number>, answers: number, added: number) {
    this.of = WORK.of.take(answers).fill(NONE);
    // At most half full: a bucket's chain is short.
    this.buckets = WORK.buckets.take(1 << (32 - Math.clz32(2 * added))).fill(NONE);
    // Each written before it is read (below `size`).
    this.trimmed = WORK.trimmed.take(added);
    this.below = WORK.below.take(added);
    this.hashes = WORK.hashes.take(added);
    this.earlier = WORK.earlier.take(added);
  }

  get size(): number {
    return this.answers.length;
  }

  /** `a`'s record; made (with its smaller forms') when no answer sending the same octets has one. */
  add(a: Answer): number {
    let r = this.of[a.id];
    if (r !== NONE) return r;
    const trimmed = a.trimmed === null ? NONE : this.add(a.trimmed);
    const below = a.below === null ? NONE : this.belows.get(a.below)!;
    const hash = responseHash(this.packets, a, trimmed, below);
    const bucket = hash & (this.buckets.length - 1);
    for (r = this.buckets[bucket]; r !== NONE; r = this.earlier[r]) {
      if (this.hashes[r] === hash && this.trimmed[r] === trimmed && this.below[r] === below && sameResponse(this.packets, this.answers[r], a)) break;
    }
    if (r === NONE) {
      r = this.answers.push(a) - 1;
      this.trimmed[r] = trimmed;
      this.below[r] = below;
      this.hashes[r] = hash;
      this.earlier[r] = this.buckets[bucket];
      this.buckets[bucket] = r;
    }
    this.of[a.id] = r;
    return r;
  }

  /** The record of an answer added before. */
  get(a: Answer): number {
    return this.of[a.id];
  }
}

/**
 * A hash of what `a` sends (see sameResponse), to find the records that may send the same: FNV-1a
 * over its fields and then its octets four at a time, finished so that its low bits (the bucket)
 * depend on all.
 */
function responseHash(packets: Uint8Array, a: Answer, trimmed: number, below: number): number {
  let h = FNV_OFFSET;
  h = Math.imul(h ^ a.qEnd, FNV_PRIME);
  h = Math.imul(h ^ trimmed, FNV_PRIME);
  h = Math.imul(h ^ below, FNV_PRIME);
  const relocs = a.relocs;
  if (relocs !== null) for (let i = 0; i < relocs.length; i++) h = Math.imul(h ^ relocs[i], FNV_PRIME);
  return finishHash(words(h, packets, a.at, a.at + a.length));
}

/** FNV-1a's state `h` carried over the octets [start, end), taken four at a time. */
function words(h: number, b: Uint8Array, start: number, end: number): number {
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)), FNV_PRIME);
  for (; i < end; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return h;
}

/**
 * True when two answers (with the same smaller form and below records) send the same octets: the
 * same header and body, the question ending at the same offset, the same pointers moved for
 * another question (none and an empty list alike).
 */
function sameResponse(packets: Uint8Array, a: Answer, b: Answer): boolean {
  if (a.qEnd !== b.qEnd || a.length !== b.length) return false;
  const ra = a.relocs ?? NO_RELOCS;
  const rb = b.relocs ?? NO_RELOCS;
  if (ra.length !== rb.length) return false;
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return false;
  for (let i = 0; i < a.length; i++) if (packets[a.at + i] !== packets[b.at + i]) return false;
  return true;
}

const NO_RELOCS = new Uint16Array(0);
