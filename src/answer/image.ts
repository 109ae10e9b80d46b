import { HEADER_SIZE, MAX_NAME_LENGTH, TYPE } from '../wire/constants.js';
import type { Answer, Below } from './answer.js';
import type { CompiledZone } from './compile.js';
import { FNV_OFFSET, FNV_PRIME } from '../wire/fnv.js';
import { finishHash, fnv } from './hash.js';
import type { HealthPlan, HealthSite, HealthVariants } from './health.js';

/**
 * A compiled zone as flat memory: two typed arrays and no objects, so it is built on a compile
 * thread and handed to the serving thread without copying (their buffers are transferred), and
 * installed there in one step, however large the zone.
 *
 * `bytes`: entry i, its offset (entryOffset(i)) at N:
 *   key (N + 2 octets)  the lower-cased wire name and the query type (0: the name's fallback)
 *   N (1 octet)         length of the name's wire form (RFC 1035 §3.1: 1 to 255)
 *   L (2 octets)        length of the inline packet; 0 when the answer must be taken from its record
 *   packet              the answer, when it is only ever sent for this name (no relocations) and
 *                       no other entry placed it first: inline when at most INLINE_MAX octets (L is
 *                       its length), else still here but reached through its answer record (L is 0)
 * then every other packet of the zone (smaller forms, answers that serve many names). A packet is
 * kept without its question (header, then body): the query's own question is always sent in its
 * place (src/answer/respond.ts), so the key's name and type, or the name a wildcard or NXDOMAIN
 * answer was compiled for, would be a second copy never read.
 *
 * A name's later entries (its other types, its fallback) do not repeat it: their key is
 *   D (2 octets)        how far back the name's first entry's N is (when within 65,535 octets)
 *   type (2 octets)     the query type
 *   0 (1 octet)         SAME_NAME in place of N
 * then L and the packet as above: 5 octets for the key, not N + 3 (19 for a name of 16).
 *
 * `ints`: a header (HEADER_INTS), then in order: the entries' offsets, the entries' answers, the
 * answer records, the below records, the (type, answer) pairs of the belows, the relocations, and
 * the zone's own hash index of its keys (src/answer/zone.ts reads them).
 *
 * Why keys beside packets: a query's answer was reached through five or six heap objects (table
 * entry, key string, Answer, Buffer, its bytes), each a likely cache and TLB miss; here the key
 * and, for the usual answer, its packet lie side by side (bench/RESULTS.md).
 */
export interface ZoneImage {
  readonly bytes: Uint8Array;
  readonly ints: Int32Array;
}

/**
 * The longest packet kept inline. The hot path copies an inline packet with a byte loop (no view
 * object to allocate), about 1 ns an octet slower than TypedArray#set: past two cache lines or so
 * that costs more than the misses saved. With an OPT RR it still fits the smallest UDP limit
 * (512), so an inline packet never needs a smaller form.
 */
const INLINE_MAX = 128;
/** Octets of the query type after the name in a key. */
export const KEY_TYPE_OCTETS = 2;
/** Octets of an entry's N, between its key and L. */
export const NAME_LENGTH_OCTETS = 1;
/** N of an entry whose name is its name's first entry's (no name is 0 octets long). */
export const SAME_NAME = 0;
/** Octets of D, the distance back to a name's first entry. */
export const DISTANCE_OCTETS = 2;
const MAX_DISTANCE = 0xffff;
/** Octets of the inline packet length field (L). */
export const INLINE_LENGTH_OCTETS = 2;

/** Header of `ints`: the counts of each section. */
export const IMAGE = { ENTRIES: 0, ANSWERS: 1, BELOWS: 2, PAIR_INTS: 3, RELOCS: 4, SLOTS: 5 } as const;
export const HEADER_INTS = 6;
/**
 * An answer record: its packet (header and body), its relocations (NONE when it has no pointer
 * to move), smaller form, below.
 */
export const ANSWER = { PACKET_AT: 0, PACKET_LENGTH: 1, RELOCS: 2, TRIMMED: 3, BELOW: 4 } as const;
export const ANSWER_INTS = 5;
/**
 * An answer's relocations: how many, where the question ended in its packet as compiled (the
 * offsets count from there), then the offsets. Only answers for many names have them, so the
 * question's end lives here, not in every record: a packet without relocations is sent behind
 * the query's question whatever its length.
 */
