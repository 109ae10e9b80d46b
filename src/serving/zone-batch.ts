/**
 * The zones put and dropped in one turn, as one message for every DNS thread (src/serving/threads.ts):
 * made once, posted to each. A start hands 20,000 zones to each DNS thread; posted as an object a
 * zone (its facts, its image's two views), each was cloned once per thread, and those clones were
 * the largest cost of the main thread's start with WORKERS=2. Here what a DNS thread needs of a
 * zone (its apex, serial, record count, where its image lies) is a row of numbers in one
 * SharedArrayBuffer and its apex key in the same buffer, written once and read by every thread; a
 * thread's copy of the message is that buffer, the image buffers (shared, not copied) and, for
 * the zones that may be transferred, their transfer messages and facts.
 */
import type { ZoneFacts } from '../answer/zone.js';
import type { SharedZone } from './thread-messages.js';

/** A change to what is served, in the order it was made. */
export type ZoneChange = { put: SharedZone } | { drop: string };

/** What a zone that may be transferred has besides its image (cloned to each thread). */
type TransferPart = { facts: ZoneFacts; axfr: Uint8Array; difference?: SharedZone['difference'] };

export interface ZoneBatch {
  /** ROW words a change (ROW's fields), in a SharedArrayBuffer. */
  readonly rows: Uint32Array;
  /** The apex keys (latin1), after the rows in the same buffer. */
  readonly keys: Uint8Array;
  /** The buffers the images lie in (SharedArrayBuffers: posting shares them). */
  readonly buffers: readonly ArrayBufferLike[];
  /** The transfer parts, numbered by the rows (ROW.TRANSFER). */
  readonly transfers: readonly TransferPart[];
}

const PUT = 1;
const DROP = 2;
/** A change's row: its kind, its apex key's place in `keys`, and for a put its facts and its image's views. */
const ROW = {
  KIND: 0, KEY_AT: 1, KEY_LENGTH: 2, SERIAL: 3, RECORDS: 4, BYTES_BUFFER: 5, BYTES_OFFSET: 6, BYTES_LENGTH: 7,
  INTS_BUFFER: 8, INTS_OFFSET: 9, INTS_LENGTH: 10, TRANSFER: 11,
} as const;
const ROW_WORDS = 12;
/** ROW.TRANSFER of a zone with no transfer part. */
const NO_TRANSFER = 0xffffffff;

function apexKeyOf(c: ZoneChange): string {
  return 'put' in c ? c.put.facts.apexKey : c.drop;
}

/**
 * Changes in one batch at most. Node.js looks each SharedArrayBuffer of a message up among the
 * message's others (a linear search), so a message's cost grows with the square of its zones:
 * 20,000 SharedArrayBuffers in one message took 137 ms to post, in messages of 250, 6 ms (Node.js 24).
 */
const MAX_BATCH = 256;

/** `items` in runs of MAX_BATCH at most, each with its changes (`change` of each) as one batch, made once. */
export function inBatches<T>(items: readonly T[], change: (item: T) => ZoneChange): { posted: T[]; batch: ZoneBatch }[] {
  const out = [];
  for (let i = 0; i < items.length; i += MAX_BATCH) {
    const posted = items.slice(i, i + MAX_BATCH);
    out.push({ posted, batch: encodeZoneBatch(posted.map(change)) });
  }
  return out;
}

/** The changes, in order, as one batch. */
function encodeZoneBatch(changes: readonly ZoneChange[]): ZoneBatch {
  let keyOctets = 0;
  for (const c of changes) keyOctets += apexKeyOf(c).length;
  const rowOctets = changes.length * ROW_WORDS * Uint32Array.BYTES_PER_ELEMENT;
  const shared = new SharedArrayBuffer(rowOctets + keyOctets);
  const rows = new Uint32Array(shared, 0, changes.length * ROW_WORDS);
  const keys = Buffer.from(shared, rowOctets, keyOctets);
  const buffers: ArrayBufferLike[] = [];
  const transfers: TransferPart[] = [];
  let keyAt = 0;
  for (let i = 0, r = 0; i < changes.length; i++, r += ROW_WORDS) {
    const c = changes[i];
    const key = apexKeyOf(c);
    keys.write(key, keyAt, 'latin1');
    rows[r + ROW.KEY_AT] = keyAt;
    rows[r + ROW.KEY_LENGTH] = key.length;
    keyAt += key.length;
    if (!('put' in c)) {
      rows[r + ROW.KIND] = DROP;
      continue;
    }
    const { facts, image } = c.put;
    rows[r + ROW.KIND] = PUT;
    rows[r + ROW.SERIAL] = facts.serial;
    rows[r + ROW.RECORDS] = facts.records;
    // An image's two arrays lie in one buffer (src/answer/image.ts sharedImage), listed once.
    rows[r + ROW.BYTES_BUFFER] = buffers.push(image.bytes.buffer) - 1;
    rows[r + ROW.BYTES_OFFSET] = image.bytes.byteOffset;
    rows[r + ROW.BYTES_LENGTH] = image.bytes.length;
    rows[r + ROW.INTS_BUFFER] = image.ints.buffer === image.bytes.buffer ? buffers.length - 1 : buffers.push(image.ints.buffer) - 1;
    rows[r + ROW.INTS_OFFSET] = image.ints.byteOffset;
    rows[r + ROW.INTS_LENGTH] = image.ints.length;
    rows[r + ROW.TRANSFER] = c.put.axfr === undefined
      ? NO_TRANSFER
      : transfers.push({ facts: c.put.facts, axfr: c.put.axfr, difference: c.put.difference }) - 1;
  }
  return { rows, keys, buffers, transfers };
}

/**
 * Each change of `batch` with its number, in order, as it was given to encodeZoneBatch (a zone not
 * transferred with the facts answering takes).
 */
export function forEachZoneChange(batch: ZoneBatch, each: (change: ZoneChange, i: number) => void): void {
  const { rows } = batch;
  const keys = Buffer.from(batch.keys.buffer, batch.keys.byteOffset, batch.keys.length);
  for (let i = 0, r = 0; r < rows.length; i++, r += ROW_WORDS) {
    const keyAt = rows[r + ROW.KEY_AT];
    const apexKey = keys.toString('latin1', keyAt, keyAt + rows[r + ROW.KEY_LENGTH]);
    if (rows[r + ROW.KIND] === DROP) {
      each({ drop: apexKey }, i);
      continue;
    }
    const image = {
      bytes: new Uint8Array(batch.buffers[rows[r + ROW.BYTES_BUFFER]], rows[r + ROW.BYTES_OFFSET], rows[r + ROW.BYTES_LENGTH]),
      ints: new Int32Array(batch.buffers[rows[r + ROW.INTS_BUFFER]], rows[r + ROW.INTS_OFFSET], rows[r + ROW.INTS_LENGTH]),
    };
    const t = rows[r + ROW.TRANSFER];
    if (t === NO_TRANSFER) {
      each({ put: { facts: { apexKey, serial: rows[r + ROW.SERIAL], records: rows[r + ROW.RECORDS] }, image } }, i);
      continue;
    }
    const { facts, axfr, difference } = batch.transfers[t];
    each({ put: { facts, image, axfr, difference } }, i);
  }
}
