import { TYPE } from '../wire/constants.js';
import { nameKey, skipName, writeName } from '../wire/name.js';
import { writeRData, type RData } from '../wire/rdata.js';
import { WireWriter } from '../wire/writer.js';
import type { Zone } from '../zone/model.js';
import type { RRset } from '../zone/tree.js';
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

/** A record in wire form (RFC 1035 §4.1.3), its names uncompressed. */
function recordBytes(w: WireWriter, set: RRset, data: RData): Uint8Array {
  w.pos = 0;
  writeName(w, set.owner, false);
  writeRecordHead(w, set.type, set.ttl);
  writeRData(w, data, false);
  return w.buf.subarray(0, w.pos);
}

/**
 * The zone's records other than the SOA, keyed by their wire form with the owner in lower case
 * (owner names compare case-insensitively, RFC 4343), duplicates dropped: RRsets as they are
 * served and transferred, each with the lowest TTL of its records (RFC 2181 §5.2, as
 * src/zone/tree.ts), so a changed TTL is a deletion and an addition.
 */
function recordsOf(zone: Zone): Map<string, Uint8Array> {
  const ttls = new Map<string, number>();
  const rrsetKey = (owner: string, type: number): string => `${owner}/${type}`;
  for (const r of zone.records) {
    const key = rrsetKey(nameKey(r.owner), r.type);
    ttls.set(key, Math.min(ttls.get(key) ?? r.ttl, r.ttl));
  }
  const out = new Map<string, Uint8Array>();
  const w = new WireWriter(512);
  for (const r of zone.records) {
    if (r.type === TYPE.SOA) continue;
    const owner = nameKey(r.owner);
    const bytes = recordBytes(w, { owner: r.owner, type: r.type, ttl: ttls.get(rrsetKey(owner, r.type))!, data: [r.data] }, r.data);
    const key = owner + Buffer.from(bytes.subarray(skipName(bytes, 0, bytes.length))).toString('latin1');
    if (!out.has(key)) out.set(key, Uint8Array.from(bytes));
  }
  return out;
}

function soaBytes(zone: Zone): Uint8Array {
  const w = new WireWriter(512);
  return Uint8Array.from(recordBytes(w, { owner: zone.apex, type: TYPE.SOA, ttl: zone.soa.ttl, data: [zone.soa.data] }, zone.soa.data));
}

/** Concatenates records into one buffer of its own (transferable to another thread). */
function joined(records: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(records.reduce((n, r) => n + r.length, 0)));
  let at = 0;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** The difference from `from` to `to`, two versions of one zone, each with the serial it is served with. */
export function zoneDifference(from: Zone, to: Zone): ZoneDifference {
  const before = recordsOf(from);
  const after = recordsOf(to);
  const deleted: Uint8Array[] = [];
  const added: Uint8Array[] = [];
  for (const [key, record] of before) if (!after.has(key)) deleted.push(record);
  for (const [key, record] of after) if (!before.has(key)) added.push(record);
  return {
    fromSerial: from.soa.data.serial,
    toSerial: to.soa.data.serial,
    fromSoa: soaBytes(from),
    toSoa: soaBytes(to),
    deleted: joined(deleted),
    deletedCount: deleted.length,
    added: joined(added),
    addedCount: added.length,
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
