/**
 * DNS server cookies in the interoperable format of RFC 9018 §4: every replica sharing the secret
 * makes and accepts the same cookies (as BIND, Knot and PowerDNS do).
 *
 *   Version (1) = 1 | Reserved (3) = 0 | Timestamp (4, Unix seconds) | Hash (8)
 *   Hash = SipHash-2-4(Client Cookie | Version | Reserved | Timestamp | Client-IP, Server Secret)
 *
 * Nothing here allocates per query: the hash input is written into a buffer kept for it.
 */
import { SIPHASH_KEY_SIZE, SIPHASH_OUTPUT_SIZE, siphash24 } from './siphash.js';

/** COOKIE option code (RFC 7873 §4). */
export const COOKIE_OPTION = 10;
/** RFC 7873 §4: the client cookie is 8 octets; a server cookie 8 to 32. */
export const CLIENT_COOKIE_SIZE = 8;
export const SERVER_COOKIE_MIN = 8;
export const SERVER_COOKIE_MAX = 32;
/** RFC 9018 §4: the server cookie we make is 16 octets. */
export const SERVER_COOKIE_SIZE = 16;
const COOKIE_VERSION = 1;
const TIMESTAMP_AT = 4;
const HASH_AT = 8;
/**
 * RFC 9018 §4.3: a cookie whose timestamp is more than an hour old, or more than five minutes
 * ahead (clock skew between replicas), is not valid; one over half an hour old is replaced.
 */
const MAX_AGE_SECONDS = 3600;
const MAX_AHEAD_SECONDS = 300;
const REFRESH_AGE_SECONDS = 1800;
/** Hash input: client cookie, version, reserved, timestamp, and an IPv6 address at most. */
const INPUT_MAX = CLIENT_COOKIE_SIZE + 8 + 16;

/** What a server cookie sent back to us is worth. */
export const COOKIE_CHECK = {
  /** Not ours, too old, or made for another client: the client gets a fresh one. */
  INVALID: 0,
  /** Valid; the client gets a fresh one anyway (over half an hour old, or made with the previous secret). */
  VALID_STALE: 1,
  /** Valid and recent: sent back as it came. */
  VALID: 2,
} as const;

export class CookieMaker {
  private readonly input = new Uint8Array(INPUT_MAX);
  private readonly hash = new Uint8Array(SIPHASH_OUTPUT_SIZE);

  /** `secret`, and `previous` (accepted, never made), are SipHash keys of 16 octets. */
  constructor(private readonly secret: Uint8Array, private readonly previous: Uint8Array | null) {
    if (secret.length !== SIPHASH_KEY_SIZE || (previous !== null && previous.length !== SIPHASH_KEY_SIZE)) {
      throw new RangeError(`a cookie secret is ${SIPHASH_KEY_SIZE} octets`);
    }
  }

  /**
   * Writes a server cookie for the client cookie at `q[client]` and the client's address
   * (`ip[0..ipLen)`, 4 or 16 octets) to `out` at `at`, stamped `now` (Unix seconds).
   */
  make(q: Uint8Array, client: number, ip: Uint8Array, ipLen: number, now: number, out: Uint8Array, at: number): void {
    out[at] = COOKIE_VERSION;
    out[at + 1] = 0;
    out[at + 2] = 0;
    out[at + 3] = 0;
    writeU32(out, at + TIMESTAMP_AT, now);
    const n = this.fill(q, client, out, at, ip, ipLen);
    siphash24(this.secret, this.input, 0, n, out, at + HASH_AT);
  }

  /**
   * Checks the server cookie of `length` octets at `q[server]`, sent with the client cookie at
   * `q[client]` from the address `ip[0..ipLen)`, at `now` (Unix seconds).
   */
  check(q: Uint8Array, client: number, server: number, length: number, ip: Uint8Array, ipLen: number, now: number): number {
    if (length !== SERVER_COOKIE_SIZE || q[server] !== COOKIE_VERSION) return COOKIE_CHECK.INVALID;
    // RFC 9018 §4.3: timestamps compared in serial number arithmetic (RFC 1982), so 2106 is no cliff.
    const age = (now - readU32(q, server + TIMESTAMP_AT)) | 0;
    if (age > MAX_AGE_SECONDS || age < -MAX_AHEAD_SECONDS) return COOKIE_CHECK.INVALID;
    const n = this.fill(q, client, q, server, ip, ipLen);
    siphash24(this.secret, this.input, 0, n, this.hash, 0);
    if (this.matches(q, server + HASH_AT)) return age > REFRESH_AGE_SECONDS ? COOKIE_CHECK.VALID_STALE : COOKIE_CHECK.VALID;
    if (this.previous === null) return COOKIE_CHECK.INVALID;
    siphash24(this.previous, this.input, 0, n, this.hash, 0);
    return this.matches(q, server + HASH_AT) ? COOKIE_CHECK.VALID_STALE : COOKIE_CHECK.INVALID;
  }

  /** Writes the hash input: client cookie, the server cookie's first 8 octets, the address. Returns its length. */
  private fill(q: Uint8Array, client: number, s: Uint8Array, server: number, ip: Uint8Array, ipLen: number): number {
    const input = this.input;
    let n = 0;
    for (let i = 0; i < CLIENT_COOKIE_SIZE; i++) input[n++] = q[client + i];
    for (let i = 0; i < HASH_AT; i++) input[n++] = s[server + i];
    for (let i = 0; i < ipLen; i++) input[n++] = ip[i];
    return n;
  }

  private matches(q: Uint8Array, at: number): boolean {
    let diff = 0;
    for (let i = 0; i < SIPHASH_OUTPUT_SIZE; i++) diff |= q[at + i] ^ this.hash[i];
    return diff === 0;
  }
}

function writeU32(b: Uint8Array, at: number, x: number): void {
  b[at] = (x >>> 24) & 0xff;
  b[at + 1] = (x >>> 16) & 0xff;
  b[at + 2] = (x >>> 8) & 0xff;
  b[at + 3] = x & 0xff;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
