import { HEADER_SIZE, TYPE } from './constants.js';
import { ednsFromTtl, parseOptions, writeOpt, type Edns } from './edns.js';
import { WireError } from './errors.js';
import { readName, writeName, type Name } from './name.js';
import { WireReader } from './reader.js';
import { readRData, writeRData, type RData } from './rdata.js';
import { WireWriter } from './writer.js';

export interface Question {
  name: Name;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: Name;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

/** A whole message (RFC 1035 §4.1); the OPT pseudo-RR is lifted out into `edns`. */
export interface Message {
  id: number;
  /** Header bits 16–31: QR, Opcode, AA, TC, RD, RA, Z, AD, CD, RCODE (low 4 bits). */
  flags: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  edns?: Edns;
}

function readRecord(r: WireReader): ResourceRecord | { opt: Edns } {
  const name = readName(r);
  const type = r.u16('a TYPE');
  const klass = r.u16('a CLASS');
  const ttl = r.u32('a TTL');
  const rdlength = r.u16('RDLENGTH');
  if (type === TYPE.OPT) {
    if (name.length !== 0) throw new WireError('BAD_RDATA', 'OPT owner must be the root (RFC 6891 §6.1.2)');
    const options = parseOptions(r.bytes(rdlength, 'OPT RDATA'));
    if (!options) throw new WireError('BAD_RDATA', 'OPT options overrun their RDATA');
    return { opt: ednsFromTtl(klass, ttl, options) };
  }
  return { name, type, class: klass, ttl, data: readRData(r, type, rdlength) };
}

/** Decodes a message; every malformation is a WireError. */
export function decodeMessage(buf: Uint8Array): Message {
  const r = new WireReader(buf);
  r.need(HEADER_SIZE, 'the header');
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()];
  const msg: Message = { id, flags, questions: [], answers: [], authority: [], additional: [] };
  for (let i = 0; i < counts[0]; i++) {
    msg.questions.push({ name: readName(r), type: r.u16('QTYPE'), class: r.u16('QCLASS') });
  }
  const sections = [msg.answers, msg.authority, msg.additional];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const rec = readRecord(r);
      if ('opt' in rec) {
        // RFC 6891 §6.1.1: one OPT at most, and only in the additional section.
        if (s !== 2 || msg.edns) throw new WireError('BAD_RDATA', 'OPT outside the additional section or repeated');
        msg.edns = rec.opt;
      } else {
        sections[s].push(rec);
      }
    }
  }
  return msg;
}

/** Encodes a message with name compression (RFC 1035 §4.1.4). */
export function encodeMessage(msg: Message): Buffer {
  const w = new WireWriter();
  w.u16(msg.id);
  w.u16(msg.flags);
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authority.length);
  w.u16(msg.additional.length + (msg.edns ? 1 : 0));
  for (const q of msg.questions) {
    writeName(w, q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...msg.answers, ...msg.authority, ...msg.additional]) writeRecord(w, rr);
  if (msg.edns) writeOpt(w, msg.edns);
  return w.result();
}

/** Writes one resource record (RFC 1035 §4.1.3). */
export function writeRecord(w: WireWriter, rr: ResourceRecord, owner?: () => void): void {
  if (owner) owner();
  else writeName(w, rr.name, true);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  writeRData(w, rr.data, true);
}
