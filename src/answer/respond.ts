import type { IdentityAnswers } from '../guard/identity.js';
import {
  CLASS, EDNS_DO, FLAG2_AA, FLAG2_QR, FLAG2_RD, FLAG2_TC, HEADER_SIZE, MAX_LABEL_LENGTH, MAX_NAME_LENGTH,
  OPCODE, OPT_RR_SIZE, RCODE, TCP_MAX_MESSAGE, TYPE, UDP_DEFAULT_PAYLOAD,
} from '../wire/constants.js';
import {
  ANCOUNT_OFFSET, FLAGS1_OFFSET, FLAGS2_OFFSET, getAncount, getArcount, getNscount, getOpcode, getQdcount, getRcode,
  hasNoRecords, ID_OFFSET, isResponse, NSCOUNT_OFFSET, QDCOUNT_OFFSET, setArcount,
} from '../wire/header.js';
import { lowerByte, skipName } from '../wire/name.js';
import { FALLBACK_TYPE } from './answer.js';
import { hashBytes } from './hash.js';
import { INLINE_LENGTH_OCTETS, KEY_TYPE_OCTETS, NONE } from './image.js';
import type { QueryResult } from './result.js';
import type { AnswerTable } from './table.js';
import type { ServedZone } from './zone.js';

/** Extended DNS Errors (RFC 8914 §4): option code and the info codes we give with REFUSED. */
const EDE_OPTION = 15;
const EDE_NONE = 0;
const EDE_PROHIBITED = 18;
const EDE_NOT_AUTHORITATIVE = 20;
const EDE_NOT_SUPPORTED = 21;

const LOWER = Uint8Array.from({ length: 256 }, (_, b) => lowerByte(b));
/** QTYPE and QCLASS after the question name (RFC 1035 §4.1.2). */
const QTYPE_QCLASS_OCTETS = 4;
/** Opcode bits of header byte 2, echoed in error responses. */
const OPCODE_BITS = 0x78;
/**
 * Offsets in an OPT RR (RFC 6891 §6.1.2) after its one-octet root owner and TYPE: CLASS holds the
 * requestor's UDP payload size; TTL holds EXTENDED-RCODE, VERSION, then the DO bit and Z.
 */
const OPT_CLASS_AT = 3;
const OPT_TTL_AT = 5;
const OPT_VERSION_AT = OPT_TTL_AT + 1;
const OPT_FLAGS_AT = OPT_TTL_AT + 2;

/**
 * Answers queries from the compiled table, in named stages as NSD's query_process reads: read the
 * question, check opcode and EDNS, set the payload limit, find the answer, fit it to the limit,
 * write it behind the query's own question. Nothing here allocates.
 */
export class Responder {
  /** The lower-cased question name followed by two type octets: the lookup key's bytes. */
  private readonly key = Buffer.alloc(MAX_NAME_LENGTH + KEY_TYPE_OCTETS);
  /** Labels of the question name in `key` (the root not counted). */
  private labels = 0;

  constructor(
    private readonly table: AnswerTable,
    private readonly maxPayload: number,
    /** The forwarder is on (FORWARD_TO): a query outside our zones is flagged for it (src/forward/). */
    private readonly forwarding = false,
    /** CHAOS TXT id.server, version.bind... (src/guard/identity.ts); null: CH is refused as any class but IN. */
    private readonly identity: IdentityAnswers | null = null,
    /** Octets kept free in UDP answers with EDNS for the options the listener adds (cookie, NSID). */
    private readonly optionRoom = 0,
  ) {}

