import { CLASS, EDNS_DEFAULT_PAYLOAD, FLAG2_AA, FLAG2_QR, FLAG2_RD, HEADER_SIZE, TYPE } from '../wire/constants.js';
import { ANCOUNT_OFFSET, getArcount, setArcount } from '../wire/header.js';
import { writeName, type Name } from '../wire/name.js';
import { WireWriter } from '../wire/writer.js';

/** What every response to a query echoes: its ID, RD and question (RFC 5936 §2.2.1), and whether it had EDNS. */
export interface ResponseHead {
  id: number;
  rd: boolean;
  qname: Name;
  qtype: number;
  qclass: number;
  edns: boolean;
}

/** RFC 6891 §6.1.3: the upper 8 bits of a 12-bit RCODE go in the first octet of the OPT RR's TTL. */
const EXTENDED_RCODE_SHIFT = 4;
const LOW_RCODE_MASK = 0xf;
/** Opcode bits of header octet 2 (RFC 1035 §4.1.1), echoed in error responses. */
const OPCODE_BITS = 0x78;

/**
 * Starts a response (RFC 1035 §4.1.1): opcode QUERY, AA when `aa`, the low bits of `rcode`, and the
 * question when `withQuestion`. The question is written as the client sent it (its letter case)
 * and is not a compression target, so the names after it keep the zone's own case.
 */
export function startResponse(head: ResponseHead, rcode: number, aa: boolean, withQuestion: boolean, size = 512): WireWriter {
  const w = new WireWriter(size);
  w.u16(head.id);
  w.u8(FLAG2_QR | (aa ? FLAG2_AA : 0) | (head.rd ? FLAG2_RD : 0));
  w.u8(rcode & LOW_RCODE_MASK);
  w.u16(withQuestion ? 1 : 0);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  if (withQuestion) {
    writeName(w, head.qname, false);
    w.u16(head.qtype);
    w.u16(head.qclass);
  }
  return w;
}

/** Sets ANCOUNT: the records written into the answer section. */
export function setAnswerCount(w: WireWriter, n: number): void {
  w.patchU16(ANCOUNT_OFFSET, n);
}

/** Appends an OPT RR (RFC 6891 §6.1.2) carrying the upper bits of `rcode`, and counts it. */
export function writeOpt(w: WireWriter, rcode = 0): void {
  w.u8(0);
  w.u16(TYPE.OPT);
  w.u16(EDNS_DEFAULT_PAYLOAD);
  w.u8(rcode >> EXTENDED_RCODE_SHIFT);
  w.u8(0);
  w.u16(0);
  w.u16(0);
  setArcount(w.buf, getArcount(w.buf) + 1);
}

/**
 * A response carrying only an RCODE: the question echoed (RFC 5936 §2.2.1: "in an error RCODE
 * response, this section MUST be copied as well"), with an OPT when the query had one.
 */
export function errorResponse(head: ResponseHead, rcode: number): Buffer {
  const w = startResponse(head, rcode, false, true);
  if (head.edns) writeOpt(w, rcode);
  return w.result();
}

/** FORMERR for a query whose question cannot even be read: its header echoed (ID, opcode, RD), nothing else. */
export function headerOnlyResponse(msg: Uint8Array, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  if (msg.length >= 2) out.set(msg.subarray(0, 2), 0);
  // Opcode and RD echoed; QR set; AA, TC, RA, AD, CD clear.
  out[2] = FLAG2_QR | ((msg[2] ?? 0) & (OPCODE_BITS | FLAG2_RD));
  out[3] = rcode & LOW_RCODE_MASK;
  return out;
}

/** An RR's fixed fields after its owner (RFC 1035 §4.1.3), class IN. */
export function writeRecordHead(w: WireWriter, type: number, ttl: number): void {
  w.u16(type);
  w.u16(CLASS.IN);
  w.u32(ttl);
}
