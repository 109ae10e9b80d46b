import {
  CLASS, EDNS_DEFAULT_PAYLOAD, FLAG2_AA, FLAG2_QR, FLAG2_TC, HEADER_SIZE, MAX_NAME_LENGTH, OPT_RR_SIZE, TYPE, UDP_DEFAULT_PAYLOAD,
} from '../wire/constants.js';
import { sameName, suffixHashes, writeName, type Name } from '../wire/name.js';
import { setArcount, setNscount } from '../wire/header.js';
import { compressesNames, writeRData } from '../wire/rdata.js';
import { WireWriter } from '../wire/writer.js';
import type { Resolution } from '../zone/resolve.js';
import type { RRset } from '../zone/tree.js';
import type { Answer, Below } from './answer.js';
import type { ZoneAnswers } from './answers.js';
import type { SectionTails } from './tails.js';

/** RFC 1035 §4.1.4: a pointer to offset 12, where the question name starts. */
const QNAME_POINTER = 0xc000 | HEADER_SIZE;

/**
 * The writer every packet is encoded with, emptied before each (compiling is synchronous): a
 * zone compiles thousands of packets, and each takes only its own octets (ZoneAnswers.add).
 */
const scratch = new WireWriter(512);
/** suffixHashes of a variable packet's question name (at most 127 labels, RFC 1035 §3.1). */
const qnameHashes = new Int32Array(MAX_NAME_LENGTH);
/** Where the answer section of the packet in `scratch` ends (encodeInto). */
let answerEnd = 0;

/** Records in RRsets. */
function count(sets: readonly RRset[]): number {
  let n = 0;
  for (const s of sets) n += s.data.length;
  return n;
}

/**
 * Encodes a resolution as a ready response into `scratch`; returns where its question ends. With
 * `variable`, the packet must serve any question name: names are compressed only against the body,
 * and the pointers to relocate are listed (relocations). `tails`: the zone's authority and
 * additional sections encoded so far, reused where they encode the same (SectionTails).
 */
function encodeInto(qname: Name, qtype: number, res: Resolution, variable: boolean, tails: SectionTails | null): number {
  const w = scratch;
  w.reset();
  w.u16(0);
  w.u8(FLAG2_QR | (res.aa ? FLAG2_AA : 0));
  w.u8(res.rcode);
  w.u16(1);
  w.u16(count(res.answer));
  w.u16(count(res.authority));
  w.u16(count(res.additional));
  // The question: in a fixed packet its suffixes are compression targets, as in Knot's QNAME hint
  // (remembered only when a name of the body may point to them: most bodies have none).
  const targets = bodyCompresses(res, qname);
  writeName(w, qname, !variable && targets);
  // A variable packet serves names that all end in qname's labels after the first (the node the
  // answer hangs below): those suffixes lie at a fixed distance from the question's end, so body
  // names compress into the question too (pointers relocated with the rest). As NSD, names then
  // take the query's letter case, and packets are as long as NSD's (same truncation).
  if (variable && targets) {
    suffixHashes(qname, qnameHashes);
    for (let i = 1, at = HEADER_SIZE + 1 + qname[0].length; i < qname.length; at += 1 + qname[i].length, i++) w.remember(qnameHashes[i], at);
  }
  w.u16(qtype);
  w.u16(CLASS.IN);
  const qEnd = w.pos;
  writeSection(w, res.answer, qname);
  const start = (answerEnd = w.pos);
  const key = tails === null || variable ? -1 : tails.key(res, qname, start);
  const tail = key < 0 ? null : tails!.find(key, res);
  if (tail !== null) {
    w.bytes(tail);
    return qEnd;
  }
  writeSection(w, res.authority, qname);
  writeSection(w, res.additional, qname);
  if (key >= 0) tails!.keep(key, res, w.buf.subarray(start, w.pos));
  return qEnd;
}

/** The pointers of the packet in `scratch` that move with the question, for a variable packet. */
function relocations(variable: boolean, qEnd: number): Uint16Array | null {
  return variable ? Uint16Array.from(scratch.pointerSites.filter((p) => p >= qEnd)) : null;
}

/** A packet with its question, kept aside while its smaller forms are chosen (compileAnswer). */
interface Encoded {
  packet: Buffer;
  qEnd: number;
  relocs: Uint16Array | null;
}

function encode(qname: Name, qtype: number, res: Resolution, variable: boolean): Encoded {
  const qEnd = encodeInto(qname, qtype, res, variable, null);
  return { packet: scratch.result(), qEnd, relocs: relocations(variable, qEnd) };
}