  /**
   * Writes the response to `q` into `out` and returns its length, or 0 when the query must be
   * dropped (shorter than a header, or a response itself). `tcp` lifts the UDP size limit.
   * What happened is left in `result`. With `forwarding`, a query outside our zones returns the
   * length of its REFUSED negated: the listener may forward it instead of sending that.
   */
  respond(q: Buffer, qlen: number, out: Buffer, tcp: boolean, result: QueryResult): number {
    result.truncated = false;
    result.qEnd = 0;
    result.qtype = 0;
    if (qlen < HEADER_SIZE || isResponse(q)) return 0;
    const n = this.readQuestion(q, qlen, result);
    const qEnd = result.qEnd;
    // As NSD: NOTIMP echoes the header only; we do not parse what an unknown opcode carries. RD
    // (like AA, AD, CD, RA) is defined for QUERY only and is not echoed (as BIND; ISC's genreport
    // "opcodeflg").
    if (getOpcode(q) !== OPCODE.QUERY) {
      const len = this.error(q, out, 0, RCODE.NOTIMP, false, 0, result);
      out[FLAGS1_OFFSET] &= ~FLAG2_RD;
      return len;
    }
    if (qEnd === 0) {
      const len = this.error(q, out, 0, RCODE.FORMERR, false, 0, result);
      // As NSD: several questions get FORMERR with RD clear too.
      if (getQdcount(q) > 1) out[FLAGS1_OFFSET] &= ~FLAG2_RD;
      return len;
    }
    const qtype = (q[qEnd - 4] << 8) | q[qEnd - 3];
    const qclass = (q[qEnd - 2] << 8) | q[qEnd - 1];
    result.qtype = qtype;

    // EDNS (RFC 6891): find the OPT among the other records; -1 means malformed.
    const opt = hasNoRecords(q) ? 0 : findOpt(q, qlen, qEnd);
    if (opt < 0) return this.error(q, out, 0, RCODE.FORMERR, false, 0, result);
    const edns = opt > 0;
    const dnssecOk = edns && ((q[opt + OPT_FLAGS_AT] << 8) & EDNS_DO) !== 0 ? EDNS_DO : 0;
    if (edns && q[opt + OPT_VERSION_AT] !== 0) return this.error(q, out, qEnd, RCODE.BADVERS, true, dnssecOk, result);
    const anyClass = qclass === CLASS.ANY;
    if (qclass !== CLASS.IN && !anyClass) {
      const len = qclass === CLASS.CH && this.identity !== null ? this.identity.answer(this.key, n, qtype, q, qEnd, out) : 0;
      if (len === 0) return this.error(q, out, qEnd, RCODE.REFUSED, edns, dnssecOk, result, EDE_NOT_SUPPORTED);
      result.rcode = RCODE.NOERROR;
      return edns ? appendOpt(out, len, this.maxPayload, 0, dnssecOk, EDE_NONE) : len;
    }
    // Zone transfers are not offered (with transfers on, src/server/transfer.ts takes them first).
    // RFC 5936 §4.2 has AXFR over TCP only: NOTIMP over UDP, as NSD. IXFR over UDP is legal (RFC
    // 1995 §2): REFUSED, Prohibited, as NSD refuses a transfer it does not allow.
    if (qtype === TYPE.AXFR || qtype === TYPE.IXFR) {
      if (tcp) return this.error(q, out, qEnd, RCODE.REFUSED, edns, dnssecOk, result, EDE_NOT_SUPPORTED);
      if (qtype === TYPE.IXFR) return this.error(q, out, qEnd, RCODE.REFUSED, edns, dnssecOk, result, EDE_PROHIBITED);
      return this.error(q, out, qEnd, RCODE.NOTIMP, edns, dnssecOk, result, EDE_NONE);
    }

    const limit = tcp ? TCP_MAX_MESSAGE : this.payloadLimit(q, opt);
    let len = this.answer(n, qtype, q, qEnd, out, limit - (edns ? OPT_RR_SIZE + this.optionRoom : 0), result);
    if (len === 0) {
      len = this.error(q, out, qEnd, RCODE.REFUSED, edns, dnssecOk, result, EDE_NOT_AUTHORITATIVE);
      return this.forwarding ? -len : len;
    }
    // Set when nothing fit, or compiled in: a smaller form with TC=1 keeps the RRsets that fit
    // whole (RFC 2181 §9, as NSD).
    result.truncated = (out[FLAGS1_OFFSET] & FLAG2_TC) !== 0;
    out[ID_OFFSET] = q[ID_OFFSET];
    out[ID_OFFSET + 1] = q[ID_OFFSET + 1];
    // RFC 1035 §4.1.1: RD is copied; RA, Z, AD and CD stay clear (we are not a resolver), as in NSD.
    out[FLAGS1_OFFSET] |= q[FLAGS1_OFFSET] & FLAG2_RD;
    // QCLASS * (RFC 1035 §3.2.5): as NSD, the IN data without authority: no AA, no SOA for a
    // negative answer, only the answer section for a positive one; a referral stays one.
    if (anyClass && !result.truncated) {
      const referral = (out[FLAGS1_OFFSET] & FLAG2_AA) === 0;
      out[FLAGS1_OFFSET] &= ~FLAG2_AA;
      if (!referral) len = answerOnly(out, qEnd);
    }
    result.rcode = getRcode(out);
    return edns ? appendOpt(out, len, this.maxPayload, 0, dnssecOk, EDE_NONE) : len;
  }

