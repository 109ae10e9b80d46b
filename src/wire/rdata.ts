import { TYPE } from './constants.js';
import { WireError } from './errors.js';
import { formatIPv4, formatIPv6 } from './address.js';
import { formatName, readName, writeName, type Name } from './name.js';
import { WireReader } from './reader.js';
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

/** One codec per type, all of one shape (after dns-packet): a new type is one more entry. */
interface Codec {
  encode(w: WireWriter, d: RData, compress: boolean): void;
  decode(r: WireReader, end: number): RData;
}

function fixed(r: WireReader, end: number, n: number, what: string): Uint8Array {
  if (end - r.pos !== n) throw new WireError('BAD_RDATA', `${what} RDATA is ${end - r.pos} octets; it must be ${n}`);
  return Uint8Array.from(r.bytes(n, `${what} RDATA`));
}

function nameCodec(t: 'NS' | 'CNAME' | 'PTR'): Codec {
  return {
    // RFC 3597 §4: names in these well-known RDATA may be compressed.
    encode: (w, d, compress) => writeName(w, (d as { target: Name }).target, compress),
    decode: (r) => ({ t, target: readName(r) }),
  };
}

const CODECS = new Map<number, Codec>([
  [TYPE.A, {
    encode: (w, d) => w.bytes((d as { address: Uint8Array }).address),
    decode: (r, end) => ({ t: 'A', address: fixed(r, end, 4, 'A') }),
  }],
  [TYPE.AAAA, {
    encode: (w, d) => w.bytes((d as { address: Uint8Array }).address),
    decode: (r, end) => ({ t: 'AAAA', address: fixed(r, end, 16, 'AAAA') }),
  }],
  [TYPE.NS, nameCodec('NS')],
  [TYPE.CNAME, nameCodec('CNAME')],
  [TYPE.PTR, nameCodec('PTR')],
  [TYPE.SOA, {
    encode: (w, d, compress) => {
      const s = d as Extract<RData, { t: 'SOA' }>;
      writeName(w, s.mname, compress);
      writeName(w, s.rname, compress);
      for (const v of [s.serial, s.refresh, s.retry, s.expire, s.minimum]) w.u32(v);
    },
    decode: (r) => ({
      t: 'SOA', mname: readName(r), rname: readName(r),
      serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32(),
    }),
  }],
  [TYPE.MX, {
    encode: (w, d, compress) => {
      const m = d as Extract<RData, { t: 'MX' }>;
      w.u16(m.preference);
      writeName(w, m.exchange, compress);
    },
    decode: (r) => ({ t: 'MX', preference: r.u16(), exchange: readName(r) }),
  }],
  [TYPE.TXT, {
    // RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and ≤ 255 octets.
    encode: (w, d) => {
      for (const s of (d as Extract<RData, { t: 'TXT' }>).strings) {
        w.u8(s.length);
        w.bytes(s);
      }
    },
    decode: (r, end) => {
      const strings: Uint8Array[] = [];
      while (r.pos < end) strings.push(Uint8Array.from(r.bytes(r.u8('a TXT length'), 'a TXT string')));
      if (strings.length === 0) throw new WireError('BAD_RDATA', 'TXT RDATA holds no string');
      return { t: 'TXT', strings };
    },
  }],
  [TYPE.SRV, {
    // RFC 2782: the target is not compressed.
    encode: (w, d) => {
      const s = d as Extract<RData, { t: 'SRV' }>;
      w.u16(s.priority);
      w.u16(s.weight);
      w.u16(s.port);
      writeName(w, s.target, false);
    },
    decode: (r) => ({ t: 'SRV', priority: r.u16(), weight: r.u16(), port: r.u16(), target: readName(r) }),
  }],
  [TYPE.CAA, {
    // RFC 8659 §4.1: flags, tag length, tag, value to the end of the RDATA.
    encode: (w, d) => {
      const c = d as Extract<RData, { t: 'CAA' }>;
      w.u8(c.flags);
      w.u8(c.tag.length);
      w.bytes(Buffer.from(c.tag, 'latin1'));
      w.bytes(c.value);
    },
    decode: (r, end) => {
      const flags = r.u8('CAA flags');
      const tag = Buffer.from(r.bytes(r.u8('CAA tag length'), 'a CAA tag')).toString('latin1');
      if (r.pos > end) throw new WireError('BAD_RDATA', 'CAA tag runs past RDLENGTH');
      return { t: 'CAA', flags, tag, value: Uint8Array.from(r.bytes(end - r.pos, 'a CAA value')) };
    },
  }],
]);

/** Writes RDLENGTH and RDATA (RFC 1035 §3.2.1), patching the length afterwards. */
export function writeRData(w: WireWriter, d: RData, compress: boolean): void {
  const lenAt = w.pos;
  w.u16(0);
  const codec = d.t === 'OPAQUE' ? undefined : CODECS.get(TYPE[d.t]);
  if (codec) codec.encode(w, d, compress);
  else w.bytes((d as Extract<RData, { t: 'OPAQUE' }>).data);
  w.patchU16(lenAt, w.pos - lenAt - 2);
}

/** Reads RDATA of `rdlength` octets; the codec must consume exactly that many. */
export function readRData(r: WireReader, type: number, rdlength: number): RData {
  r.need(rdlength, 'RDATA');
  const end = r.pos + rdlength;
  const codec = CODECS.get(type);
  if (!codec) return { t: 'OPAQUE', type, data: Uint8Array.from(r.bytes(rdlength, 'RDATA')) };
  // A reader bounded at RDLENGTH, over the whole message so compression pointers still resolve.
  const sub = new WireReader(r.buf, r.pos, end);
  const d = codec.decode(sub, end);
  if (sub.pos !== end) {
    throw new WireError('BAD_RDATA', `type ${type} RDATA used ${sub.pos - r.pos} of its ${rdlength} octets`);
  }
  r.pos = end;
  return d;
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
