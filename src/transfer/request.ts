import { FLAG2_QR, FLAG2_RD, HEADER_SIZE, OPCODE, RCODE, TYPE, UDP_DEFAULT_PAYLOAD } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { FLAGS1_OFFSET, getOpcode, getQdcount, isResponse } from '../wire/header.js';
import { nameKey, readName, type Name } from '../wire/name.js';
import { WireReader } from '../wire/reader.js';
import { readMessage, soaSerial } from './message.js';
import { findTsig, type TsigRecord } from './tsig.js';

/** A zone transfer request, read and checked: what the responses echo and what they depend on. */
export interface TransferRequest {
  id: number;
  /** RFC 5936 §2.2.1: RD is copied from the query. */
  rd: boolean;
  qname: Name;
  qtype: typeof TYPE.AXFR | typeof TYPE.IXFR;
  qclass: number;
  /** The query has an OPT RR (RFC 6891): the first response message carries one (RFC 5936 §2.2.5). */
  edns: boolean;
  /**
   * The largest UDP answer the client takes: its OPT's payload size, 512 without EDNS or below it
   * (RFC 6891 §6.2.5). IXFR over UDP only (RFC 1995 §2).
   */
  udpPayload: number;
  /** IXFR: the serial the client has, from the SOA in the query's authority section (RFC 1995 §3). */
  clientSerial: number | null;
  tsig: TsigRecord | null;
}

/** A request that cannot be served as asked: the RCODE it gets and why, for the log line. */
export interface RequestError {
  rcode: number;
  why: string;
}

/**
 * Whether a message asks for a zone transfer: a query (QR clear, opcode QUERY) with one question of
 * type AXFR or IXFR. Cheap enough to run on every TCP message before the ordinary answer path.
 */
export function isTransferQuery(msg: Uint8Array): boolean {
  if (msg.length < HEADER_SIZE || isResponse(msg) || getOpcode(msg) !== OPCODE.QUERY || getQdcount(msg) !== 1) return false;
  try {
    const r = new WireReader(msg, HEADER_SIZE);
    readName(r);
    if (r.pos + 2 > msg.length) return false;
    const qtype = (msg[r.pos] << 8) | msg[r.pos + 1];
    return qtype === TYPE.AXFR || qtype === TYPE.IXFR;
  } catch {
    return false;
  }
}

/** Header and question of a query, echoed in every answer to it; null when even they cannot be read. */
export function readHead(msg: Uint8Array): { id: number; rd: boolean; qname: Name; qtype: number; qclass: number } | null {
  if (msg.length < HEADER_SIZE) return null;
  try {
    const r = new WireReader(msg, HEADER_SIZE);
    const qname = readName(r);
    if (r.pos + 4 > msg.length) return null;
    return { id: (msg[0] << 8) | msg[1], rd: (msg[FLAGS1_OFFSET] & FLAG2_RD) !== 0, qname, qtype: (msg[r.pos] << 8) | msg[r.pos + 1], qclass: (msg[r.pos + 2] << 8) | msg[r.pos + 3] };
  } catch {
    return null;
  }
}

/** RFC 6891 §6.1.3: VERSION is the second octet of the OPT RR's TTL. */
const OPT_VERSION_SHIFT = 16;
const OPT_VERSION_MASK = 0xff;

/**
 * Reads a message `isTransferQuery` accepted: every section, the OPT RR, the TSIG (last, RFC 8945
 * §5.1), and for IXFR the client's SOA. Returns what is wrong with it instead when the request is
 * malformed (FORMERR) or asks for an EDNS version we do not speak (BADVERS, RFC 6891 §6.1.3).
 */
export function readTransferRequest(msg: Uint8Array): TransferRequest | RequestError {
  const head = readHead(msg);
  if (!head || (head.qtype !== TYPE.AXFR && head.qtype !== TYPE.IXFR) || (msg[FLAGS1_OFFSET] & FLAG2_QR) !== 0) {
    return { rcode: RCODE.FORMERR, why: 'not a transfer query' };
  }
  let m;
  let tsig: TsigRecord | null;
  try {
    m = readMessage(msg);
    tsig = findTsig(msg, m);
  } catch (e) {
    if (e instanceof WireError) return { rcode: RCODE.FORMERR, why: e.message };
    throw e;
  }
  const opts = m.additional.filter((rec) => rec.type === TYPE.OPT);
  // RFC 6891 §6.1.1: one OPT at most, owned by the root.
  if (opts.length > 1 || (opts.length === 1 && opts[0].owner.length !== 0)) return { rcode: RCODE.FORMERR, why: 'more than one OPT record, or one not owned by the root' };
  if (opts.length === 1 && ((opts[0].ttl >>> OPT_VERSION_SHIFT) & OPT_VERSION_MASK) !== 0) return { rcode: RCODE.BADVERS, why: 'an EDNS version above 0' };
  let clientSerial: number | null = null;
  if (head.qtype === TYPE.IXFR) {
    // RFC 1995 §3: the authority section holds the SOA of the version the client has.
    const soa = m.authority[0];
    if (m.authority.length !== 1 || soa.type !== TYPE.SOA || nameKey(soa.owner) !== nameKey(head.qname)) {
      return { rcode: RCODE.FORMERR, why: 'an IXFR query needs the SOA the client has, and only that, in its authority section (RFC 1995 §3)' };
    }
    try {
      clientSerial = soaSerial(msg, soa);
    } catch (e) {
      if (e instanceof WireError) return { rcode: RCODE.FORMERR, why: `the IXFR query's SOA: ${e.message}` };
      throw e;
    }
  }
  return {
    id: head.id, rd: head.rd, qname: head.qname, qtype: head.qtype, qclass: head.qclass, edns: opts.length === 1,
    udpPayload: Math.max(UDP_DEFAULT_PAYLOAD, opts[0]?.klass ?? 0), clientSerial, tsig,
  };
}