export const RELOC = { COUNT: 0, QEND: 1 } as const;
export const RELOC_HEADER_INTS = 2;
/** A below record: the answer for other types, and where its (type, answer) pairs are. */
export const BELOW = { OTHER: 0, PAIR_AT: 1, PAIR_COUNT: 2 } as const;
export const BELOW_INTS = 3;
/**
 * A slot of the zone's hash index is one int: 0 when empty, else the entry number plus one in its
 * low `entryBits(entries)` bits and the key's hash in the bits above (the hash's own low bits are
 * dropped: the slot's place already says most of them). A probe reads one word, and the index
 * costs 4 octets a slot, not 8; the 10 hash bits left in a zone of three million entries still
 * spare all but one key comparison in a thousand.
 */
export function entryBits(entries: number): number {
  return 32 - Math.clz32(entries);
}
/** An empty slot of the index. */
export const EMPTY_SLOT = 0;
/** No smaller form, no below. */
export const NONE = -1;

/**
 * Every Answer reachable from `a` not yet `found` (by id), in the order first reached, into
 * `order`: its smaller forms, what it gives names below, and its other health states (`variants`).
 */
function collect(a: Answer, found: Int32Array, order: Answer[], belows: Map<Below, number>, variants: ReadonlyMap<Answer, HealthVariants> | undefined): void {
  for (let f: Answer | null = a; f !== null && !found[f.id]; f = f.trimmed) {
    found[f.id] = 1;
    order.push(f);
    const health = variants?.get(f);
    if (health) for (const v of health.answers) collect(v, found, order, belows, variants);
    const below = f.below;
    if (below === null || belows.has(below)) continue;
    belows.set(below, belows.size);
    for (const b of below.byType.values()) collect(b, found, order, belows, variants);
    collect(below.other, found, order, belows, variants);
  }
}

/** Octets of `a`'s packet as compiled, with its question. */
function compiledLength(a: Answer): number {
  return a.length + a.qEnd - HEADER_SIZE;
}

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
class Records {
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
  for (const p of a.relocs ?? []) h = Math.imul(h ^ p, FNV_PRIME);
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

/**
 * Index slots for `n` keys: a power of two (the slot is the hash's low bits), at most 3/4 full.
 * Linear probing reads about (1 + 1/(1-a)^2)/2 slots for a key that is not there at load a
 * (Knuth, TAOCP vol. 3 §6.4): 2.5 at 1/2, 8.5 at 3/4. Misses are common: a query for a type its
 * name lacks, and each suffix of a name that does not exist. Bounded at 3/4, an index is between
 * 3/8 and 3/4 full (about 3 slots a miss half way, 8.5 at worst), and with one int a slot 8.5
 * slots are 34 octets read in order: one or two cache lines. Bounded at 1/2, it would be twice
 * the size to spare about one slot read a miss.
 */
function slotCount(n: number): number {
  let s = 16;
  while (4 * n > 3 * s) s *= 2;
  return s;
}

/** Past this many elements, a zone's work arrays are its own: a large zone's are not kept after it. */
const WORK_MAX_LENGTH = 1 << 16;

/**
 * An array packImage works in, kept from zone to zone (packing is synchronous): typed arrays of
 * their own for each zone were a third of packing a zone of 50 records (an ArrayBuffer costs
 * its allocation and the collector's bookkeeping, whatever its size).
 */
class Work<T extends Int32Array | Uint8Array> {
  private array: T;

  constructor(private readonly make: (length: number) => T) {
    this.array = make(0);
  }

