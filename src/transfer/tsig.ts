/**
 * TSIG (RFC 8945): transaction signatures with HMAC keys shared with the secondaries. Reads the
 * TSIG record of a message, verifies a request, signs responses (every message of a transfer,
 * each MAC chained to the one before, §5.3.1) and requests (NOTIFY), and verifies their replies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS, TYPE } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { getArcount, ID_OFFSET, setArcount } from '../wire/header.js';
import { nameKey, readName, writeName, type Name } from '../wire/name.js';
import { WireReader } from '../wire/reader.js';
import { WireWriter } from '../wire/writer.js';
import type { TsigKey } from './keys.js';
import type { Message } from './message.js';

/** TSIG RR ERROR values (RFC 8945 §3, IANA "TSIG/TKEY Error Values"). */
export const TSIG_ERROR = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
export type TsigErrorCode = (typeof TSIG_ERROR)[keyof typeof TSIG_ERROR];

const TSIG_ERROR_NAMES = new Map<number, string>(Object.entries(TSIG_ERROR).map(([k, v]) => [v, k]));

/** Mnemonic of a TSIG error, for logs. */
export function tsigErrorName(error: number): string {
  return TSIG_ERROR_NAMES.get(error) ?? `TSIG error ${error}`;
}

/** RFC 8945 §10: "a fudge value of 300 seconds is RECOMMENDED". Used in what we sign. */
const TSIG_FUDGE = 300;
/**
 * RFC 8945 §5.2.2.1: a MAC shorter than half the hash output, or than 10 octets, is malformed.
 * Between that and the full length it is a truncated MAC, which our policy does not accept (§5.2.4).
 */
const MIN_MAC_OCTETS = 10;
/** Time Signed is a 48-bit count of seconds (RFC 8945 §4.2). */
const TIME_SIGNED_OCTETS = 6;
/** Other Data of a BADTIME response: the server's time, 48 bits (RFC 8945 §5.2.3). */
const BADTIME_OTHER_OCTETS = TIME_SIGNED_OCTETS;
const EMPTY: Buffer = Buffer.alloc(0);

/** The fields of a TSIG RR (RFC 8945 §4.2), and where it starts in its message. */
export interface TsigRecord {
  start: number;
  keyName: Name;
  algorithm: Name;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function readU16(r: WireReader): number {
  if (r.pos + 2 > r.end) throw new WireError('TRUNCATED', `TSIG RDATA ends inside a field at offset ${r.pos}`);
  const v = (r.buf[r.pos] << 8) | r.buf[r.pos + 1];
  r.pos += 2;
  return v;
}

function readBytes(r: WireReader, n: number): Buffer {
  if (r.pos + n > r.end) throw new WireError('TRUNCATED', `TSIG RDATA ends inside a field at offset ${r.pos}`);
  const b = Buffer.from(r.buf.subarray(r.pos, r.pos + n));
  r.pos += n;
  return b;
}

/**
 * The message's TSIG record, or null when it has none. RFC 8945 §5.1: a TSIG anywhere but last in
 * the additional section, or one that cannot be read, makes the message malformed (a WireError:
 * the caller answers FORMERR).
 */
export function findTsig(msg: Uint8Array, m: Message): TsigRecord | null {
  const misplaced = [...m.answer, ...m.authority, ...m.additional.slice(0, -1)].some((rec) => rec.type === TYPE.TSIG);
  if (misplaced) throw new WireError('BAD_TEXT', 'a TSIG record that is not the last record of the additional section (RFC 8945 §5.1)');
  const rec = m.additional[m.additional.length - 1];
  if (rec?.type !== TYPE.TSIG) return null;
  if (rec.klass !== CLASS.ANY || rec.ttl !== 0) throw new WireError('BAD_TEXT', 'a TSIG record must have CLASS ANY and TTL 0 (RFC 8945 §4.2)');
  const r = new WireReader(msg, rec.rdata, rec.rdata + rec.rdlength);
  const algorithm = readName(r);
  const high = readU16(r);
  const timeSigned = high * 2 ** 32 + readBytes(r, 4).readUInt32BE(0);
  const fudge = readU16(r);
  const mac = readBytes(r, readU16(r));
  const originalId = readU16(r);
  const error = readU16(r);
  const other = readBytes(r, readU16(r));
  if (r.pos !== r.end) throw new WireError('TRUNCATED', `${r.end - r.pos} octets after the TSIG RDATA's Other Data`);
  return { start: rec.start, keyName: rec.owner, algorithm, timeSigned, fudge, mac, originalId, error, other };
}

function u48(v: number): Buffer {
  const b = Buffer.alloc(TIME_SIGNED_OCTETS);
  b.writeUIntBE(v, 0, TIME_SIGNED_OCTETS);
  return b;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v, 0);
  return b;
}

