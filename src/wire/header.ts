/**
 * The message header (RFC 1035 §4.1.1) on raw bytes: field offsets and accessors, as Knot's
 * `wire.h` names them, so the hot path reads `getQdcount(q)` instead of `q[4] << 8 | q[5]`.
 *
 *   0  ID          2  QR Opcode AA TC RD    3  RA Z AD CD RCODE
 *   4  QDCOUNT     6  ANCOUNT     8  NSCOUNT     10  ARCOUNT
 */
import { FLAG2_QR } from './constants.js';

export const ID_OFFSET = 0;
/** QR, Opcode, AA, TC, RD (the FLAG2_* bits). */
export const FLAGS1_OFFSET = 2;
/** RA, Z, AD, CD and the low four bits of RCODE. */
export const FLAGS2_OFFSET = 3;
export const QDCOUNT_OFFSET = 4;
export const ANCOUNT_OFFSET = 6;
export const NSCOUNT_OFFSET = 8;
const ARCOUNT_OFFSET = 10;

const OPCODE_SHIFT = 3;
const OPCODE_MASK = 0xf;
const RCODE_MASK = 0xf;

function getU16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >> 8;
  b[at + 1] = v & 0xff;
}

export function isResponse(b: Uint8Array): boolean {
  return (b[FLAGS1_OFFSET] & FLAG2_QR) !== 0;
}

export function getOpcode(b: Uint8Array): number {
  return (b[FLAGS1_OFFSET] >> OPCODE_SHIFT) & OPCODE_MASK;
}

/** The header's four RCODE bits (RFC 6891 §6.1.3 keeps the rest in the OPT RR). */
export function getRcode(b: Uint8Array): number {
  return b[FLAGS2_OFFSET] & RCODE_MASK;
}

export function getQdcount(b: Uint8Array): number {
  return getU16(b, QDCOUNT_OFFSET);
}

export function getAncount(b: Uint8Array): number {
  return getU16(b, ANCOUNT_OFFSET);
}

export function getNscount(b: Uint8Array): number {
  return getU16(b, NSCOUNT_OFFSET);
}

export function getArcount(b: Uint8Array): number {
  return getU16(b, ARCOUNT_OFFSET);
}

export function setArcount(b: Uint8Array, n: number): void {
  setU16(b, ARCOUNT_OFFSET, n);
}

export function setNscount(b: Uint8Array, n: number): void {
  setU16(b, NSCOUNT_OFFSET, n);
}

/** Whether ANCOUNT, NSCOUNT and ARCOUNT are all zero (a plain query: nothing after the question). */
export function hasNoRecords(b: Uint8Array): boolean {
  return (b[ANCOUNT_OFFSET] | b[ANCOUNT_OFFSET + 1] | b[NSCOUNT_OFFSET] | b[NSCOUNT_OFFSET + 1] | b[ARCOUNT_OFFSET] | b[ARCOUNT_OFFSET + 1]) === 0;
}