  /**
   * Reads the question name into the lower-cased key (RFC 4343), checking RFC 1035 §2.3.4 limits,
   * and sets `result.qEnd` past QTYPE and QCLASS (0 when there is no whole question). A pointer
   * or extended label type here is malformed: nothing precedes the question to point at.
   * Returns the key's length.
   */
  private readQuestion(q: Buffer, qlen: number, result: QueryResult): number {
    const key = this.key;
    let p = HEADER_SIZE;
    let n = 0;
    this.labels = 0;
    if (getQdcount(q) !== 1) return 0;
    for (;;) {
      if (p >= qlen) return n;
      const len = q[p++];
      if (len === 0) {
        key[n++] = 0;
        if (p + QTYPE_QCLASS_OCTETS <= qlen) result.qEnd = p + QTYPE_QCLASS_OCTETS;
        return n;
      }
      if (len > MAX_LABEL_LENGTH || n + len + KEY_TYPE_OCTETS > MAX_NAME_LENGTH || p + len > qlen) return n;
      key[n++] = len;
      for (const end = p + len; p < end; p++) key[n++] = LOWER[q[p]];
      this.labels++;
    }
  }

  /** RFC 6891 §6.2.5: the client's UDP size (512 without EDNS), at most what we offer. */
  private payloadLimit(q: Buffer, opt: number): number {
    const asked = opt > 0 ? (q[opt + OPT_CLASS_AT] << 8) | q[opt + OPT_CLASS_AT + 1] : UDP_DEFAULT_PAYLOAD;
    return asked < UDP_DEFAULT_PAYLOAD ? UDP_DEFAULT_PAYLOAD : asked > this.maxPayload ? this.maxPayload : asked;
  }

  /**
   * Finds the answer for the key's name and `qtype`, fits it into `room` octets and writes it to
   * `out` behind the query's question. Returns its length; 0 when no served zone holds the name.
   * The usual answer is copied straight from its entry, beside its key; the rest through its record.
   */
  private answer(n: number, qtype: number, q: Buffer, qEnd: number, out: Buffer, room: number, result: QueryResult): number {
    const key = this.key;
    const end = n + KEY_TYPE_OCTETS;
    key[n] = qtype >> 8;
    key[n + 1] = qtype & 0xff;
    const zone = this.zoneOf(n, qtype);
    if (zone === null) return 0;
    let entry = zone.find(key, 0, end, hashBytes(key, 0, end));
    if (entry < 0) {
      key[n] = FALLBACK_TYPE >> 8;
      key[n + 1] = FALLBACK_TYPE & 0xff;
      entry = zone.find(key, 0, end, hashBytes(key, 0, end));
    }
    let a: number;
    if (entry >= 0) {
      const len = placeInline(zone, entry, q, qEnd, out, room);
      if (len !== 0) return len;
      a = zone.answerOf(entry);
    } else {
      a = this.below(zone, n, qtype, q, result);
      if (a === NONE) return 0;
    }
    const f = fit(zone, a, qEnd, room);
    return f === NONE ? truncated(zone, a, q, qEnd, out) : place(zone, f, q, qEnd, out);
  }

  /**
   * The deepest served zone at or above the key's name (its suffixes asked longest first), with
   * the type octets already in the key. DS at a served zone's apex is the parent's when the parent
   * has it (RFC 4035 §3.1.4.1: the DS RRset lives on the parent side of a delegation), as NSD does.
   */
  private zoneOf(n: number, qtype: number): ServedZone | null {
    const key = this.key;
    const table = this.table;
    // Suffixes with more labels than any served apex are skipped. The last label is the root (one
    // zero octet): no zone is served there.
    let start = 0;
    for (let skip = this.labels - table.deepestApex; skip > 0; skip--) start += key[start] + 1;
    for (let off = start; off < n - 1; off += key[off] + 1) {
      const zone = table.zoneAt(key, off, n);
      if (zone === null) continue;
      if (off === 0 && qtype === TYPE.DS) {
        const end = n + KEY_TYPE_OCTETS;
        for (let p = key[0] + 1; p < n - 1; p += key[p] + 1) {
          const parent = table.zoneAt(key, p, n);
          if (parent === null) continue;
          if (parent.find(key, 0, end, hashBytes(key, 0, end)) >= 0) return parent;
          break;
        }
      }
      return zone;
    }
    return null;
  }

