import { OPT_RR_SIZE, RCODE, TCP_MAX_MESSAGE } from '../wire/constants.js';
import { skipName } from '../wire/name.js';
import { TRANSFER_MESSAGE_TARGET } from './axfr.js';
import { differenceRecords, type ZoneDifference } from './difference.js';
import { serialGreater } from './serial.js';
import { setAnswerCount, startResponse, writeOpt, type ResponseHead } from './response.js';

/**
 * How an IXFR is answered (RFC 1995):
 * - `current`: the current SOA alone. §2: a client with the same or a newer serial is up to date;
 *   over UDP, a client that is behind and whose differences do not fit one datagram learns from
 *   it that it must ask again over TCP.
 * - `differences`: the steps from the client's version to ours (§4), from the zone's journal.
 * - `full`: the whole zone, as AXFR sends it (§4: "the server may respond with a full zone
 *   transfer", which the client recognises since the second record is not an SOA), when the
 *   client's version is not in the journal (too old, or before this process started).
 */
export type IxfrPlan =
  | { kind: 'current' }
  | { kind: 'differences'; steps: ZoneDifference[] }
  | { kind: 'full' };

/** Where the differences between a zone's versions are kept (src/transfer/journal.ts). */
export interface DifferenceSource {
  from(serial: number): ZoneDifference[] | null;
}

/** The answer to an IXFR from a client at `clientSerial`, for a zone at `serial`. */
export function planIxfr(clientSerial: number, serial: number, journal: DifferenceSource | null, overTcp: boolean): IxfrPlan {
  if (clientSerial === serial || serialGreater(clientSerial, serial)) return { kind: 'current' };
  const steps = journal?.from(clientSerial) ?? null;
  if (steps !== null) return { kind: 'differences', steps };
  return overTcp ? { kind: 'full' } : { kind: 'current' };
}

/** Each record of `records` (uncompressed, one after another), as a view. */
function* recordsIn(records: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < records.length;) {
    const nameEnd = skipName(records, at, records.length);
    const end = nameEnd + 10 + ((records[nameEnd + 8] << 8) | records[nameEnd + 9]);
    yield records.subarray(at, end);
    at = end;
  }
}

/**
 * The records of an incremental answer (RFC 1995 §4): the current SOA; for each step, the old
 * SOA and the records deleted, the new SOA and the records added; the current SOA again.
 */
function* ixfrRecords(steps: ZoneDifference[]): Generator<Uint8Array> {
  const current = steps[steps.length - 1].toSoa;
  yield current;
  for (const s of steps) {
    yield s.fromSoa;
    yield* recordsIn(s.deleted);
    yield s.toSoa;
    yield* recordsIn(s.added);
  }
  yield current;
}

/** Records an incremental answer holds, both SOAs of every step and the current one twice included. */
export function ixfrRecordCount(steps: ZoneDifference[]): number {
  return steps.reduce((n, s) => n + differenceRecords(s), 2);
}

/**
 * The incremental answer as response messages, made as they are pulled: as many records as fit
 * `target` octets less `reserve` (room for a TSIG) in each, the question and an OPT (when the
 * query had one) in the first only, as AXFR's (RFC 5936 §2.2, which RFC 1995 §4 follows). The
 * records are copied as kept, their names uncompressed. Over UDP, the caller takes the answer
 * only when it is one message of at most the datagram's size (RFC 1995 §2).
 */
export function* ixfrMessages(head: ResponseHead, steps: ZoneDifference[], reserve: number, target = TRANSFER_MESSAGE_TARGET): Generator<Buffer> {
  let first = true;
  let w = startResponse(head, RCODE.NOERROR, true, true, target);
  let count = 0;
  const finish = (): Buffer => {
    setAnswerCount(w, count);
    if (first && head.edns) writeOpt(w);
    return w.result();
  };
  for (const record of ixfrRecords(steps)) {
    const limit = target - reserve - (first && head.edns ? OPT_RR_SIZE : 0);
    if (w.pos + record.length > limit && count > 0) {
      yield finish();
      first = false;
      w = startResponse(head, RCODE.NOERROR, true, false, target);
      count = 0;
    }
    if (w.pos + record.length > TCP_MAX_MESSAGE - reserve - (first && head.edns ? OPT_RR_SIZE : 0)) throw new Error('a record does not fit a 65,535-octet message with the transfer\'s TSIG');
    w.bytes(record);
    count++;
  }
  yield finish();
}
