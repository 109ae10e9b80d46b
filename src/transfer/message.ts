import { HEADER_SIZE } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { getAncount, getArcount, getNscount, getQdcount } from '../wire/header.js';
import { readName, type Name } from '../wire/name.js';
import { WireReader } from '../wire/reader.js';

/** TYPE, CLASS, TTL and RDLENGTH after a record's owner (RFC 1035 §4.1.3). */
const RR_FIXED_OCTETS = 10;
/** QTYPE and QCLASS after the question name (RFC 1035 §4.1.2). */
const QUESTION_FIXED_OCTETS = 4;

/** One record of a message: its fields, and where it and its RDATA lie in the message. */
export interface RecordAt {
  owner: Name;
  type: number;
  klass: number;
  ttl: number;
  /** Offset of the record's first octet (its owner). */
  start: number;
  /** Offset of its RDATA, and the RDATA's length. */
  rdata: number;
  rdlength: number;
  /** Offset just past the record. */
  end: number;
}

/** A message read section by section, for the requests and replies of transfers and NOTIFY. */
export interface Message {
  question: { name: Name; type: number; klass: number } | null;
  /** Offset just past the question section (HEADER_SIZE when there is none). */
  questionEnd: number;
  answer: RecordAt[];
  authority: RecordAt[];
  additional: RecordAt[];
}

function need(r: WireReader, n: number): void {
  if (r.pos + n > r.end) throw new WireError('TRUNCATED', `message ends at offset ${r.end}, inside the field at offset ${r.pos}`);
}

function u16(r: WireReader): number {
  need(r, 2);
  const v = (r.buf[r.pos] << 8) | r.buf[r.pos + 1];
  r.pos += 2;
  return v;
}

function u32(r: WireReader): number {
  const hi = u16(r);
  return hi * 0x10000 + u16(r);
}

function readRecord(r: WireReader): RecordAt {
  const start = r.pos;
  const owner = readName(r);
  need(r, RR_FIXED_OCTETS);
  const type = u16(r);
  const klass = u16(r);
  const ttl = u32(r);
  const rdlength = u16(r);
  need(r, rdlength);
  const rdata = r.pos;
  r.pos += rdlength;
  return { owner, type, klass, ttl, start, rdata, rdlength, end: r.pos };
}

/**
 * Reads a whole message (RFC 1035 §4.1): at most one question, then every record. Throws a
 * WireError when it is malformed or does not end where its last record does.
 */
export function readMessage(msg: Uint8Array): Message {
  if (msg.length < HEADER_SIZE) throw new WireError('TRUNCATED', `message of ${msg.length} octets is shorter than a header`);
  const qdcount = getQdcount(msg);
  if (qdcount > 1) throw new WireError('BAD_TEXT', `${qdcount} questions; a message has one at most`);
  const r = new WireReader(msg, HEADER_SIZE);
  let question: Message['question'] = null;
  if (qdcount === 1) {
    const name = readName(r);
    need(r, QUESTION_FIXED_OCTETS);
    question = { name, type: u16(r), klass: u16(r) };
  }
  const questionEnd = r.pos;
  const section = (count: number): RecordAt[] => Array.from({ length: count }, () => readRecord(r));
  const answer = section(getAncount(msg));
  const authority = section(getNscount(msg));
  const additional = section(getArcount(msg));
  if (r.pos !== msg.length) throw new WireError('TRUNCATED', `${msg.length - r.pos} octets after the last record`);
  return { question, questionEnd, answer, authority, additional };
}

/** The serial of an SOA record read from a message: after MNAME and RNAME (RFC 1035 §3.3.13). */
export function soaSerial(msg: Uint8Array, rec: RecordAt): number {
  const r = new WireReader(msg, rec.rdata, rec.rdata + rec.rdlength);
  readName(r);
  readName(r);
  if (r.pos + 20 !== r.end) throw new WireError('TRUNCATED', 'SOA RDATA is not two names and five 32-bit fields');
  return u32(r);
}
