import { HEADER_SIZE, MAX_NAME_LENGTH, OPT_RR_SIZE, TCP_MAX_MESSAGE, typeName } from '../wire/constants.js';
import { FNV_OFFSET, FNV_PRIME } from '../wire/fnv.js';
import { formatName, wireLength, type Name } from '../wire/name.js';
import type { RData } from '../wire/rdata.js';
import type { NumberedRecords, ZoneRecord } from './model.js';

/** RFC 1035 §3.2.1: RDLENGTH is a 16-bit field. */
export const MAX_RDLENGTH = 0xffff;

/**
 * A record in an answer to a question for its owner: the owner as a 2-octet pointer to the
 * question, TYPE, CLASS, TTL and RDLENGTH (RFC 1035 §4.1.3), then its RDATA.
 */
const RR_FIXED_OCTETS = 2 + 2 + 2 + 4 + 2;

/**
 * Octets an RRset's records may take so that an answer carrying the RRset whole fits one message
 * over TCP (two-octet length prefix, RFC 1035 §4.2.2) beside the header, the longest question
 * (255-octet name, QTYPE, QCLASS: a wildcard answers any name below it) and an OPT record (RFC
 * 6891). RFC 2181 §9: an RRset is never sent in part, so a larger one could never be answered.
 */
export const MAX_RRSET_OCTETS = TCP_MAX_MESSAGE - HEADER_SIZE - (MAX_NAME_LENGTH + 4) - OPT_RR_SIZE;

/**
 * RDLENGTH of the RDATA, its names uncompressed: never less than the compiled answer has, so an
 * RRset within the bounds here always fits (after dns-packet's encodingLength).
 */
export function rdataLength(d: RData): number {
  switch (d.t) {
    case 'A': case 'AAAA': return d.address.length;
    case 'NS': case 'CNAME': case 'PTR': return wireLength(d.target);
    case 'SOA': return wireLength(d.mname) + wireLength(d.rname) + 5 * 4;
    case 'MX': return 2 + wireLength(d.exchange);
    case 'TXT': return d.strings.reduce((n, s) => n + 1 + s.length, 0);
    case 'SRV': return 3 * 2 + wireLength(d.target);
    case 'CAA': return 1 + 1 + d.tag.length + d.value.length;
    case 'OPAQUE': return d.data.length;
  }
}

const octets = (n: number): string => n.toLocaleString('en-US');

/**
 * Whether a record or an RRset may be over its bound: not when all the records of the zone together
 * fit one RRset's (a record over RDLENGTH's bound is over that too), as in most zones.
 */
function mayBeTooLarge(records: ZoneRecord[]): boolean {
  let octets = 0;
  for (const rec of records) octets += RR_FIXED_OCTETS + rdataLength(rec.data);
  return octets > MAX_RRSET_OCTETS;
}

/** An RRset's records and octets so far, and whether it was reported over the bound. */
interface RRsetSize {
  records: number;
  octets: number;
  over: boolean;
}

/** The size so far of the RRset of `type` at `ownerKey`, made at its first record. */
function rrsetSize(byType: Map<number, Map<string, RRsetSize>>, type: number, ownerKey: string): RRsetSize {
  let owners = byType.get(type);
  if (!owners) byType.set(type, (owners = new Map()));
  let set = owners.get(ownerKey);
  if (!set) owners.set(ownerKey, (set = { records: 0, octets: 0, over: false }));
  return set;
}

/** Buckets of RRsets: as many as records, up to this many (a power of two, 8 MiB of sums). */
const MAX_BUCKETS = 1 << 20;
const ASCII_UPPER_A = 0x41;
const ASCII_UPPER_Z = 0x5a;
const ASCII_CASE_BIT = 0x20;

/**
 * A hash of an RRset's type and owner, the same for owners equal under RFC 4343 §3 (as their
 * nameKey): FNV-1a over the type's two octets, the number of labels, then each label's length and
 * octets, A–Z folded, but for the last `suffix` labels (the apex, which every owner ends with).
 */
function rrsetHash(type: number, owner: Name, suffix: number): number {
  let h = Math.imul(FNV_OFFSET ^ (type >> 8), FNV_PRIME);
  h = Math.imul(h ^ (type & 0xff), FNV_PRIME);
  h = Math.imul(h ^ owner.length, FNV_PRIME);
  for (let l = 0; l < owner.length - suffix; l++) {
    const label = owner[l];
    h = Math.imul(h ^ label.length, FNV_PRIME);
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      h = Math.imul(h ^ (c >= ASCII_UPPER_A && c <= ASCII_UPPER_Z ? c | ASCII_CASE_BIT : c), FNV_PRIME);
    }
  }
  return h >>> 0;
}

/**
 * Rejects what the compiler could not encode or no message could carry: RDATA over 65,535 octets
 * (RFC 1035 §3.2.1), and an RRset over MAX_RRSET_OCTETS. Duplicate records count too (the tree
 * drops them later), which errs on the safe side. The owners are those of the zone at `apex`.
 */
export function checkSizes(
  numbered: NumberedRecords, apex: Name, report: (n: number, field: string, message: string) => void,
): void {
  const { records } = numbered;
  if (!mayBeTooLarge(records)) return;
  // The RRsets are first summed by buckets of a hash of their type and owner, which takes no key
  // per record: an RRset over the bound has its bucket over it, so only the records of a bucket
  // over it are summed by RRset, in the order of the file (in most zones, none).
  const buckets = new Float64Array(Math.min(MAX_BUCKETS, 2 ** Math.ceil(Math.log2(records.length))));
  const bucketOf = new Uint32Array(records.length);
  const lengths = new Float64Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    const length = (lengths[i] = rdataLength(rec.data));
    if (length > MAX_RDLENGTH) continue;
    const bucket = (bucketOf[i] = rrsetHash(rec.type, rec.owner, apex.length) & (buckets.length - 1));
    buckets[bucket] += RR_FIXED_OCTETS + length;
  }
  // RRsets by type, then owner: no key is made of the two per record.
  const byType = new Map<number, Map<string, RRsetSize>>();
  for (let i = 0; i < records.length; i++) {
    const length = lengths[i];
    if (length <= MAX_RDLENGTH && buckets[bucketOf[i]] <= MAX_RRSET_OCTETS) continue;
    const rec = records[i];
    const n = numbered.n(i);
    const type = typeName(rec.type);
    if (length > MAX_RDLENGTH) {
      report(n, 'address', `the ${type} data is ${octets(length)} octets on the wire; a record holds at most ${octets(MAX_RDLENGTH)} (RFC 1035 §3.2.1)${type === 'TXT' ? ': split the text over several TXT records' : ': shorten it'}`);
      continue;
    }
    const set = rrsetSize(byType, rec.type, numbered.ownerKey(i));
    set.records++;
    set.octets += RR_FIXED_OCTETS + length;
    if (set.octets > MAX_RRSET_OCTETS && !set.over) {
      set.over = true;
      const what = set.records === 1 ? `this ${type} record takes` : `the ${set.records} ${type} records of ${formatName(rec.owner)} up to this one take`;
      report(n, 'address', `${what} ${octets(set.octets)} octets in an answer; ` +
        `an answer holds the whole RRset in one message of at most ${octets(TCP_MAX_MESSAGE)} octets (RFC 1035 §4.2.2, RFC 2181 §9), ` +
        `which leaves ${octets(MAX_RRSET_OCTETS)} for its records: shorten them, or spread them over several names`);
    }
  }
}
