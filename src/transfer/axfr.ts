import { MAX_POINTER_OFFSET, OPT_RR_SIZE, RCODE, TCP_MAX_MESSAGE, TYPE } from '../wire/constants.js';
import { formatName, writeName } from '../wire/name.js';
import { writeRData, type RData } from '../wire/rdata.js';
import type { WireWriter } from '../wire/writer.js';
import type { Zone } from '../zone/model.js';
import { ZoneTree, type RRset } from '../zone/tree.js';
import { setAnswerCount, startResponse, writeOpt, writeRecordHead, type ResponseHead } from './response.js';

/**
 * Size a transfer message is filled to: every offset in it can be the target of a compression
 * pointer (RFC 1035 §4.1.4: 14 bits), as NSD sizes its AXFR messages. A record that does not fit
 * what is left starts the next message.
 */
export const TRANSFER_MESSAGE_TARGET = MAX_POINTER_OFFSET + 1;

/**
 * The zone's RRsets in transfer order (RFC 5936 §2.2: the SOA first and last, everything else in
 * between in any order): the SOA, the rest of the apex, then every other name, delegations, glue
 * and names below cuts included, as the zone file holds them. RRsets as they are served: one TTL
 * each, the lowest of its records (RFC 2181 §5.2), duplicates dropped.
 */
function* transferOrder(tree: ZoneTree, soa: RRset): Generator<RRset> {
  yield soa;
  for (const node of tree.nodes.values()) {
    for (const set of node.rrsets.values()) if (set !== soa) yield set;
  }
  yield soa;
}

function writeRecord(w: WireWriter, set: RRset, data: RData): void {
  writeName(w, set.owner, true);
  writeRecordHead(w, set.type, set.ttl);
  writeRData(w, data, true);
}

/** Takes back a record written from `at` on: the position, and the compression targets it added. */
function unwrite(w: WireWriter, at: number): void {
  w.pos = at;
  for (const [key, offset] of w.names) if (offset >= at) w.names.delete(key);
}

/**
 * The zone as AXFR response messages (RFC 5936 §2.2), made one at a time as they are asked for, so
 * a large zone streams: each message holds as many records as fit `target` octets less `reserve`
 * (room for a TSIG), names compressed within it; the question only in the first (§2.2.1), with an
 * OPT there when the query had one (§2.2.5); AA set, ID and RD echoed. A record larger than that
 * goes alone in a message of up to 65,535 octets less `reserve`. The same messages answer an IXFR
 * in full (RFC 1995 §4), with the IXFR question.
 */
export function* axfrMessages(head: ResponseHead, zone: Zone, reserve: number, target = TRANSFER_MESSAGE_TARGET): Generator<Buffer> {
  const tree = new ZoneTree(zone);
  const soa = tree.nodes.get(tree.apexKey)!.rrsets.get(TYPE.SOA)!;
  const hardLimit = TCP_MAX_MESSAGE - reserve;
  let first = true;
  let w = startResponse(head, RCODE.NOERROR, true, true, target);
  let count = 0;
  const limit = (): number => target - reserve - (first && head.edns ? OPT_RR_SIZE : 0);
  const finish = (): Buffer => {
    setAnswerCount(w, count);
    if (first && head.edns) writeOpt(w);
    return w.result();
  };
  for (const set of transferOrder(tree, soa)) {
    for (const data of set.data) {
      const at = w.pos;
      writeRecord(w, set, data);
      if (w.pos > limit() && count > 0) {
        unwrite(w, at);
        yield finish();
        first = false;
        w = startResponse(head, RCODE.NOERROR, true, false, target);
        count = 0;
        writeRecord(w, set, data);
      }
      if (w.pos > hardLimit - (first && head.edns ? OPT_RR_SIZE : 0)) {
        throw new Error(`a ${formatName(set.owner)} record does not fit a 65,535-octet message with the transfer's TSIG`);
      }
      count++;
    }
  }
  yield finish();
}

/** The answer to an IXFR from a client that is up to date, or over UDP: the current SOA alone (RFC 1995 §2, §4). */
export function soaOnlyMessage(head: ResponseHead, zone: Pick<Zone, 'apex' | 'soa'>): Buffer {
  const w = startResponse(head, RCODE.NOERROR, true, true);
  writeRecord(w, { owner: zone.apex, type: TYPE.SOA, ttl: zone.soa.ttl, data: [zone.soa.data] }, zone.soa.data);
  setAnswerCount(w, 1);
  if (head.edns) writeOpt(w);
  return w.result();
}