/** True when a name in the body may be compressed: an owner not the question name, or RDATA's. */
function bodyCompresses(res: Resolution, qname: Name): boolean {
  return sectionCompresses(res.answer, qname) || sectionCompresses(res.authority, qname) || sectionCompresses(res.additional, qname);
}

function sectionCompresses(sets: readonly RRset[], qname: Name): boolean {
  for (const set of sets) if (!ownerIsQname(set, qname) || set.data.some(compressesNames)) return true;
  return false;
}

function ownerIsQname(set: RRset, qname: Name): boolean {
  return set.owner === qname || sameName(set.owner, qname);
}

/** Writes the records of `sets`; an owner equal to the question name points to it. */
function writeSection(w: WireWriter, sets: readonly RRset[], qname: Name): void {
  for (const set of sets) {
    const toQname = ownerIsQname(set, qname);
    for (const data of set.data) {
      if (toQname) w.u16(QNAME_POINTER);
      else writeName(w, set.owner, true);
      w.u16(set.type);
      w.u16(CLASS.IN);
      w.u32(set.ttl);
      writeRData(w, data, true);
    }
  }
}

/** The longest question a query can bring: a 255-octet name, QTYPE and QCLASS. */
const LONGEST_QUESTION = MAX_NAME_LENGTH + 4;

/**
 * True when the packet fits the smallest UDP limit (512, RFC 1035 §4.2.1) with an OPT, whatever
 * the question: then no smaller form is ever needed, and none is kept (memory for large zones).
 */
function alwaysFits(length: number, qEnd: number, variable: boolean): boolean {
  const size = variable ? length - qEnd + HEADER_SIZE + LONGEST_QUESTION : length;
  return size + OPT_RR_SIZE <= UDP_DEFAULT_PAYLOAD;
}

/**
 * What NSD (built with minimal responses, its default) sends over UDP when `budget` octets are
 * available, or null when even the answer and the required authority do not fit (then TC=1):
 * the optional NS RRset if it fits, else nothing more; then each additional A RRset that fits in
 * turn, then, if none was left out, each AAAA RRset that fits. RFC 2181 §9: what does not fit of
 * the optional sections is left out whole, without TC.
 */
function fitForm(res: Resolution, budget: number, enc: (r: Resolution) => Encoded): Encoded | null {
  let cur: Resolution = { ...res, authority: res.optionalAuthority ? [] : res.authority, additional: [] };
  let e = enc(cur);
  if (e.packet.length > budget) return null;
  const add = (next: Resolution): boolean => {
    const n = enc(next);
    if (n.packet.length > budget) return false;
    [cur, e] = [next, n];
    return true;
  };
  if (res.optionalAuthority && !add({ ...cur, authority: res.authority })) return e;
  for (const type of [TYPE.A, TYPE.AAAA]) {
    let dropped = false;
    for (const set of res.additional) if (set.type === type && !add({ ...cur, additional: [...cur.additional, set] })) dropped = true;
    if (dropped) break;
  }
  // A referral whose A glue does not fit at all is of little use: TC=1, as NSD (RFC 9471 §3.1 asks
  // for TC when in-domain glue is left out; NSD applies it to any A glue, and not to AAAA alone).
  if (isReferral(res) && hasA(res.additional) && !hasA(cur.additional)) e.packet[2] |= FLAG2_TC;
  return e;
}

/**
 * The answer with as many leading additional RRsets as fit `budget` (found by bisection: sizes grow
 * with the prefix), the optional authority kept only if it fits with none; null if nothing fits.
 */
function prefixForm(res: Resolution, budget: number, enc: (r: Resolution) => Encoded): Encoded | null {
  let base: Resolution = { ...res, additional: [] };
  if (enc(base).packet.length > budget) {
    if (!res.optionalAuthority) return null;
    base = { ...base, authority: [] };
    if (enc(base).packet.length > budget) return null;
  }
  let lo = 0;
  let hi = res.additional.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (enc({ ...base, additional: res.additional.slice(0, mid) }).packet.length <= budget) lo = mid;
    else hi = mid - 1;
  }
  const kept = res.additional.slice(0, lo);
  const e = enc({ ...base, additional: kept });
  if (isReferral(res) && hasA(res.additional) && !hasA(kept)) e.packet[2] |= FLAG2_TC;
  return e;
}

const isReferral = (res: Resolution): boolean => !res.optionalAuthority && res.authority.some((s) => s.type === TYPE.NS);
const hasA = (sets: readonly RRset[]): boolean => sets.some((s) => s.type === TYPE.A);

/**
 * When even the answer and the required authority do not fit: TC=1 with the RRsets that fit
 * whole, in order (RFC 2181 §9 lets a truncated response keep them), as NSD sends; longest first.
 * The last resort, header and question only, is made at query time.
 */
