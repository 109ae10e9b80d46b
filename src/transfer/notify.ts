/**
 * NOTIFY (RFC 1996): the message that tells a secondary a zone changed, the reading of its reply,
 * and the list of secondaries to tell (`XFR_NOTIFY`). The sending is in notify-sender.ts.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { formatIPv6, parseIPv6 } from '../wire/address.js';
import { CLASS, FLAG2_AA, OPCODE, TYPE } from '../wire/constants.js';
import { getOpcode, getRcode, isResponse } from '../wire/header.js';
import { nameKey, writeName, type Name } from '../wire/name.js';
import { writeRData } from '../wire/rdata.js';
import { WireWriter } from '../wire/writer.js';
import type { SoaData } from '../zone/model.js';
import { readMessage, type Message } from './message.js';
import { writeRecordHead } from './response.js';

/** RFC 1035 §4.1.1: the opcode sits in bits 1–4 of header octet 2. */
const OPCODE_SHIFT = 3;
/** The port secondaries listen on unless `XFR_NOTIFY` says another. */
const DNS_PORT = 53;

/**
 * A NOTIFY for the zone at `apex` (RFC 1996 §3): opcode NOTIFY, AA set (§3.7), the question
 * `<apex> IN SOA`, and the zone's new SOA in the answer section, which §3.7 allows as a hint
 * (NSD and Knot read the serial from it and skip the transfer when they have it already).
 */
export function notifyMessage(id: number, apex: Name, soa: { ttl: number; data: SoaData }): Buffer {
  const w = new WireWriter(512);
  w.u16(id);
  w.u8((OPCODE.NOTIFY << OPCODE_SHIFT) | FLAG2_AA);
  w.u8(0);
  for (const count of [1, 1, 0, 0]) w.u16(count);
  writeName(w, apex, true);
  w.u16(TYPE.SOA);
  w.u16(CLASS.IN);
  writeName(w, apex, true);
  writeRecordHead(w, TYPE.SOA, soa.ttl);
  writeRData(w, soa.data, true);
  return w.result();
}

/**
 * The RCODE of `reply` when it answers the NOTIFY with `id` for `apex` (RFC 1996 §4.7: a response
 * with the same ID, opcode NOTIFY and question), with the message read; null when it is not that
 * reply (another ID, a query, garbage), which the sender then ignores.
 */
export function notifyReply(reply: Uint8Array, id: number, apex: Name): { rcode: number; message: Message } | null {
  if (reply.length < 12 || !isResponse(reply) || getOpcode(reply) !== OPCODE.NOTIFY || ((reply[0] << 8) | reply[1]) !== id) return null;
  let message: Message;
  try {
    message = readMessage(reply);
  } catch {
    return null;
  }
  const q = message.question;
  // An error reply may leave the question out (NOTIMP from a server that does not know NOTIFY).
  if (q && (nameKey(q.name) !== nameKey(apex) || q.type !== TYPE.SOA)) return null;
  return { rcode: getRcode(reply), message };
}

/** A secondary to notify: its address as sockets write it, and its port. */
export interface NotifyTarget {
  address: string;
  port: number;
  family: 4 | 6;
}

/** An `XFR_NOTIFY` entry that cannot be read; the message says which one and what to write. */
export class NotifyTargetError extends Error {
  override name = 'NotifyTargetError';
}

/** Text form of an address as a socket reports a peer's: IPv6 canonical (RFC 5952), so replies can be matched. */
export function canonicalAddress(address: string): string {
  return isIPv6(address) ? formatIPv6(parseIPv6(address)) : address;
}

/** Reads entry `n` (1-based, for the message) of a list of secondaries: an address[:port]. */
export function parseTarget(entry: string, n: number): NotifyTarget {
  const where = `entry ${n} ("${entry}")`;
  // [2001:db8::1]:5353, 2001:db8::1, 192.0.2.1:5353, 192.0.2.1
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? (isIPv6(entry) ? [entry, entry] : /^([^:]+)(?::(\d+))?$/.exec(entry));
  const address = m?.[1] ?? '';
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : 0;
  if (family === 0) throw new NotifyTargetError(`${where} is not an address[:port]; write e.g. 192.0.2.1, 192.0.2.1:5353 or [2001:db8::1]:5353`);
  const port = m?.[2] === undefined ? DNS_PORT : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NotifyTargetError(`${where}: the port must be a whole number from 1 to 65535`);
  return { address: canonicalAddress(address), port, family };
}

/** Reads `XFR_NOTIFY`: secondaries as `address[:port]`, IPv6 with a port in brackets, separated by commas. */
export function parseNotifyTargets(text: string): NotifyTarget[] {
  return text.split(',').map((e) => e.trim()).filter((e) => e !== '').map((e, i) => parseTarget(e, i + 1));
}