  /**
   * For a name with no entry: the closest encloser's answer for names below it that do not exist
   * (on the encloser's fallback entry, at the zone's apex at the latest); NONE if there is none.
   */
  private below(zone: ServedZone, n: number, qtype: number, q: Buffer, result: QueryResult): number {
    const key = this.key;
    const end = n + KEY_TYPE_OCTETS;
    key[n] = FALLBACK_TYPE >> 8;
    key[n + 1] = FALLBACK_TYPE & 0xff;
    for (let off = key[0] + 1; off < n; off += key[off] + 1) {
      const encloser = zone.find(key, off, end, hashBytes(key, off, end));
      if (encloser >= 0) {
        result.belowQuery = q;
        result.apexOctets = zone.apexWire.length;
        result.encloserAt = off;
        return zone.belowAnswer(encloser, qtype);
      }
    }
    return NONE;
  }

  /**
   * A response with no records: header and question echoed, RCODE set, OPT if the query had one
   * (with an Extended DNS Error saying why, as NSD does).
   */
  private error(
    q: Buffer, out: Buffer, qEnd: number, rcode: number, edns: boolean, dnssecOk: number, result: QueryResult, ede = EDE_NONE,
  ): number {
    const end = qEnd === 0 ? HEADER_SIZE : qEnd;
    copyBytes(q, 0, end, out, 0);
    out[FLAGS1_OFFSET] = FLAG2_QR | (q[FLAGS1_OFFSET] & (OPCODE_BITS | FLAG2_RD));
    out[FLAGS2_OFFSET] = rcode & 0xf;
    out.fill(0, QDCOUNT_OFFSET, HEADER_SIZE);
    out[QDCOUNT_OFFSET + 1] = qEnd === 0 ? 0 : 1;
    result.rcode = rcode;
    // RFC 6891 §6.1.3: RCODE bits above the header's four go in the OPT's EXTENDED-RCODE (BADVERS).
    return edns ? appendOpt(out, end, this.maxPayload, rcode >> 4, dnssecOk, ede) : end;
  }
}

/** The largest form of answer `a` (itself, or a smaller form) that fits `room` octets; NONE if none. */
function fit(zone: ServedZone, a: number, qEnd: number, room: number): number {
  for (let f = a; f !== NONE; f = zone.trimmed(f)) {
    if (zone.packetLength(f) - HEADER_SIZE + qEnd <= room) return f;
  }
  return NONE;
}

/** RFC 2181 §9: what does not fit is not sent; TC=1 asks the client to retry over TCP. */
function truncated(zone: ServedZone, a: number, q: Buffer, qEnd: number, out: Buffer): number {
  copyBytes(zone.packet(a), 0, HEADER_SIZE, out, 0);
  out.fill(0, ANCOUNT_OFFSET, HEADER_SIZE);
  copyBytes(q, HEADER_SIZE, qEnd, out, HEADER_SIZE);
  out[FLAGS1_OFFSET] |= FLAG2_TC;
  return qEnd;
}

/**
 * Copies bytes [start, end) of `from` to `to` at `at`. Buffer#copy of a part makes a Uint8Array
 * view per call (Node.js 20's _copyActual); for the few dozen bytes of a question or an answer
 * body, this loop allocates nothing and measured 10–30% less time per response.
 */
function copyBytes(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  for (let i = start; i < end; i++) to[at++] = from[i];
}

/**
 * Copies answer `a` (header and body: src/answer/image.ts) around the query's own question (echoed
 * byte for byte: 0x20). With no pointer to move, its body is set in one call: the header goes in
 * just before the question's end, and is overwritten by the header and question copied after.
 */
function place(zone: ServedZone, a: number, q: Buffer, qEnd: number, out: Buffer): number {
  const packet = zone.packet(a);
  const relocs = zone.relocs(a);
  const len = packet.length - HEADER_SIZE + qEnd;
  if (relocs === NONE) {
    out.set(packet, qEnd - HEADER_SIZE);
    copyBytes(packet, 0, HEADER_SIZE, out, 0);
    copyBytes(q, HEADER_SIZE, qEnd, out, HEADER_SIZE);
    return len;
  }
  copyBytes(packet, 0, HEADER_SIZE, out, 0);
  copyBytes(q, HEADER_SIZE, qEnd, out, HEADER_SIZE);
  copyBytes(packet, HEADER_SIZE, packet.length, out, qEnd);
  const delta = qEnd - zone.relocQEnd(relocs);
  for (let i = 0, n = zone.relocCount(relocs); i < n; i++) {
    const at = zone.reloc(relocs, i) + delta;
    const ptr = ((out[at] << 8) | out[at + 1]) + delta;
    out[at] = ptr >> 8;
    out[at + 1] = ptr & 0xff;
  }
  return len;
}