/** A name in canonical form (RFC 8945 §4.3.3): uncompressed, lower case. */
function canonical(name: Name): Buffer {
  return Buffer.from(nameKey(name), 'latin1');
}

/**
 * The TSIG variables (RFC 8945 §4.3.3): key name, CLASS, TTL, algorithm, Time Signed, Fudge, Error,
 * Other Len, Other Data. With `timersOnly`, Time Signed and Fudge alone (§5.3.1, later messages).
 */
function variables(keyName: Name, algorithm: Name, timeSigned: number, fudge: number, error: number, other: Buffer, timersOnly: boolean): Buffer {
  const timers = Buffer.concat([u48(timeSigned), u16(fudge)]);
  if (timersOnly) return timers;
  return Buffer.concat([canonical(keyName), u16(CLASS.ANY), Buffer.alloc(4), canonical(algorithm), timers, u16(error), u16(other.length), other]);
}

/** The message as it was before its TSIG was added: the TSIG cut, ARCOUNT one less, the original ID (§4.3.2). */
function unsigned(msg: Uint8Array, tsig: TsigRecord): Buffer {
  const b = Buffer.from(msg.subarray(0, tsig.start));
  setArcount(b, getArcount(b) - 1);
  b.writeUInt16BE(tsig.originalId, ID_OFFSET);
  return b;
}

