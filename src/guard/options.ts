/**
 * EDNS options (RFC 6891 §6.1.2) on raw messages: finding the query's OPT RR and reading the
 * options we act on, finding the OPT RR our response ends with, and adding options to it.
 */
import { FLAG2_AA, HEADER_SIZE, OPT_RR_SIZE, TYPE } from '../wire/constants.js';
import { ANCOUNT_OFFSET, FLAGS1_OFFSET, FLAGS2_OFFSET, getAncount, getArcount, getNscount, setArcount } from '../wire/header.js';
import { skipName } from '../wire/name.js';

/** EDNS option codes (IANA "DNS EDNS0 Option Codes"). */
export const OPTION = { NSID: 3, COOKIE: 10, EDE: 15 } as const;
/** Option code and length in front of each option's data. */
export const OPTION_HEADER_SIZE = 4;
/** Offsets in an OPT RR after its one-octet root owner: TTL (EXTENDED-RCODE first) and RDLENGTH. */
export const OPT_TTL_AT = 5;
export const OPT_RDLENGTH_AT = 9;
/** RFC 8914 §2: an EDE option with INFO-CODE only. */
const EDE_OPTION_SIZE = OPTION_HEADER_SIZE + 2;

/**
 * The OPT RR among the records after the question (ending at `qEnd`): its offset, 0 when there is
 * none or the records cannot be walked (the responder answered FORMERR then, without an OPT).
 */
export function findOpt(q: Uint8Array, qlen: number, qEnd: number): number {
  const count = getAncount(q) + getNscount(q) + getArcount(q);
  let p = qEnd;
  for (let i = 0; i < count; i++) {
    const start = p;
    p = skipName(q, p, qlen);
    if (p < 0 || p + 10 > qlen) return 0;
    if (((q[p] << 8) | q[p + 1]) === TYPE.OPT) return start;
    p += 10 + ((q[p + 8] << 8) | q[p + 9]);
  }
  return 0;
}

function isOptAt(b: Uint8Array, at: number, rdlength: number): boolean {
  return at > 0 && b[at] === 0 && b[at + 1] === 0 && b[at + 2] === TYPE.OPT
    && b[at + OPT_RDLENGTH_AT] === 0 && b[at + OPT_RDLENGTH_AT + 1] === rdlength;
}

/**
 * The offset of the OPT RR a response of `n` octets ends with, 0 when it has none. The responder
 * appends it last, bare or with one EDE option (src/answer/respond.ts appendOpt).
 */
export function responseOpt(out: Uint8Array, n: number): number {
  if (isOptAt(out, n - OPT_RR_SIZE, 0)) return n - OPT_RR_SIZE;
  const withEde = n - OPT_RR_SIZE - EDE_OPTION_SIZE;
  if (isOptAt(out, withEde, EDE_OPTION_SIZE) && out[withEde + OPT_RR_SIZE + 1] === OPTION.EDE) return withEde;
  return 0;
}

/** Writes an option header (code, length) at `at`; returns where its data goes. */
export function writeOptionHeader(out: Uint8Array, at: number, code: number, length: number): number {
  out[at] = code >> 8;
  out[at + 1] = code & 0xff;
  out[at + 2] = length >> 8;
  out[at + 3] = length & 0xff;
  return at + OPTION_HEADER_SIZE;
}

/** Sets the RDLENGTH of the OPT RR at `opt` to what lies between its RDATA and `end`. */
export function closeOpt(out: Uint8Array, opt: number, end: number): void {
  const rdlength = end - opt - OPT_RR_SIZE;
  out[opt + OPT_RDLENGTH_AT] = rdlength >> 8;
  out[opt + OPT_RDLENGTH_AT + 1] = rdlength & 0xff;
}

/**
 * Cuts a response down to its header, question (ending at `qEnd`) and OPT RR (at `opt`, ending at
 * `optEnd`), with `rcode` (the bits above four in the OPT's EXTENDED-RCODE, RFC 6891 §6.1.3) and
 * no AA: the form of an error, a truncated answer or BADCOOKIE. Returns the new length.
 */
export function cutToOpt(out: Uint8Array, qEnd: number, opt: number, optEnd: number, rcode: number): number {
  out.copyWithin(qEnd, opt, optEnd);
  out.fill(0, ANCOUNT_OFFSET, HEADER_SIZE);
  setArcount(out, 1);
  out[FLAGS1_OFFSET] &= ~FLAG2_AA;
  out[FLAGS2_OFFSET] = (out[FLAGS2_OFFSET] & 0xf0) | (rcode & 0xf);
  out[qEnd + OPT_TTL_AT] = rcode >> 4;
  return qEnd + (optEnd - opt);
}