/**
 * Copies the inline packet (header and body) of `entry` (src/answer/image.ts) around the query's
 * own question when it fits in `room` octets; returns its length, or 0 when there is none or it
 * does not fit (never, while image.ts's INLINE_MAX stays below 512 octets less an OPT RR). An
 * inline packet answers only its own name (or names as long: image.ts responseKey), so its body's
 * pointers into the question hold for the query's.
 */
function placeInline(zone: ServedZone, entry: number, q: Buffer, qEnd: number, out: Buffer, room: number): number {
  const bytes = zone.bytes;
  const at = zone.inlineAt(entry);
  const stored = (bytes[at] << 8) | bytes[at + 1];
  const len = stored - HEADER_SIZE + qEnd;
  if (stored === 0 || len > room) return 0;
  const p = at + INLINE_LENGTH_OCTETS;
  copyBytes(bytes, p, p + HEADER_SIZE, out, 0);
  copyBytes(q, HEADER_SIZE, qEnd, out, HEADER_SIZE);
  copyBytes(bytes, p + HEADER_SIZE, p + stored, out, qEnd);
  return len;
}

/** Appends our OPT RR, with an EDE option unless `ede` is EDE_NONE, and counts it in ARCOUNT. */
function appendOpt(out: Buffer, at: number, payload: number, extendedRcode: number, dnssecOk: number, ede: number): number {
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = TYPE.OPT;
  out[at + OPT_CLASS_AT] = payload >> 8;
  out[at + OPT_CLASS_AT + 1] = payload & 0xff;
  out[at + OPT_TTL_AT] = extendedRcode;
  out[at + OPT_VERSION_AT] = 0;
  out[at + OPT_FLAGS_AT] = dnssecOk >> 8;
  out[at + 8] = 0;
  out[at + 9] = 0;
  out[at + 10] = 0;
  setArcount(out, getArcount(out) + 1);
  if (ede === EDE_NONE) return at + OPT_RR_SIZE;
  // RDLENGTH 6: OPTION-CODE, OPTION-LENGTH 2, INFO-CODE (RFC 8914 §2).
  out[at + 10] = 6;
  out.writeUInt32BE((EDE_OPTION << 16) | 2, at + OPT_RR_SIZE);
  out.writeUInt16BE(ede, at + OPT_RR_SIZE + 4);
  return at + OPT_RR_SIZE + 6;
}

/** Cuts a response we built after its answer section, zeroing NSCOUNT and ARCOUNT. */
function answerOnly(out: Buffer, qEnd: number): number {
  let p = qEnd;
  for (let i = getAncount(out); i > 0; i--) {
    p = skipName(out, p, out.length) + 8;
    p += 2 + ((out[p] << 8) | out[p + 1]);
  }
  out.fill(0, NSCOUNT_OFFSET, HEADER_SIZE);
  return p;
}

/**
 * Walks the records after the question looking for the OPT RR. Returns its offset, 0 when there
 * is none, -1 when the records are malformed or OPT appears twice (RFC 6891 §6.1.1).
 */
function findOpt(q: Buffer, qlen: number, qEnd: number): number {
  const count = getAncount(q) + getNscount(q) + getArcount(q);
  const additionalFrom = count - getArcount(q);
  let p = qEnd;
  let opt = 0;
  for (let i = 0; i < count; i++) {
    const start = p;
    p = skipName(q, p, qlen);
    if (p < 0 || p + 10 > qlen) return -1;
    const type = (q[p] << 8) | q[p + 1];
    const rdlen = (q[p + 8] << 8) | q[p + 9];
    if (p + 10 + rdlen > qlen) return -1;
    if (type === TYPE.OPT) {
      if (opt !== 0 || i < additionalFrom || p !== start + 1) return -1;
      opt = start;
    }
    p += 10 + rdlen;
  }
  return opt;
}
