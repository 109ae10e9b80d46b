import type { Name } from '../wire/name.js';
import type { SoaData } from '../zone/model.js';
import {
  ANSWER, ANSWER_INTS, BELOW, BELOW_INTS, DISTANCE_OCTETS, EMPTY_SLOT, entryBits, HEADER_INTS, IMAGE, KEY_TYPE_OCTETS,
  NAME_LENGTH_OCTETS, NONE, RELOC, RELOC_HEADER_INTS, SAME_NAME, type ZoneImage,
} from './image.js';

/** What a served zone is besides its image: its name, serial and size, and what its transfers and NOTIFYs carry. */
export interface ZoneFacts {
  readonly apex: Name;
  /** Lower-cased wire form of the apex (latin1). */
  readonly apexKey: string;
  readonly serial: number;
  /** Resource records in the zone, SOA included. */
  readonly records: number;
  /** The SOA as served: what a transfer that is up to date (IXFR, RFC 1995 §2) and NOTIFY carry. */
  readonly soa: { ttl: number; data: SoaData };
  /** The zone file's own `allow_transfer` (replaces XFR_ALLOW for this zone), when it sets one. */
  readonly allowTransfer?: readonly string[];
  /** The zone file's own `notify` (replaces XFR_NOTIFY for this zone), when it sets one. */
  readonly notify?: readonly string[];
}

/**
 * What answering from a zone takes besides its image: each DNS thread holds these of every zone,
 * so its name and SOA as data are left to the zones that may be transferred (serving/table-target.ts).
 */
export type ServedFacts = Pick<ZoneFacts, 'apexKey' | 'serial' | 'records'>;

/** Only the facts answering takes (the rest would be held by every DNS thread for every zone). */
export function servedFacts(facts: ServedFacts): ServedFacts {
  return { apexKey: facts.apexKey, serial: facts.serial, records: facts.records };
}

/**
 * A zone as the serving thread reads it: its image (src/answer/image.ts) with the sections'
 * places worked out once, and the views of packets it has sent (made on first use, then reused:
 * TypedArray#set needs a view, and a view made per query would be an allocation per query). The
 * table of views is made on the first too: most answers are sent inline and need none, and a
 * table of 100 answers is 800 octets for each zone on each DNS thread (16 MB for 20,000 zones).
 */
export class ServedZone implements ServedFacts {
  readonly apexKey: string;
  readonly serial: number;
  readonly records: number;
  /** The apex key's octets, compared with a query's name by the table. */
  readonly apexWire: Uint8Array;
  /** Labels in the apex's name (the root: 0). */
  readonly labels: number;
  readonly bytes: Buffer;
  private readonly ints: Int32Array;
  private readonly entryOffsetAt: number;
  private readonly entryAnswerAt: number;
  private readonly answerAt: number;
  private readonly belowAt: number;
  private readonly pairAt: number;
  private readonly relocAt: number;
  private readonly slotAt: number;
  private readonly mask: number;
  /** The bits of an index slot that hold hash bits (the rest: the entry plus one). */
  private readonly hashBits: number;
  private views: (Buffer | undefined)[] | null = null;

  constructor(facts: ServedFacts, image: ZoneImage) {
    this.apexKey = facts.apexKey;
    this.serial = facts.serial;
    this.records = facts.records;
    this.apexWire = Buffer.from(facts.apexKey, 'latin1');
    this.labels = countLabels(this.apexWire);
    this.bytes = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
    const ints = image.ints;
    this.ints = ints;
    const entries = ints[IMAGE.ENTRIES];
    this.entryOffsetAt = HEADER_INTS;
    this.entryAnswerAt = this.entryOffsetAt + entries;
    this.answerAt = this.entryAnswerAt + entries;
    this.belowAt = this.answerAt + ints[IMAGE.ANSWERS] * ANSWER_INTS;
    this.pairAt = this.belowAt + ints[IMAGE.BELOWS] * BELOW_INTS;
    this.relocAt = this.pairAt + ints[IMAGE.PAIR_INTS];
    this.slotAt = this.relocAt + ints[IMAGE.RELOCS];
    this.mask = ints[IMAGE.SLOTS] - 1;
    this.hashBits = -1 << entryBits(entries);
  }

  get entries(): number {
    return this.ints[IMAGE.ENTRIES];
  }

