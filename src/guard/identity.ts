/**
 * CHAOS-class TXT answers naming the server (the convention BIND started and NSD and Knot keep):
 * `id.server` and `hostname.bind` (RFC 4892 §2.2) give IDENTITY, `version.bind` and
 * `version.server` give VERSION_BIND. Off unless set: a version string helps an attacker pick
 * exploits, and an identity may name internal hosts.
 */
import { CLASS, FLAG2_AA, FLAG2_QR, FLAG2_RD, HEADER_SIZE, TYPE } from '../wire/constants.js';
import { ANCOUNT_OFFSET, FLAGS1_OFFSET, FLAGS2_OFFSET, QDCOUNT_OFFSET } from '../wire/header.js';

/** RFC 1035 §3.3.14: a TXT character-string holds 255 octets at most. */
const MAX_STRING = 255;
/** A pointer to the question name at offset 12 (RFC 1035 §4.1.4). */
const QNAME_POINTER = 0xc00c;

/** Lower-cased wire form of a name given as dotted labels. */
function wireName(dotted: string): Uint8Array {
  const labels = dotted.split('.');
  return Uint8Array.from([...labels.flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0]);
}

/** An answer RR (owner: the question name) of class CH, TTL 0, type TXT holding `text`. */
function txtRecord(text: Uint8Array): Uint8Array {
  const strings: number[] = [];
  for (let i = 0; i < text.length || i === 0; i += MAX_STRING) {
    const part = text.subarray(i, i + MAX_STRING);
    strings.push(part.length, ...part);
  }
  const rr = Buffer.alloc(12 + strings.length);
  rr.writeUInt16BE(QNAME_POINTER, 0);
  rr.writeUInt16BE(TYPE.TXT, 2);
  rr.writeUInt16BE(CLASS.CH, 4);
  rr.writeUInt32BE(0, 6);
  rr.writeUInt16BE(strings.length, 10);
  rr.set(strings, 12);
  return rr;
}

export class IdentityAnswers {
  private readonly names: Uint8Array[] = [];
  private readonly records: Uint8Array[] = [];

  /** `identity` for id.server and hostname.bind, `version` for version.bind and version.server; null: not answered. */
  constructor(identity: Uint8Array | null, version: Uint8Array | null) {
    const add = (name: string, text: Uint8Array): void => {
      this.names.push(wireName(name));
      this.records.push(txtRecord(text));
    };
    if (identity !== null) ['id.server', 'hostname.bind'].forEach((n) => add(n, identity));
    if (version !== null) ['version.bind', 'version.server'].forEach((n) => add(n, version));
  }

  /**
   * The answer to a CH query for the lower-cased name `key[0..n)` of type `qtype`, written to `out`
   * behind the query's question (ending at `qEnd`): the TXT record for TXT or ANY, none for other
   * types. Returns its length; 0 when the name is not one of ours.
   */
  answer(key: Uint8Array, n: number, qtype: number, q: Uint8Array, qEnd: number, out: Uint8Array): number {
    let i = 0;
    for (; i < this.names.length; i++) if (sameName(this.names[i], key, n)) break;
    if (i === this.names.length) return 0;
    // The ID and question as they came.
    for (let p = 0; p < qEnd; p++) out[p] = q[p];
    out[FLAGS1_OFFSET] = FLAG2_QR | FLAG2_AA | (q[FLAGS1_OFFSET] & FLAG2_RD);
    out[FLAGS2_OFFSET] = 0;
    out.fill(0, QDCOUNT_OFFSET, HEADER_SIZE);
    out[QDCOUNT_OFFSET + 1] = 1;
    if (qtype !== TYPE.TXT && qtype !== TYPE.ANY) return qEnd;
    out[ANCOUNT_OFFSET + 1] = 1;
    out.set(this.records[i], qEnd);
    return qEnd + this.records[i].length;
  }
}

function sameName(name: Uint8Array, key: Uint8Array, n: number): boolean {
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) if (name[i] !== key[i]) return false;
  return true;
}
