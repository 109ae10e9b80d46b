/**
 * The forwarder's messages on raw bytes, pure: the query sent upstream, the check that a reply
 * answers it (RFC 5452 §9.1), what a reply may be cached for (RFC 2308), and the answer a client
 * gets (its ID and question, RA set, TTLs counted down).
 */
import { EDNS_DEFAULT_PAYLOAD, EDNS_DO, FLAG2_AA, FLAG2_QR, FLAG2_RD, FLAG2_TC, HEADER_SIZE, OPCODE, OPT_RR_SIZE, RCODE, TYPE } from '../wire/constants.js';
import {
  FLAGS1_OFFSET, FLAGS2_OFFSET, getAncount, getArcount, getNscount, getOpcode, getQdcount, getRcode, ID_OFFSET, isResponse, setArcount,
} from '../wire/header.js';
import { lowerByte, skipName } from '../wire/name.js';

/** Header byte 3 (RFC 1035 §4.1.1, RFC 4035 §3.2): RA, and the AD and CD bits a query may carry. */
export const FLAG3_RA = 0x80;
const FLAG3_AD = 0x20;
const FLAG3_CD = 0x10;
/** RR header after the owner: TYPE, CLASS, TTL, RDLENGTH (RFC 1035 §4.1.3). */
const RR_FIXED = 10;
const TTL_AT = 4;
const RDLENGTH_AT = 8;
/** In an OPT RR after its root owner (RFC 6891 §6.1.2): CLASS is the UDP payload, the TTL's third octet holds DO. */
const OPT_PAYLOAD_AT = 3;
const OPT_FLAGS_AT = 7;
/** The SOA's MINIMUM is the last field of its RDATA (RFC 1035 §3.3.13). */
const SOA_MINIMUM_FROM_END = 4;
/**
 * The longest any answer is cached: one day (Unbound's cache-max-ttl); RFC 2181 §8 allows TTLs
 * up to 2^31 - 1 s, which would keep a record for decades.
 */
export const MAX_CACHE_TTL = 86400;
/** RFC 2308 §5: negative answers are cached at most "one to three hours". */
export const MAX_NEGATIVE_TTL = 10800;
/** Extended DNS Error "No Reachable Authority" (RFC 8914 §4.23), with SERVFAIL when no upstream answered. */
const EDE_OPTION = 15;
export const EDE_NO_REACHABLE_AUTHORITY = 22;
export const EDE_NONE = -1;

/** What the forwarder needs of a client's query, copied out of the listener's buffer. */
export interface ClientQuery {
  /** The header and question, as the client sent them (ID, flags, the question's letter case). */
  head: Buffer;
  /** The query carried an OPT RR (RFC 6891), and with it the DO bit set. */
  edns: boolean;
  dnssecOk: boolean;
  /** The client's UDP size: 512 without EDNS, else its OPT's, at least 512 (RFC 6891 §6.2.5). */
  udpSize: number;
  /** The question lower-cased (RFC 4343) with the bits that change the answer: the cache key. */
  key: string;
}

/** Offset of the OPT RR among the records after the question, 0 when there is none (the responder checked them already). */
function findOpt(q: Uint8Array, qlen: number, qEnd: number): number {
  const count = getAncount(q) + getNscount(q) + getArcount(q);
  let p = qEnd;
  for (let i = 0; i < count; i++) {
    const start = p;
    p = skipName(q, p, qlen);
    if (p < 0 || p + RR_FIXED > qlen) return 0;
    if (((q[p] << 8) | q[p + 1]) === TYPE.OPT) return start;
    p += RR_FIXED + ((q[p + RDLENGTH_AT] << 8) | q[p + RDLENGTH_AT + 1]);
  }
  return 0;
}

/** Reads a query the responder found outside our zones (`qEnd`: the end of its question). */
export function clientQuery(q: Buffer, qlen: number, qEnd: number): ClientQuery {
  const opt = findOpt(q, qlen, qEnd);
  const edns = opt > 0;
  const dnssecOk = edns && ((q[opt + OPT_FLAGS_AT] << 8) & EDNS_DO) !== 0;
  const asked = edns ? (q[opt + OPT_PAYLOAD_AT] << 8) | q[opt + OPT_PAYLOAD_AT + 1] : 512;
  const head = Buffer.from(q.subarray(0, qEnd));
  let key = '';
  for (let i = HEADER_SIZE; i < qEnd; i++) key += String.fromCharCode(lowerByte(head[i]));
  // The answer differs with EDNS (an OPT or not), DO (RRSIGs) and CD (RFC 4035 §3.2.2): one entry each.
  key += String.fromCharCode((edns ? 1 : 0) | (dnssecOk ? 2 : 0) | (head[FLAGS2_OFFSET] & FLAG3_CD ? 4 : 0));
  return { head, edns, dnssecOk, udpSize: Math.max(512, asked), key };
}