/** HMAC over the parts; a MAC is preceded by its size when it is a part (a request's or the prior MAC). */
function hmac(key: TsigKey, parts: Uint8Array[]): Buffer {
  const h = createHmac(key.algorithm.hash, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

function macPart(mac: Uint8Array): Uint8Array {
  return Buffer.concat([u16(mac.length), mac]);
}

/** Appends a TSIG RR (owner and algorithm uncompressed, RFC 8945 §4.2) and counts it in ARCOUNT. */
function appendTsig(msg: Buffer, keyName: Name, algorithm: Name, timeSigned: number, mac: Buffer, error: number, other: Buffer): Buffer {
  const w = new WireWriter(msg.length + 512);
  w.bytes(msg);
  writeName(w, keyName, false);
  w.u16(TYPE.TSIG);
  w.u16(CLASS.ANY);
  w.u32(0);
  const lenAt = w.pos;
  w.u16(0);
  writeName(w, algorithm, false);
  w.bytes(u48(timeSigned));
  w.u16(TSIG_FUDGE);
  w.u16(mac.length);
  w.bytes(mac);
  w.bytes(msg.subarray(ID_OFFSET, ID_OFFSET + 2));
  w.u16(error);
  w.u16(other.length);
  w.bytes(other);
  w.patchU16(lenAt, w.pos - lenAt - 2);
  const out = w.result();
  setArcount(out, getArcount(msg) + 1);
  return out;
}

/** Octets a TSIG RR signed with `key` adds to a message (the space a transfer keeps free for it). */
export function tsigSize(key: TsigKey): number {
  // Owner, TYPE CLASS TTL RDLENGTH, algorithm, Time Signed, Fudge, MAC Size, MAC, Original ID,
  // Error, Other Len, and the 6 octets of Other Data a BADTIME response carries.
  return canonical(key.name).length + 10 + canonical(key.algorithm.name).length + TIME_SIGNED_OCTETS + 6 + key.algorithm.macOctets + 6 + BADTIME_OTHER_OCTETS;
}

/** How a signed request fared (RFC 8945 §5.2), with what the log line should say. */
export type TsigVerdict =
  | { status: 'ok'; key: TsigKey; tsig: TsigRecord }
  /** The TSIG does not make sense (a MAC of the wrong size): FORMERR, without a TSIG. */
  | { status: 'formerr'; why: string }
  /** NOTAUTH with this TSIG error; `key` when the response is signed (BADTIME, §5.2.3). */
  | { status: 'error'; error: TsigErrorCode; tsig: TsigRecord; key: TsigKey | null; why: string };

function macFits(key: TsigKey, mac: Buffer): boolean {
  const full = key.algorithm.macOctets;
  return mac.length <= full && mac.length >= Math.max(MIN_MAC_OCTETS, full / 2);
}

/** Compares a received MAC, maybe truncated, with the one computed, in constant time (RFC 8945 §5.2.2). */
function macMatches(received: Buffer, computed: Buffer): boolean {
  return timingSafeEqual(received, computed.subarray(0, received.length));
}

/**
 * Verifies a signed request (RFC 8945 §5.2): the key, then the MAC, then the time, then the MAC's
 * length. `keys` maps the key names' `nameKey` to the keys; `now` is in Unix seconds.
 */
export function verifyRequest(msg: Uint8Array, tsig: TsigRecord, keys: ReadonlyMap<string, TsigKey>, now: number): TsigVerdict {
  const key = keys.get(nameKey(tsig.keyName));
  // §5.2.1: an unknown key, or a known one with another algorithm, is BADKEY.
  if (!key || nameKey(tsig.algorithm) !== nameKey(key.algorithm.name)) {
    return { status: 'error', error: TSIG_ERROR.BADKEY, tsig, key: null, why: key ? 'the key is configured with another algorithm' : 'no key of that name is configured' };
  }
  if (!macFits(key, tsig.mac)) return { status: 'formerr', why: `a MAC of ${tsig.mac.length} octets for ${key.algorithm.name.join('.')} (RFC 8945 §5.2.2.1)` };
  const computed = hmac(key, [unsigned(msg, tsig), variables(tsig.keyName, tsig.algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other, false)]);
  if (!macMatches(tsig.mac, computed)) return { status: 'error', error: TSIG_ERROR.BADSIG, tsig, key: null, why: 'the MAC does not match: the message was altered or signed with another secret' };
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge) {
    return { status: 'error', error: TSIG_ERROR.BADTIME, tsig, key, why: `signed at ${tsig.timeSigned}, ${now - tsig.timeSigned} s from our clock, beyond its fudge of ${tsig.fudge} s: check both clocks` };
  }
  // §5.2.4: our policy takes whole MACs only.
  if (tsig.mac.length < key.algorithm.macOctets) return { status: 'error', error: TSIG_ERROR.BADTRUNC, tsig, key: null, why: `a MAC truncated to ${tsig.mac.length} octets` };
  return { status: 'ok', key, tsig };
}

/**
 * Signs messages with one key: a request (no prior MAC), or the responses to a request whose MAC
 * was `requestMac`. Each message is signed (RFC 8945 §5.3.1 asks for at least every 100th): the
 * first over the request MAC, the message and all TSIG variables; each later one over the MAC
 * before it, the message and the timers only.
 */
export class TsigSigner {
  private prior: Buffer | null;
  private first = true;
  /** The MAC of the last message signed: a request's, for checking the reply to it. */
  mac: Buffer = EMPTY;

  constructor(
    readonly key: TsigKey,
    requestMac: Buffer | null,
  ) {
    this.prior = requestMac;
  }

  /**
   * Returns `msg` with its TSIG added. `timeSigned` is now (Unix seconds), except in a BADTIME
   * response, which carries the request's time and ours in `other` (RFC 8945 §5.2.3).
   */
  sign(msg: Buffer, timeSigned: number, error = 0, other = EMPTY): Buffer {
    const { name, algorithm } = this.key;
    const parts: Uint8Array[] = [msg, variables(name, algorithm.name, timeSigned, TSIG_FUDGE, error, other, !this.first)];
    if (this.prior) parts.unshift(macPart(this.prior));
    this.mac = hmac(this.key, parts);
    this.prior = this.mac;
    this.first = false;
    return appendTsig(msg, name, algorithm.name, timeSigned, this.mac, error, other);
  }
}

/** The response to a signed request that failed verification with `error`: signed only for BADTIME. */
export function tsigErrorResponse(msg: Buffer, tsig: TsigRecord, error: TsigErrorCode, key: TsigKey | null, now: number): Buffer {
  if (key && error === TSIG_ERROR.BADTIME) return new TsigSigner(key, tsig.mac).sign(msg, tsig.timeSigned, error, u48(now));
  // RFC 8945 §5.3.2: an error about the key or the MAC is answered unsigned: MAC Size 0.
  return appendTsig(msg, tsig.keyName, tsig.algorithm, now, EMPTY, error, EMPTY);
}

/**
 * Verifies the signed reply to a request we signed with `signer` (RFC 8945 §5.4 for the client):
 * null when it is sound, else why not.
 */
export function verifyReply(msg: Uint8Array, m: Message, signer: TsigSigner, now: number): string | null {
  let tsig: TsigRecord | null;
  try {
    tsig = findTsig(msg, m);
  } catch (e) {
    return (e as Error).message;
  }
  const { key } = signer;
  if (!tsig) return 'the reply is not signed';
  if (nameKey(tsig.keyName) !== nameKey(key.name) || nameKey(tsig.algorithm) !== nameKey(key.algorithm.name)) return 'the reply is signed with another key';
  if (tsig.error !== 0) return `the peer answered ${tsigErrorName(tsig.error)}`;
  if (!macFits(key, tsig.mac)) return `the reply's MAC has ${tsig.mac.length} octets`;
  const computed = hmac(key, [macPart(signer.mac), unsigned(msg, tsig), variables(tsig.keyName, tsig.algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other, false)]);
  if (!macMatches(tsig.mac, computed)) return 'the reply\'s MAC does not match';
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge) return `the reply was signed ${now - tsig.timeSigned} s from our clock`;
  return null;
}
