import { HEADER_SIZE, MAX_NAME_LENGTH, TYPE } from '../wire/constants.js';
import { finishHash, fnv, FNV_OFFSET } from '../wire/fnv.js';
import type { Answer, Below } from './answer.js';
import type { CompiledZone } from './compile.js';
import type { HealthPlan, HealthSite, HealthVariants } from './health.js';
import {
  ANSWER, ANSWER_INTS, BELOW, BELOW_INTS, DISTANCE_OCTETS, EMPTY_SLOT, entryBits, HEADER_INTS, INLINE_LENGTH_OCTETS, MAPPED_ALONE_OCTETS, INLINE_MAX, KEY_TYPE_OCTETS, MAX_DISTANCE,
  NAME_LENGTH_OCTETS, NONE, privateImage, RELOC, RELOC_HEADER_INTS, SAME_NAME, type ImageAllocator, type ZoneImage,
} from './image.js';
import { Records } from './same-responses.js';
import { Work, workInts } from './work-arrays.js';

/** packImage's work arrays: a small zone's image is laid out in `bytes` and `ints`, then copied whole (a large one's in place: IN_PLACE_OCTETS). */
const WORK = { found: workInts(), placed: workInts(), ints: workInts(), hashes: workInts(), order: workInts(), orderHashes: workInts(), bytes: new Work((n) => new Uint8Array(n)) };

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

/**
 * From this size on (the octets' bound and the ints), a zone's image is laid out where it will
 * stay, not in work arrays copied into it once the octets used are known: in a zone of a million
 * names, the copy and the first touch of the work arrays' fresh pages were a quarter of packing
 * (bench/RESULTS.md). The octets' bound is about twice what is used, and the rest of it is never
 * written: address space that takes no memory, the allocation being mapped on its own.
 */
const IN_PLACE_OCTETS = MAPPED_ALONE_OCTETS;

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
  const { names, types, answers, starts } = zone.entries;
  let size = 0;
  for (let i = 0; i < names.length; i++) {
    const n = names[i].length;
    // RFC 1035 §3.1: the parser allows no longer name; one octet holds its length.
    if (n > MAX_NAME_LENGTH) throw new RangeError(`name of ${n} octets in ${zone.apexKey}`);
    // At most: later entries of a name take less, and not all copy their packet inline (the image
    // takes what was used).
    size += (zone.entries.end(i) - starts[i]) * (n + KEY_TYPE_OCTETS + NAME_LENGTH_OCTETS + INLINE_LENGTH_OCTETS);
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
  const intCount = HEADER_INTS + 2 * entries + records.size * ANSWER_INTS + belows.size * BELOW_INTS + pairInts + relocCount + slots;
  // A large zone is laid out in its image's own memory (see IN_PLACE_OCTETS); a small one in the
  // work arrays, then copied into an image of the octets used.
  const inPlace = size + intCount * Int32Array.BYTES_PER_ELEMENT >= IN_PLACE_OCTETS ? alloc(size, intCount) : null;
  // Every octet below `at` is written before the image is taken.
  const bytes = inPlace?.bytes ?? WORK.bytes.take(size);
  // Every int but the slots' is written before the image is taken (fillIndex empties those).
  const ints = inPlace?.ints ?? WORK.ints.take(intCount);
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
  // Each key's hash, for the index made once all are known (fillIndex).
  const hashes = WORK.hashes.take(entries);
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
      hashes[e] = finishHash(fnv(nameHash, keyOctets, n, n + KEY_TYPE_OCTETS));
    }
  }
  fillIndex(ints.subarray(slotAt).fill(EMPTY_SLOT), hashes);
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
  let image: ZoneImage;
  if (inPlace) {
    image = { bytes: inPlace.bytes.subarray(0, at), ints: inPlace.ints };
  } else {
    image = alloc(at, ints.length);
    image.bytes.set(bytes.subarray(0, at));
    image.ints.set(ints);
  }
  return { ...image, ...(zone.health && { health: { probes: zone.health.probes, sites } }) };
}

/**
 * An index of at most this many slots (256 KiB) is filled in the keys' order; a larger one a part
 * of this size at a time, each part's keys in their order. A key goes into a slot at random: in a
 * zone of a million names, into 16 MiB of slots, each key a cache and TLB miss (a tenth of
 * packing the zone; bench/RESULTS.md). Linear probing finds every key whatever order they went in.
 */
const PART_SLOTS = 1 << 16;

/** Fills the index `slots` (all EMPTY_SLOT) with entry e's key, whose hash is `hashes[e]`, for every e. */
function fillIndex(slots: Int32Array, hashes: Int32Array): void {
  const mask = slots.length - 1;
  const hashBitsOf = -1 << entryBits(hashes.length);
  const put = (e: number, hash: number): void => {
    let s = hash & mask;
    while (slots[s] !== EMPTY_SLOT) s = (s + 1) & mask;
    slots[s] = (hash & hashBitsOf) | (e + 1);
  };
  if (slots.length <= PART_SLOTS) {
    for (let e = 0; e < hashes.length; e++) put(e, hashes[e]);
    return;
  }
  // A counting sort of the entries by the part their first slot lies in, each with its hash: read
  // from `hashes` by entry, in the part's order, each would be a cache miss of its own.
  const shift = 31 - Math.clz32(PART_SLOTS);
  const starts = new Int32Array((slots.length >>> shift) + 1);
  for (let e = 0; e < hashes.length; e++) starts[((hashes[e] & mask) >>> shift) + 1]++;
  for (let p = 1; p < starts.length; p++) starts[p] += starts[p - 1];
  const order = WORK.order.take(hashes.length);
  const orderHashes = WORK.orderHashes.take(hashes.length);
  for (let e = 0; e < hashes.length; e++) {
    const at = starts[(hashes[e] & mask) >>> shift]++;
    order[at] = e;
    orderHashes[at] = hashes[e];
  }
  for (let i = 0; i < order.length; i++) put(order[i], orderHashes[i]);
}

/** Copies `a`'s packet (header, then body) from `packets` to `at`; returns where it ends. */
function writePacket(bytes: Uint8Array, packets: Uint8Array, a: Answer, at: number): number {
  for (let i = a.at; i < a.at + a.length; i++) bytes[at++] = packets[i];
  return at;
}
