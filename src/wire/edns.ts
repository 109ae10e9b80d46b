import { EDNS_DO, TYPE } from './constants.js';
import type { WireWriter } from './writer.js';

/** The OPT pseudo-RR's fields (RFC 6891 §6.1.2–§6.1.3). */
export interface Edns {
  /** Requestor's UDP payload size, carried in CLASS. */
  udpPayloadSize: number;
  /** Upper 8 bits of the 12-bit RCODE. */
  extendedRcode: number;
  version: number;
  /** DNSSEC OK (RFC 3225). */
  dnssecOk: boolean;
  options: { code: number; data: Uint8Array }[];
}

/** OPT TTL field: EXTENDED-RCODE(8) VERSION(8) DO(1) Z(15). */
export function ednsTtl(e: Pick<Edns, 'extendedRcode' | 'version' | 'dnssecOk'>): number {
  return ((e.extendedRcode << 24) | (e.version << 16) | (e.dnssecOk ? EDNS_DO : 0)) >>> 0;
}

export function ednsFromTtl(udpPayloadSize: number, ttl: number, options: Edns['options']): Edns {
  return {
    udpPayloadSize,
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    dnssecOk: (ttl & EDNS_DO) !== 0,
    options,
  };
}

/** Writes the OPT RR: root owner, TYPE 41, CLASS = payload size, TTL = flags (RFC 6891 §6.1.2). */
export function writeOpt(w: WireWriter, e: Edns): void {
  w.u8(0);
  w.u16(TYPE.OPT);
  w.u16(e.udpPayloadSize);
  w.u32(ednsTtl(e));
  let len = 0;
  for (const o of e.options) len += 4 + o.data.length;
  w.u16(len);
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

/** Splits OPT RDATA into its {code, length, data} options (RFC 6891 §6.1.2). */
export function parseOptions(rdata: Uint8Array): Edns['options'] | null {
  const options: Edns['options'] = [];
  let p = 0;
  while (p < rdata.length) {
    if (p + 4 > rdata.length) return null;
    const code = (rdata[p] << 8) | rdata[p + 1];
    const len = (rdata[p + 2] << 8) | rdata[p + 3];
    if (p + 4 + len > rdata.length) return null;
    options.push({ code, data: Uint8Array.from(rdata.subarray(p + 4, p + 4 + len)) });
    p += 4 + len;
  }
  return options;
}
