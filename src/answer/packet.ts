import { CLASS, FLAG2_AA, FLAG2_QR, HEADER_SIZE, MAX_NAME_LENGTH, UDP_DEFAULT_PAYLOAD } from '../wire/constants.js';
import { nameKey, writeName, type Name } from '../wire/name.js';
import { writeRData } from '../wire/rdata.js';
import { WireWriter } from '../wire/writer.js';
import type { Resolution } from '../zone/resolve.js';
import type { RRset } from '../zone/tree.js';
import { Answer, type Below } from './answer.js';

/** RFC 1035 §4.1.4: a pointer to offset 12, where the question name starts. */
const QNAME_POINTER = 0xc000 | HEADER_SIZE;

/**
 * Encodes a resolution as a ready response. With `variable`, the packet must serve any question
 * name: names are compressed only against the body, and the pointers to relocate are listed.
 */
function encode(qname: Name, qtype: number, res: Resolution, variable: boolean): { packet: Buffer; qEnd: number; relocs: Uint16Array | null } {
  const w = new WireWriter(512);
  const additional = res.additional;
  const count = (sets: RRset[]): number => sets.reduce((n, s) => n + s.data.length, 0);
  w.u16(0);
  w.u8(FLAG2_QR | (res.aa ? FLAG2_AA : 0));
  w.u8(res.rcode);
  w.u16(1);
  w.u16(count(res.answer));
  w.u16(count(res.authority));
  w.u16(count(additional));
  // The question: in a fixed packet its suffixes are compression targets, as in Knot's QNAME hint.
  writeName(w, qname, !variable);
  w.u16(qtype);
  w.u16(CLASS.IN);
  const qEnd = w.pos;
  const qkey = nameKey(qname);
  for (const set of [...res.answer, ...res.authority, ...additional]) {
    const ownerIsQname = nameKey(set.owner) === qkey;
    for (const data of set.data) {
      if (ownerIsQname) w.u16(QNAME_POINTER);
      else writeName(w, set.owner, true);
      w.u16(set.type);
      w.u16(CLASS.IN);
      w.u32(set.ttl);
      writeRData(w, data, true);
    }
  }
  const relocs = variable ? Uint16Array.from(w.pointerSites.filter((p) => p >= qEnd)) : null;
  return { packet: w.result(), qEnd, relocs };
}

/** OPT RR we may append (RFC 6891 §6.1.2) and the longest question a query can bring. */
const OPT_SIZE = 11;
const LONGEST_QUESTION = MAX_NAME_LENGTH + 4;

/**
 * True when the packet fits the smallest UDP limit (512, RFC 1035 §4.2.1) with an OPT, whatever
 * the question: then no smaller form is ever needed, and none is kept (memory for large zones).
 */
function alwaysFits(e: { packet: Buffer; qEnd: number }, variable: boolean): boolean {
  const size = variable ? e.packet.length - e.qEnd + HEADER_SIZE + LONGEST_QUESTION : e.packet.length;
  return size + OPT_SIZE <= UDP_DEFAULT_PAYLOAD;
}

/**
 * Compiles one answer with its smaller forms, tried in turn when it does not fit (RFC 2181 §9):
 * without the additional section, then also without an optional authority section.
 */
export function compileAnswer(qname: Name, qtype: number, res: Resolution, variable: boolean, below: Below | null = null): Answer {
  const full = encode(qname, qtype, res, variable);
  const smaller: Resolution[] = [];
  if (!alwaysFits(full, variable)) {
    if (res.additional.length > 0) smaller.push({ ...res, additional: [] });
    if (res.optionalAuthority) smaller.push({ ...res, additional: [], authority: [] });
  }
  let next: Answer | null = null;
  for (const form of smaller.reverse()) {
    const e = encode(qname, qtype, form, variable);
    next = new Answer(e.packet, e.qEnd, e.relocs, next, null);
  }
  return new Answer(full.packet, full.qEnd, full.relocs, next, below);
}
