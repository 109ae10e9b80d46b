// DNS registry constants, named as in the RFCs.
// IANA registry: https://www.iana.org/assignments/dns-parameters/dns-parameters.xhtml

/** RR TYPEs served by Eclipso (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 8659, RFC 6891). */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;
export type TypeName = keyof typeof TYPE;

const TYPE_NAMES = new Map<number, TypeName>(
  (Object.entries(TYPE) as [TypeName, number][]).map(([n, v]) => [v, n]),
);

/** Mnemonic for a type number; "TYPE<n>" (RFC 3597 §5) for unknown ones. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** CLASS values (RFC 1035 §3.2.4). Only IN is served. */
export const CLASS = { IN: 1, CH: 3, HS: 4, ANY: 255 } as const;

/** RCODEs (RFC 1035 §4.1.1, RFC 8945 §3 for NOTAUTH, RFC 6891 §9 for BADVERS). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  BADVERS: 16,
} as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** Mnemonic for an RCODE; "RCODE<n>" for ones we do not name. */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

/** OPCODEs (RFC 1035 §4.1.1, RFC 1996 §3.1 for NOTIFY). */
export const OPCODE = { QUERY: 0, NOTIFY: 4 } as const;

/** Header layout (RFC 1035 §4.1.1). */
export const HEADER_SIZE = 12;
/** Flag bits of header byte 2: QR Opcode(4) AA TC RD. */
export const FLAG2_QR = 0x80;
export const FLAG2_AA = 0x04;
export const FLAG2_TC = 0x02;
export const FLAG2_RD = 0x01;

/** Name limits (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;
export const MAX_NAME_LENGTH = 255;
/** RFC 1035 §4.1.4: a pointer is a two-byte field whose first two bits are ones. */
export const POINTER_MASK = 0xc0;
export const MAX_POINTER_OFFSET = 0x3fff;

/** Plain DNS over UDP (RFC 1035 §4.2.1). */
export const UDP_DEFAULT_PAYLOAD = 512;
/** The largest message TCP's two-octet length prefix can frame (RFC 1035 §4.2.2). */
export const TCP_MAX_MESSAGE = 65535;
/** RFC 1035 §4.2.2: each message over TCP is preceded by a two-octet length. */
export const TCP_LENGTH_PREFIX = 2;
/** DNS Flag Day 2020 default; RFC 9715 recommends it as the EDNS buffer size. */
export const EDNS_DEFAULT_PAYLOAD = 1232;
/** RFC 6891 §6.1.2: the OPT TTL field carries EXTENDED-RCODE, VERSION and the DO bit. */
export const EDNS_DO = 0x8000;
/** An OPT RR without options: root owner, TYPE, CLASS, TTL, RDLENGTH (RFC 6891 §6.1.2). */
export const OPT_RR_SIZE = 11;