/**
 * The query sent upstream: the client's question under a fresh `id`, RD set, AD and CD as the
 * client set them (RFC 6840 §5.7, RFC 4035 §3.2.2); with an OPT of our own when the client sent
 * one, offering EDNS_DEFAULT_PAYLOAD (RFC 9715) and passing its DO bit on. Client options (cookies,
 * padding) are hop by hop and stay here.
 */
export function upstreamQuery(c: ClientQuery, id: number): Buffer {
  const qEnd = c.head.length;
  const out = Buffer.alloc(qEnd + (c.edns ? OPT_RR_SIZE : 0));
  c.head.copy(out, 0, 0, qEnd);
  out.writeUInt16BE(id, ID_OFFSET);
  out[FLAGS1_OFFSET] = FLAG2_RD;
  out[FLAGS2_OFFSET] = c.head[FLAGS2_OFFSET] & (FLAG3_AD | FLAG3_CD);
  out.fill(0, 6, HEADER_SIZE);
  if (c.edns) writeOpt(out, qEnd, EDNS_DEFAULT_PAYLOAD, c.dnssecOk);
  return out;
}

/** An OPT RR without options at `at` (RFC 6891 §6.1.2), counted in ARCOUNT. */
function writeOpt(out: Buffer, at: number, payload: number, dnssecOk: boolean): void {
  out.fill(0, at, at + OPT_RR_SIZE);
  out[at + 2] = TYPE.OPT;
  out.writeUInt16BE(payload, at + OPT_PAYLOAD_AT);
  out[at + OPT_FLAGS_AT] = dnssecOk ? EDNS_DO >> 8 : 0;
  setArcount(out, getArcount(out) + 1);
}

/**
 * Whether `reply` answers `query` (RFC 5452 §9.1): a response to a QUERY with the same ID and the
 * same question (the name compared without letter case, RFC 4343; type and class exactly).
 */
export function answers(reply: Uint8Array, query: Uint8Array): boolean {
  const qEnd = questionEnd(query);
  if (reply.length < qEnd || !isResponse(reply) || getOpcode(reply) !== OPCODE.QUERY || getQdcount(reply) !== 1) return false;
  if (reply[0] !== query[0] || reply[1] !== query[1]) return false;
  for (let i = HEADER_SIZE; i < qEnd; i++) if (lowerByte(reply[i]) !== lowerByte(query[i])) return false;
  return true;
}

/** End of the (uncompressed) question of a message we built. */
function questionEnd(m: Uint8Array): number {
  return skipName(m, HEADER_SIZE, m.length) + 4;
}

/** What a reply may be cached as: its TTL in seconds (0: not cached) and where its TTLs are. */
export interface Cacheable {
  ttl: number;
  /** Offsets of every TTL field but the OPT's (which holds flags, not a time). */
  ttlAt: number[];
  /** Offset of the OPT RR, 0 when there is none. */
  optAt: number;
}

/**
 * Walks a reply's records: positive answers are cached for their lowest TTL (RFC 2181 §5.2, §8);
 * negative ones, NXDOMAIN and NODATA, for min(SOA TTL, SOA MINIMUM) of the SOA in the authority
 * section, and not at all without one (RFC 2308 §5). Truncated and failed answers are not cached.
 * Returns null when the records do not parse.
 */
export function cacheable(reply: Uint8Array): Cacheable | null {
  const qEnd = questionEnd(reply);
  if (qEnd <= HEADER_SIZE || qEnd > reply.length) return null;
  const an = getAncount(reply);
  const ns = getNscount(reply);
  const count = an + ns + getArcount(reply);
  const ttlAt: number[] = [];
  let optAt = 0;
  let minTtl = MAX_CACHE_TTL;
  let negativeTtl = -1;
  let p = qEnd;
  for (let i = 0; i < count; i++) {
    const start = p;
    p = skipName(reply, p, reply.length);
    if (p < 0 || p + RR_FIXED > reply.length) return null;
    const type = (reply[p] << 8) | reply[p + 1];
    const rdlen = (reply[p + RDLENGTH_AT] << 8) | reply[p + RDLENGTH_AT + 1];
    const end = p + RR_FIXED + rdlen;
    if (end > reply.length) return null;
    if (type === TYPE.OPT) {
      optAt = start;
    } else {
      const ttl = readTtl(reply, p + TTL_AT);
      ttlAt.push(p + TTL_AT);
      minTtl = Math.min(minTtl, ttl);
      if (type === TYPE.SOA && i >= an && i < an + ns && rdlen >= SOA_MINIMUM_FROM_END) {
        negativeTtl = Math.min(ttl, readTtl(reply, end - SOA_MINIMUM_FROM_END));
      }
    }
    p = end;
  }
  const rcode = getRcode(reply);
  let ttl = 0;
  if ((reply[FLAGS1_OFFSET] & FLAG2_TC) !== 0) ttl = 0;
  else if (rcode === RCODE.NOERROR && an > 0) ttl = minTtl;
  else if ((rcode === RCODE.NXDOMAIN || rcode === RCODE.NOERROR) && negativeTtl >= 0) ttl = Math.min(negativeTtl, MAX_NEGATIVE_TTL);
  return { ttl, ttlAt, optAt };
}

