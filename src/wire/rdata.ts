import { TYPE } from './constants.js';
import { formatIPv4, formatIPv6 } from './address.js';
import { formatName, writeName, type Name } from './name.js';
import type { WireWriter } from './writer.js';

/** RDATA of the types Eclipso serves, one shape per type; anything else stays opaque. */
export type RData =
  | { t: 'A'; address: Uint8Array }
  | { t: 'AAAA'; address: Uint8Array }
  | { t: 'NS' | 'CNAME' | 'PTR'; target: Name }
  | { t: 'SOA'; mname: Name; rname: Name; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { t: 'MX'; preference: number; exchange: Name }
  | { t: 'TXT'; strings: Uint8Array[] }
  | { t: 'SRV'; priority: number; weight: number; port: number; target: Name }
  | { t: 'CAA'; flags: number; tag: string; value: Uint8Array }
  | { t: 'OPAQUE'; type: number; data: Uint8Array };

/**
 * One encoder per type, all of one shape (after dns-packet): a new type is one more entry. Answers
 * are only ever encoded: decoding is left to the tests' independent decoder (dns-packet).
 */
type Encoder = (w: WireWriter, d: RData, compress: boolean) => void;

/** RFC 3597 §4: names in these well-known RDATA may be compressed. */
const encodeTarget: Encoder = (w, d, compress) => writeName(w, (d as { target: Name }).target, compress);

const ENCODERS = new Map<number, Encoder>([
  [TYPE.A, (w, d) => w.bytes((d as { address: Uint8Array }).address)],
  [TYPE.AAAA, (w, d) => w.bytes((d as { address: Uint8Array }).address)],
  [TYPE.NS, encodeTarget],
  [TYPE.CNAME, encodeTarget],
  [TYPE.PTR, encodeTarget],
  [TYPE.SOA, (w, d, compress) => {
    const s = d as Extract<RData, { t: 'SOA' }>;
    writeName(w, s.mname, compress);
    writeName(w, s.rname, compress);
    for (const v of [s.serial, s.refresh, s.retry, s.expire, s.minimum]) w.u32(v);
  }],
  [TYPE.MX, (w, d, compress) => {
    const m = d as Extract<RData, { t: 'MX' }>;
    w.u16(m.preference);
    writeName(w, m.exchange, compress);
  }],
  // RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and ≤ 255 octets.
  [TYPE.TXT, (w, d) => {
    for (const s of (d as Extract<RData, { t: 'TXT' }>).strings) {
      w.u8(s.length);
      w.bytes(s);
    }
  }],
  // RFC 2782: the target is not compressed.
  [TYPE.SRV, (w, d) => {
    const s = d as Extract<RData, { t: 'SRV' }>;
    w.u16(s.priority);
    w.u16(s.weight);
    w.u16(s.port);
    writeName(w, s.target, false);
  }],
  // RFC 8659 §4.1: flags, tag length, tag, value to the end of the RDATA.
  [TYPE.CAA, (w, d) => {
    const c = d as Extract<RData, { t: 'CAA' }>;
    w.u8(c.flags);
    w.u8(c.tag.length);
    w.bytes(Buffer.from(c.tag, 'latin1'));
    w.bytes(c.value);
  }],
]);

/**
 * The host `d` names whose addresses go in the additional section (RFC 1035 §3.3.9 for MX and NS,
 * RFC 2782 for SRV), or undefined.
 */
export function hostNamed(d: RData): Name | undefined {
  return d.t === 'MX' ? d.exchange : d.t === 'NS' || d.t === 'SRV' ? d.target : undefined;
}

/** True when writeRData compresses a name of `d` (RFC 3597 §4: NS, CNAME, PTR, SOA, MX). */
export function compressesNames(d: RData): boolean {
  return d.t === 'NS' || d.t === 'CNAME' || d.t === 'PTR' || d.t === 'SOA' || d.t === 'MX';
}

/** Writes RDLENGTH and RDATA (RFC 1035 §3.2.1), patching the length afterwards. */
export function writeRData(w: WireWriter, d: RData, compress: boolean): void {
  const lenAt = w.pos;
  w.u16(0);
  const encode = d.t === 'OPAQUE' ? undefined : ENCODERS.get(TYPE[d.t]);
  if (encode) encode(w, d, compress);
  else w.bytes((d as Extract<RData, { t: 'OPAQUE' }>).data);
  w.patchU16(lenAt, w.pos - lenAt - 2);
}

/** Presentation form of RDATA, as dig prints it (for logs and test messages). */
export function formatRData(d: RData): string {
  const str = (b: Uint8Array): string => `"${Buffer.from(b).toString('latin1').replace(/["\\]/g, '\\$&')}"`;
  switch (d.t) {
    case 'A': return formatIPv4(d.address);
    case 'AAAA': return formatIPv6(d.address);
    case 'NS': case 'CNAME': case 'PTR': return formatName(d.target);
    case 'SOA': return `${formatName(d.mname)} ${formatName(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'MX': return `${d.preference} ${formatName(d.exchange)}`;
    case 'TXT': return d.strings.map(str).join(' ');
    case 'SRV': return `${d.priority} ${d.weight} ${d.port} ${formatName(d.target)}`;
    case 'CAA': return `${d.flags} ${d.tag} ${str(d.value)}`;
    case 'OPAQUE': return `\\# ${d.data.length} ${Buffer.from(d.data).toString('hex')}`;
  }
}
