import { CLASS, FLAG2_RD, HEADER_SIZE, MAX_POINTER_OFFSET, OPT_RR_SIZE, RCODE, TCP_LENGTH_PREFIX, TCP_MAX_MESSAGE, TYPE } from '../wire/constants.js';
import { getArcount, setArcount } from '../wire/header.js';
import { formatName, skipName, wireLength, writeName } from '../wire/name.js';
import { WireWriter } from '../wire/writer.js';
import { writeRData, type RData } from '../wire/rdata.js';
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

/**
 * The zone as AXFR response messages (RFC 5936 §2.2), made one at a time as they are asked for, so
 * a large zone streams: each message holds as many records as fit `target` octets less `reserve`
 * (room for a TSIG), names compressed within it; the question only in the first (§2.2.1), with an
 * OPT there when the query had one (§2.2.5); AA set, ID and RD echoed. A record larger than that
 * goes alone in a message of up to 65,535 octets less `reserve`. The same messages answer an IXFR
 * in full (RFC 1995 §4), with the IXFR question.
 */
export function* axfrMessages(head: ResponseHead, zone: Zone, reserve: number, target = TRANSFER_MESSAGE_TARGET, tree = new ZoneTree(zone)): Generator<Buffer> {
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
        w.truncate(at);
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

/**
 * Room left in every message of a zone's transfer image for what is added when it is sent: an OPT
 * in the first (RFC 5936 §2.2.5) and a TSIG in each (RFC 8945 §5.3.1). More than the largest TSIG
 * record (src/transfer/tsig.ts tsigSize: a 255-octet key name, the algorithm's name, a 64-octet MAC).
 */
const SEND_ROOM = 512;

/** The OPT record `writeOpt` writes (RFC 6891 §6.1.2), to append to a message made without one. */
const OPT_RECORD: Uint8Array = (() => {
  const w = new WireWriter(HEADER_SIZE + OPT_RR_SIZE);
  w.pos = HEADER_SIZE;
  writeOpt(w);
  return w.buf.subarray(HEADER_SIZE, HEADER_SIZE + OPT_RR_SIZE);
})();

/**
 * A zone's AXFR messages made once, when the zone is compiled, for every transfer of that version:
 * each preceded by its two-octet length (RFC 1035 §4.2.2), made for a query with ID 0, RD clear,
 * no EDNS and the apex as written in the zone. `axfrFromImage` makes a client's messages from it by
 * patching, so a transfer costs a copy of the octets, not a walk of the zone. `tree`: the zone's
 * tree, when the caller has made it (compiling the zone does).
 */
export function axfrImage(zone: Zone, tree = new ZoneTree(zone), buffer: (octets: number) => ArrayBufferLike = (n) => new ArrayBuffer(n)): Uint8Array {
  const head: ResponseHead = { id: 0, rd: false, qname: zone.apex, qtype: TYPE.AXFR, qclass: CLASS.IN, edns: false };
  const messages: Buffer[] = [];
  let size = 0;
  for (const m of axfrMessages(head, zone, SEND_ROOM, TRANSFER_MESSAGE_TARGET, tree)) {
    messages.push(m);
    size += TCP_LENGTH_PREFIX + m.length;
  }
  const image = new Uint8Array(buffer(size));
  let at = 0;
  for (const m of messages) {
    image[at] = m.length >> 8;
    image[at + 1] = m.length & 0xff;
    image.set(m, at + TCP_LENGTH_PREFIX);
    at += TCP_LENGTH_PREFIX + m.length;
  }
  return image;
}

/**
 * The messages of a zone's transfer image for one request: each a copy with the request's ID and
 * RD (RFC 5936 §2.2.1), the first with the question as the client wrote it (its letter case, AXFR
 * or IXFR) and an OPT when the query had one (§2.2.5). The image is the version the transfer
 * started with, whatever replaces it meanwhile.
 */
export function* axfrFromImage(head: ResponseHead, image: Uint8Array): Generator<Buffer> {
  const question = new WireWriter(HEADER_SIZE);
  writeName(question, head.qname, false);
  question.u16(head.qtype);
  let first = true;
  for (let at = 0; at < image.length;) {
    const len = (image[at] << 8) | image[at + 1];
    const from = image.subarray(at + TCP_LENGTH_PREFIX, at + TCP_LENGTH_PREFIX + len);
    at += TCP_LENGTH_PREFIX + len;
    const opt = first && head.edns;
    const m = Buffer.allocUnsafe(len + (opt ? OPT_RR_SIZE : 0));
    m.set(from);
    m[0] = head.id >> 8;
    m[1] = head.id & 0xff;
    if (head.rd) m[2] |= FLAG2_RD;
    if (first) {
      // The same name in the client's letter case: the same length (the zone was found by it).
      if (skipName(from, HEADER_SIZE, len) - HEADER_SIZE !== wireLength(head.qname)) throw new Error('the question does not match the zone');
      m.set(question.buf.subarray(0, question.pos), HEADER_SIZE);
      if (opt) {
        m.set(OPT_RECORD, len);
        setArcount(m, getArcount(m) + 1);
      }
      first = false;
    }
    yield m;
  }
}