  /** The entry whose key is octets [start, end) of `key` (with hash `hash`), or -1. */
  find(key: Uint8Array, start: number, end: number, hash: number): number {
    const ints = this.ints;
    const bytes = this.bytes;
    const slotAt = this.slotAt;
    const mask = this.mask;
    const hashBits = this.hashBits;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = ints[slotAt + i];
      if (s === EMPTY_SLOT) return -1;
      if (((s ^ hash) & hashBits) !== 0) continue;
      const entry = (s & ~hashBits) - 1;
      if (sameKey(bytes, ints[this.entryOffsetAt + entry], key, start, end)) return entry;
    }
  }

  /** Where entry `e`'s N is in `bytes` (image.ts): its key ends there, its L follows. */
  entryOffset(e: number): number {
    return this.ints[this.entryOffsetAt + e];
  }

  /** The offset of the inline length field (L) of entry `e`. */
  inlineAt(e: number): number {
    return this.ints[this.entryOffsetAt + e] + NAME_LENGTH_OCTETS;
  }

  /** The answer (record number) of entry `e`. */
  answerOf(e: number): number {
    return this.ints[this.entryAnswerAt + e];
  }

  /** The packet of answer `a` (header and body, no question: image.ts): a view of `bytes`, made once. */
  packet(a: number): Buffer {
    const views = this.views ?? (this.views = new Array<Buffer | undefined>(this.ints[IMAGE.ANSWERS]));
    let v = views[a];
    if (v === undefined) {
      const rec = this.answerAt + a * ANSWER_INTS;
      const at = this.ints[rec + ANSWER.PACKET_AT];
      v = this.bytes.subarray(at, at + this.ints[rec + ANSWER.PACKET_LENGTH]);
      views[a] = v;
    }
    return v;
  }

  /** Octets of answer `a`'s packet as stored: header and body. */
  packetLength(a: number): number {
    return this.ints[this.answerAt + a * ANSWER_INTS + ANSWER.PACKET_LENGTH];
  }

  /** Answer `a`'s smaller form, or NONE. */
  trimmed(a: number): number {
    return this.ints[this.answerAt + a * ANSWER_INTS + ANSWER.TRIMMED];
  }

  /** Where answer `a`'s relocations are (read with relocCount, relocQEnd and reloc), or NONE: it has none. */
  relocs(a: number): number {
    return this.ints[this.answerAt + a * ANSWER_INTS + ANSWER.RELOCS];
  }

  /** How many pointers relocations `r` move. */
  relocCount(r: number): number {
    return this.ints[this.relocAt + r + RELOC.COUNT];
  }

  /** Offset just past the question in the packet of relocations `r` as compiled: the offsets count from there. */
  relocQEnd(r: number): number {
    return this.ints[this.relocAt + r + RELOC.QEND];
  }

  /** Relocation `i` of `r`: the absolute offset of a compression pointer into the body. */
  reloc(r: number, i: number): number {
    return this.ints[this.relocAt + r + RELOC_HEADER_INTS + i];
  }

  /**
   * For a name below the name of entry `e` that does not exist: the answer its `below` gives for
   * `qtype` (wildcard synthesis, a referral, NXDOMAIN), or NONE when the entry has no below.
   */
  belowAnswer(e: number, qtype: number): number {
    const ints = this.ints;
    const b = ints[this.answerAt + ints[this.entryAnswerAt + e] * ANSWER_INTS + ANSWER.BELOW];
    if (b === NONE) return NONE;
    const rec = this.belowAt + b * BELOW_INTS;
    const from = this.pairAt + ints[rec + BELOW.PAIR_AT];
    const to = from + 2 * ints[rec + BELOW.PAIR_COUNT];
    for (let p = from; p < to; p += 2) if (ints[p] === qtype) return ints[p + 1];
    return ints[rec + BELOW.OTHER];
  }
}

/**
 * Whether the key of the entry whose N is at `o` (image.ts) is octets [start, end) of `key`. A
 * name's first entry holds the whole key before N; a later one, N = SAME_NAME, its type, and how
 * far back the first entry is.
 */
function sameKey(bytes: Uint8Array, o: number, key: Uint8Array, start: number, end: number): boolean {
  const n = bytes[o];
  if (n !== SAME_NAME) {
    if (n + KEY_TYPE_OCTETS !== end - start) return false;
    for (let k = start, j = o - n - KEY_TYPE_OCTETS; k < end; k++, j++) if (bytes[j] !== key[k]) return false;
    return true;
  }
  // The type, just before N; then the name, at the first entry.
  if (bytes[o - 2] !== key[end - 2] || bytes[o - 1] !== key[end - 1]) return false;
  const first = o - ((bytes[o - KEY_TYPE_OCTETS - DISTANCE_OCTETS] << 8) | bytes[o - KEY_TYPE_OCTETS - DISTANCE_OCTETS + 1]);
  const m = bytes[first];
  if (m + KEY_TYPE_OCTETS !== end - start) return false;
  for (let k = start, j = first - m - KEY_TYPE_OCTETS; k < end - KEY_TYPE_OCTETS; k++, j++) if (bytes[j] !== key[k]) return false;
  return true;
}

/** Labels in a name in wire form (RFC 1035 §3.1: each label's length, then the root's zero). */
function countLabels(wire: Uint8Array): number {
  let n = 0;
  for (let i = 0; wire[i] !== 0; i += wire[i] + 1) n++;
  return n;
}