  /** `n` elements, as the last zone left them. */
  take(n: number): T {
    if (n > WORK_MAX_LENGTH) return this.make(n);
    if (this.array.length < n) this.array = this.make(Math.min(WORK_MAX_LENGTH, Math.max(n, 2 * this.array.length)));
    return this.array.subarray(0, n) as T;
  }
}

const workInts = (): Work<Int32Array> => new Work((n) => new Int32Array(n));

/** packImage's work arrays (see Records and packImage): the image is laid out in `bytes` and `ints`, then copied whole. */
const WORK = {
  found: workInts(), of: workInts(), buckets: workInts(), trimmed: workInts(), below: workInts(), hashes: workInts(),
  earlier: workInts(), placed: workInts(), ints: workInts(), bytes: new Work((n) => new Uint8Array(n)),
};

/** Where an image is put: private memory, or memory shared with other threads. */
export type ImageAllocator = (bytes: number, ints: number) => ZoneImage;

/**
 * An image's arrays in one buffer, its ints after its bytes: one allocation a zone, not two (each
 * costs its own bookkeeping, and in every thread that holds it).
 */
function oneBuffer(buffer: (octets: number) => ArrayBufferLike): ImageAllocator {
  return (bytes, ints) => {
    const intsAt = (bytes + Int32Array.BYTES_PER_ELEMENT - 1) & -Int32Array.BYTES_PER_ELEMENT;
    const b = buffer(intsAt + ints * Int32Array.BYTES_PER_ELEMENT);
    return { bytes: new Uint8Array(b, 0, bytes), ints: new Int32Array(b, intsAt, ints) };
  };
}

/** An image in an ArrayBuffer: handed to another thread by transferring it. */
export const privateImage: ImageAllocator = oneBuffer((n) => new ArrayBuffer(n));
/** An image in a SharedArrayBuffer, for DNS threads (src/serving/threads.ts): every thread serves it where it lies. */
export const sharedImage: ImageAllocator = oneBuffer((n) => new SharedArrayBuffer(n));

/** The key being hashed (packImage is synchronous): a name's later entries change its type alone. */
const keyOctets = new Uint8Array(MAX_NAME_LENGTH + KEY_TYPE_OCTETS);

/**
 * Lays a compiled zone out flat (see ZoneImage), in memory from `alloc`. A health-checked zone's
 * image holds every health state's answers, and `health` says which words of `ints` to swap
 * between them (health.ts).
 */
export function packImage(zone: CompiledZone, alloc: ImageAllocator = privateImage): ZoneImage & { health?: HealthPlan } {
  const variants = zone.health?.variants;
  const found = WORK.found.take(zone.answers.length).fill(0);
  const order: Answer[] = [];
  const belows = new Map<Below, number>();
  const { names, types, answers } = zone.entries;
  let size = 0;
  for (let i = 0; i < names.length; i++) {
    const n = names[i].length;
    // RFC 1035 §3.1: the parser allows no longer name; one octet holds its length.
    if (n > MAX_NAME_LENGTH) throw new RangeError(`name of ${n} octets in ${zone.apexKey}`);
    // At most: later entries of a name take less, and not all copy their packet inline (the image
    // takes what was used).
    size += (zone.entries.end(i) - zone.entries.starts[i]) * (n + KEY_TYPE_OCTETS + NAME_LENGTH_OCTETS + INLINE_LENGTH_OCTETS);
  }
  for (const a of answers) {
    if (a.relocs === null && compiledLength(a) <= INLINE_MAX) size += a.length;
    collect(a, found, order, belows, variants);
  }
  const records = new Records(zone.packets, belows, zone.answers.length, order.length);
  for (const a of order) records.add(a);
  let relocCount = 0;
  let pairInts = 0;
  for (const a of records.answers) {
    size += a.length;
    if (a.relocs !== null && a.relocs.length > 0) relocCount += RELOC_HEADER_INTS + a.relocs.length;
  }
  for (const b of belows.keys()) pairInts += b.byType.size * 2;

  const entries = zone.entries.size;
  const slots = slotCount(entries);
  // Every octet below `at` is written before the image is taken; the slots start empty.
  const bytes = WORK.bytes.take(size);
  const ints = WORK.ints.take(HEADER_INTS + 2 * entries + records.size * ANSWER_INTS + belows.size * BELOW_INTS + pairInts + relocCount + slots).fill(EMPTY_SLOT);
  ints.set([entries, records.size, belows.size, pairInts, relocCount, slots], 0);
  const entryOffsetAt = HEADER_INTS;
  const entryAnswerAt = entryOffsetAt + entries;
  const answerAt = entryAnswerAt + entries;
  const belowAt = answerAt + records.size * ANSWER_INTS;
  const pairAt = belowAt + belows.size * BELOW_INTS;
  const relocAt = pairAt + pairInts;
  const slotAt = relocAt + relocCount;

  const sites: HealthSite[] = [];
  const site = (at: number, a: Answer): void => {
    const v = variants?.get(a);
    if (v) sites.push({ at, probes: v.probes, answers: v.answers.map((x) => records.get(x)) });
  };
  // Where each record's packet is placed in `bytes` (its first copy, when inline copies repeat it).
  const placed = WORK.placed.take(records.size).fill(NONE);
  const place = (r: number, at: number): number => {
    placed[r] = at;
    return writePacket(bytes, zone.packets, records.answers[r], at);
  };
  let at = 0;
  const mask = slots - 1;
  const hashBitsOf = -1 << entryBits(entries);
  // Where the N of the name's last entry given in full is: its later entries point back to it.
  let lastAt = 0;
  for (let i = 0, e = 0; i < names.length; i++) {
    const name = names[i];
    const n = name.length;
    for (let c = 0; c < n; c++) keyOctets[c] = name.charCodeAt(c);
    // The keys' hashes (hashBytes) share the name's part.
    const nameHash = fnv(FNV_OFFSET, keyOctets, 0, n);
    for (const first = e; e < zone.entries.end(i); e++) {
      const a = answers[e];
      const type = types[e];
      keyOctets[n] = type >> 8;
      keyOctets[n + 1] = type & 0xff;
      const distance = at + DISTANCE_OCTETS + KEY_TYPE_OCTETS - lastAt;
      if (e > first && distance <= MAX_DISTANCE) {
        bytes[at++] = distance >> 8;
        bytes[at++] = distance & 0xff;
        bytes[at++] = keyOctets[n];
        bytes[at++] = keyOctets[n + 1];
        bytes[at] = SAME_NAME;
      } else {
        for (let c = 0; c < n + KEY_TYPE_OCTETS; c++) bytes[at++] = keyOctets[c];
        bytes[at] = n;
        lastAt = at;
      }
      ints[entryOffsetAt + e] = at;
      at += NAME_LENGTH_OCTETS;
      const r = records.get(a);
      ints[entryAnswerAt + e] = r;
      // A packet for this name alone (or for names as long with the same answer: sameResponse)
      // follows the first such key, inline or not: its record points there. An answer with health
      // states is reached through its entry's answer word, which a state change swaps: never inline.
      const own = a.relocs === null && placed[r] === NONE;
      const inlinable = a.relocs === null && compiledLength(a) <= INLINE_MAX && variants?.has(a) !== true;
      // The usual answer is copied from beside its key: an entry keeps its own copy of a shared
      // packet (two names' A answers, a CNAME's A and AAAA), except ANY, which reads the copy of the
      // type its one RRset is (RFC 8482 §4.1): rarely asked, it spares a copy per name.
      const inline = inlinable && (own || type !== TYPE.ANY) ? a.length : 0;
      site(entryAnswerAt + e, a);
      bytes[at] = inline >> 8;
      bytes[at + 1] = inline & 0xff;
      at += INLINE_LENGTH_OCTETS;
      if (own) at = place(r, at);
      else if (inline > 0) at = writePacket(bytes, zone.packets, a, at);
      const hash = finishHash(fnv(nameHash, keyOctets, n, n + KEY_TYPE_OCTETS));
      let s = hash & mask;
      while (ints[slotAt + s] !== EMPTY_SLOT) s = (s + 1) & mask;
      ints[slotAt + s] = (hash & hashBitsOf) | (e + 1);
    }
  }
  for (let r = 0; r < records.size; r++) if (placed[r] === NONE) at = place(r, at);

  let reloc = 0;
  records.answers.forEach((a, i) => {
    const rec = answerAt + i * ANSWER_INTS;
    ints[rec + ANSWER.PACKET_AT] = placed[i];
    ints[rec + ANSWER.PACKET_LENGTH] = a.length;
    if (a.relocs !== null && a.relocs.length > 0) {
      ints[rec + ANSWER.RELOCS] = reloc;
      ints[relocAt + reloc + RELOC.COUNT] = a.relocs.length;
      ints[relocAt + reloc + RELOC.QEND] = a.qEnd;
      reloc += RELOC_HEADER_INTS;
      for (const p of a.relocs) ints[relocAt + reloc++] = p;
    } else {
      ints[rec + ANSWER.RELOCS] = NONE;
    }
    ints[rec + ANSWER.TRIMMED] = records.trimmed[i];
    ints[rec + ANSWER.BELOW] = records.below[i];
  });
  let p = 0;
  for (const [b, i] of belows) {
    const rec = belowAt + i * BELOW_INTS;
    ints[rec + BELOW.OTHER] = records.get(b.other);
    site(rec + BELOW.OTHER, b.other);
    ints[rec + BELOW.PAIR_AT] = p;
    ints[rec + BELOW.PAIR_COUNT] = b.byType.size;
    for (const [type, a] of b.byType) {
      ints[pairAt + p++] = type;
      site(pairAt + p, a);
      ints[pairAt + p++] = records.get(a);
    }
  }
  const image = alloc(at, ints.length);
  image.bytes.set(bytes.subarray(0, at));
  image.ints.set(ints);
  return { ...image, ...(zone.health && { health: { probes: zone.health.probes, sites } }) };
}

/** Copies `a`'s packet (header, then body) from `packets` to `at`; returns where it ends. */
function writePacket(bytes: Uint8Array, packets: Uint8Array, a: Answer, at: number): number {
  for (let i = a.at; i < a.at + a.length; i++) bytes[at++] = packets[i];
  return at;
}
