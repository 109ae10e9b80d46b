import { TYPE } from '../wire/constants.js';
import { writeName, type Name } from '../wire/name.js';
import { writeRData, type RData } from '../wire/rdata.js';
import { WireWriter } from '../wire/writer.js';
import type { Zone } from '../zone/model.js';
import { keyHash, OctetKeys } from './octet-keys.js';
import { writeRecordHead } from './response.js';

/**
 * What changed from one version of a zone to the next, as an IXFR sends it (RFC 1995 §4): the
 * records deleted and the records added, each run headed by its version's SOA. Records are in
 * wire form, uncompressed and one after another, so that they are copied into messages as they
 * are; plain data and typed arrays, so it crosses from a compile thread without copying.
 */
export interface ZoneDifference {
  fromSerial: number;
  toSerial: number;
  /** The SOA records of the two versions. */
  fromSoa: Uint8Array;
  toSoa: Uint8Array;
  deleted: Uint8Array;
  deletedCount: number;
  added: Uint8Array;
  addedCount: number;
}

/** Writes a record in wire form (RFC 1035 §4.1.3), its names uncompressed; returns where its owner ends. */
function writeRecord(w: WireWriter, owner: Name, type: number, ttl: number, data: RData): number {
  writeName(w, owner, false);
  const ownerEnd = w.pos;
  writeRecordHead(w, type, ttl);
  writeRData(w, data, false);
  return ownerEnd;
}

/** Octets of a record's TYPE, after its owner (RFC 1035 §4.1.3). */
const TYPE_OCTETS = 2;
/** Where a record's TTL is from its owner's end: after TYPE and CLASS (RFC 1035 §4.1.3). */
const TTL_OFFSET = 4;

/**
 * A version's records other than the SOA, in wire form end to end in `bytes` (record i from
 * `starts[i]` to `starts[i + 1]`, its owner to `ownerEnds[i]`), duplicates dropped, and an index
 * of them: the owner compared in lower case (owner names compare case-insensitively, RFC 4343),
 * all else octet for octet. RRsets are as they are served and transferred, each with the lowest
 * TTL of its records (RFC 2181 §5.2, as src/zone/tree.ts), so a changed TTL is a deletion and an
 * addition.
 */
interface VersionRecords {
  bytes: Uint8Array;
  starts: Int32Array;
  ownerEnds: Int32Array;
  /** How many records (duplicates dropped). */
  count: number;
  index: OctetKeys;
}

function recordsOf(zone: Zone): VersionRecords {
  const records = zone.records.filter((r) => r.type !== TYPE.SOA);
  const w = new WireWriter(512);
  const starts = new Int32Array(records.length + 1);
  const ownerEnds = new Int32Array(records.length);
  records.forEach((r, i) => {
    starts[i] = w.pos;
    ownerEnds[i] = writeRecord(w, r.owner, r.type, r.ttl, r.data);
  });
  starts[records.length] = w.pos;
  const bytes = w.buf;
  // Each RRset's lowest TTL, written into each of its records: an RRset's key is its owner and type.
  const rrsets = new OctetKeys(bytes, records.length);
  const set = new Int32Array(records.length);
  const ttls: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const typeEnd = ownerEnds[i] + TYPE_OCTETS;
    const hash = keyHash(bytes, starts[i], ownerEnds[i], typeEnd);
    const found = rrsets.find(hash, bytes, starts[i], ownerEnds[i], typeEnd);
    set[i] = found >= 0 ? found : rrsets.add(hash, starts[i], ownerEnds[i], typeEnd);
    ttls[set[i]] = Math.min(ttls[set[i]] ?? records[i].ttl, records[i].ttl);
  }
  for (let i = 0; i < records.length; i++) bytes.writeUInt32BE(ttls[set[i]], ownerEnds[i] + TTL_OFFSET);
  // The records, duplicates dropped (the first kept), moved down over the dropped ones.
  const index = new OctetKeys(bytes, records.length);
  let count = 0;
  let to = 0;
  for (let i = 0; i < records.length; i++) {
    const hash = keyHash(bytes, starts[i], ownerEnds[i], starts[i + 1]);
    if (index.find(hash, bytes, starts[i], ownerEnds[i], starts[i + 1]) >= 0) continue;
    const length = starts[i + 1] - starts[i];
    bytes.copy(bytes, to, starts[i], starts[i + 1]);
    ownerEnds[count] = to + ownerEnds[i] - starts[i];
    starts[count] = to;
    index.add(hash, to, ownerEnds[count], to + length);
    to += length;
    count++;
  }
  starts[count] = to;
  return { bytes, starts, ownerEnds, count, index };
}

/** The records of `version` that `other` does not hold, end to end in a buffer of their own (transferable to another thread). */
function missingFrom(version: VersionRecords, other: VersionRecords): { bytes: Uint8Array; count: number } {
  const { bytes, starts, ownerEnds } = version;
  const missing: number[] = [];
  let length = 0;
  for (let i = 0; i < version.count; i++) {
    // Record i is key i of its version's index (added in order): its hash is made once.
    if (other.index.find(version.index.hash(i), bytes, starts[i], ownerEnds[i], starts[i + 1]) >= 0) continue;
    missing.push(i);
    length += starts[i + 1] - starts[i];
  }
  const out = new Uint8Array(new ArrayBuffer(length));
  let at = 0;
  for (const i of missing) {
    out.set(bytes.subarray(starts[i], starts[i + 1]), at);
    at += starts[i + 1] - starts[i];
  }
  return { bytes: out, count: missing.length };
}

function soaBytes(zone: Zone): Uint8Array {
  const w = new WireWriter(512);
  writeRecord(w, zone.apex, TYPE.SOA, zone.soa.ttl, zone.soa.data);
  return Uint8Array.from(w.buf.subarray(0, w.pos));
}

/** The difference from `from` to `to`, two versions of one zone, each with the serial it is served with. */
export function zoneDifference(from: Zone, to: Zone): ZoneDifference {
  const before = recordsOf(from);
  const after = recordsOf(to);
  const deleted = missingFrom(before, after);
  const added = missingFrom(after, before);
  return {
    fromSerial: from.soa.data.serial,
    toSerial: to.soa.data.serial,
    fromSoa: soaBytes(from),
    toSoa: soaBytes(to),
    deleted: deleted.bytes,
    deletedCount: deleted.count,
    added: added.bytes,
    addedCount: added.count,
  };
}

/** Records a difference sends in an IXFR: its two SOAs, its deletions and additions. */
export function differenceRecords(d: ZoneDifference): number {
  return 2 + d.deletedCount + d.addedCount;
}

/** The buffers of a difference, for handing it to another thread without copying. */
export function differenceBuffers(d: ZoneDifference): ArrayBuffer[] {
  return [d.fromSoa, d.toSoa, d.deleted, d.added].map((a) => a.buffer as ArrayBuffer);
}