/** A TTL field: RFC 2181 §8 reads a value with the top bit set as 0. */
function readTtl(b: Uint8Array, at: number): number {
  const v = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  return v > 0x7fffffff ? 0 : v;
}

/**
 * The answer a client gets from an upstream's reply (or a cached one, `age` seconds old): the
 * client's ID and question (its letter case, which the answer's names compressed into it take on),
 * RD as the client set it, RA set (this client may recurse), AA clear (RFC 1035 §4.1.1: we are no
 * authority for it), every TTL less `age`, the OPT offering our own `payload`. When it does not
 * fit `limit` octets (a UDP client's size), the header and question alone with TC=1 (RFC 2181 §9).
 */
export function clientAnswer(reply: Uint8Array, c: Cacheable, client: ClientQuery, age: number, payload: number, limit: number): Buffer {
  const head = client.head;
  if (reply.length > limit) return truncatedAnswer(client, reply, payload);
  const out = Buffer.from(reply);
  head.copy(out, ID_OFFSET, ID_OFFSET, ID_OFFSET + 2);
  head.copy(out, HEADER_SIZE, HEADER_SIZE, head.length);
  out[FLAGS1_OFFSET] = (reply[FLAGS1_OFFSET] & ~(FLAG2_AA | FLAG2_RD)) | (head[FLAGS1_OFFSET] & FLAG2_RD);
  out[FLAGS2_OFFSET] = reply[FLAGS2_OFFSET] | FLAG3_RA;
  if (age > 0) {
    for (const at of c.ttlAt) out.writeUInt32BE(Math.max(0, readTtl(out, at) - age), at);
  }
  if (c.optAt > 0) out.writeUInt16BE(payload, c.optAt + OPT_PAYLOAD_AT);
  return out;
}

/** Header and question with TC=1: the client asks again over TCP (RFC 7766 §5). */
function truncatedAnswer(client: ClientQuery, reply: Uint8Array, payload: number): Buffer {
  const out = errorAnswer(client, getRcode(reply), payload, EDE_NONE);
  out[FLAGS1_OFFSET] |= FLAG2_TC;
  return out;
}

/**
 * An answer with no records to a client the forwarder serves: SERVFAIL when no upstream answered
 * (with an Extended DNS Error saying why, RFC 8914), REFUSED at the concurrency cap; RA set.
 */
export function errorAnswer(client: ClientQuery, rcode: number, payload: number, ede: number): Buffer {
  const head = client.head;
  const qEnd = head.length;
  const edeLength = ede === EDE_NONE ? 0 : 6;
  const out = Buffer.alloc(qEnd + (client.edns ? OPT_RR_SIZE + edeLength : 0));
  head.copy(out, 0, 0, qEnd);
  out[FLAGS1_OFFSET] = FLAG2_QR | (head[FLAGS1_OFFSET] & FLAG2_RD);
  out[FLAGS2_OFFSET] = FLAG3_RA | rcode;
  out.fill(0, 6, HEADER_SIZE);
  if (client.edns) {
    writeOpt(out, qEnd, payload, client.dnssecOk);
    if (edeLength > 0) {
      // RDLENGTH 6: OPTION-CODE, OPTION-LENGTH 2, INFO-CODE (RFC 8914 §2).
      out.writeUInt16BE(edeLength, qEnd + 9);
      out.writeUInt16BE(EDE_OPTION, qEnd + OPT_RR_SIZE);
      out.writeUInt16BE(2, qEnd + OPT_RR_SIZE + 2);
      out.writeUInt16BE(ede, qEnd + OPT_RR_SIZE + 4);
    }
  }
  return out;
}