function truncatedForms(res: Resolution, enc: (r: Resolution) => Encoded): Encoded[] {
  const required = [...res.answer, ...(res.optionalAuthority ? [] : res.authority)];
  const forms: Encoded[] = [];
  for (let n = required.length - 1; n > 0 && forms.length < MAX_FORMS; n--) {
    const e = enc({ ...res, answer: required.slice(0, Math.min(n, res.answer.length)), authority: required.slice(res.answer.length, n), additional: [] });
    e.packet[2] |= FLAG2_TC;
    forms.push(e);
  }
  return forms;
}

/** Bound on the smaller forms kept for one answer. */
const MAX_FORMS = 32;
/** Additional RRsets up to which the smaller forms are fitted RRset by RRset, as NSD fills them. */
const MAX_FITTED_ADDITIONAL = 24;

/**
 * Compiles the answer to (qname, qtype) and, from the same encoding, the answer to ANY, whose
 * resolution `any` holds the same answer section and nothing else (RFC 8482 §4.1: ANY is answered
 * with one RRset, without the NS RRset the answer to its type carries, as NSD): its packet is
 * that one's header, its other counts zero, and answer section. The answer section's octets are
 * the same either way: it points into the question where ANY's own encoding would (a name in it
 * makes the question's suffixes compression targets in both). Null for ANY when the answer needs
 * smaller forms; the caller compiles ANY's then.
 */
export function compileAnswerAndAny(answers: ZoneAnswers, qname: Name, qtype: number, res: Resolution): [Answer, Answer | null] {
  const qEnd = encodeInto(qname, qtype, res, false, answers.tails);
  if (!alwaysFits(scratch.pos, qEnd, false)) return [withSmallerForms(answers, qname, qtype, res, false, null, qEnd), null];
  const answer = answers.add(scratch.buf, scratch.pos, qEnd, null, null, null);
  setNscount(scratch.buf, 0);
  setArcount(scratch.buf, 0);
  return [answer, answers.add(scratch.buf, answerEnd, qEnd, null, null, null)];
}

/**
 * Compiles one answer with its smaller forms, largest first, tried in turn when it does not fit:
 * form k+1 is what NSD sends with one octet less than form k needs, so the first form that fits a
 * client's limit is what NSD sends for that limit. `answers`: the zone's, to which it and its
 * smaller forms are added.
 */
export function compileAnswer(answers: ZoneAnswers, qname: Name, qtype: number, res: Resolution, variable: boolean, below: Below | null = null): Answer {
  const qEnd = encodeInto(qname, qtype, res, variable, answers.tails);
  // The usual answer: no smaller form is made, and it goes from the writer to the zone's packets.
  if (alwaysFits(scratch.pos, qEnd, variable)) return answers.add(scratch.buf, scratch.pos, qEnd, relocations(variable, qEnd), null, below);
  return withSmallerForms(answers, qname, qtype, res, variable, below, qEnd);
}

/** compileAnswer for an answer that may not fit, its full form just encoded in `scratch`. */
function withSmallerForms(answers: ZoneAnswers, qname: Name, qtype: number, res: Resolution, variable: boolean, below: Below | null, qEnd: number): Answer {
  const full: Encoded = { packet: scratch.result(), qEnd, relocs: relocations(variable, qEnd) };
  const enc = (r: Resolution): Encoded => encode(qname, qtype, r, variable);
  const smaller: Encoded[] = [];
  if (res.additional.length > MAX_FITTED_ADDITIONAL) {
    // Fitting RRset by RRset costs encodes quadratic in the additional section: past a few dozen
    // RRsets a zone would take seconds to compile, blocking every answer. Such answers get one
    // form per common limit instead, keeping the leading additional RRsets that fit.
    for (const limit of [EDNS_DEFAULT_PAYLOAD, UDP_DEFAULT_PAYLOAD]) {
      const form = prefixForm(res, limit - OPT_RR_SIZE, enc);
      const last = smaller[smaller.length - 1] ?? full;
      if (form && form.packet.length < last.packet.length) smaller.push(form);
    }
  } else if (res.additional.length > 0 || res.optionalAuthority) {
    for (let size = full.packet.length; smaller.length < MAX_FORMS;) {
      const form = fitForm(res, size - 1, enc);
      if (!form) break;
      smaller.push(form);
      size = form.packet.length;
    }
  }
  smaller.push(...truncatedForms(res, enc));
  let next: Answer | null = null;
  for (const e of smaller.reverse()) next = answers.add(e.packet, e.packet.length, e.qEnd, e.relocs, next, null);
  return answers.add(full.packet, full.packet.length, full.qEnd, full.relocs, next, below);
}
