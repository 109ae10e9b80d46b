/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): the keyed hash
 * RFC 9018 §4.4 makes server cookies with. 64-bit words are kept as two 32-bit halves in one
 * reused state, so hashing allocates nothing.
 */

/** Key size (octets). */
export const SIPHASH_KEY_SIZE = 16;
/** Output size (octets). */
export const SIPHASH_OUTPUT_SIZE = 8;

/** v0..v3 as [hi, lo] pairs: v0 at 0-1, v1 at 2-3, v2 at 4-5, v3 at 6-7. */
const v = new Uint32Array(8);
/** The message word being absorbed: [hi, lo]. */
const m = new Uint32Array(2);

/** v[a] += v[b] (mod 2^64). */
function add(a: number, b: number): void {
  const lo = v[a + 1] + v[b + 1];
  v[a] = v[a] + v[b] + (lo > 0xffffffff ? 1 : 0);
  v[a + 1] = lo;
}

/** v[a] = v[a] rotated left by `n` bits (0 < n < 64, n !== 32). */
function rotl(a: number, n: number): void {
  let hi = v[a];
  let lo = v[a + 1];
  if (n > 32) {
    const t = hi;
    hi = lo;
    lo = t;
    n -= 32;
  }
  v[a] = (hi << n) | (lo >>> (32 - n));
  v[a + 1] = (lo << n) | (hi >>> (32 - n));
}

/** v[a] rotated by 32 bits: its halves swapped. */
function swap(a: number): void {
  const t = v[a];
  v[a] = v[a + 1];
  v[a + 1] = t;
}

/** v[a] ^= v[b]. */
function xor(a: number, b: number): void {
  v[a] ^= v[b];
  v[a + 1] ^= v[b + 1];
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function sipRound(): void {
  add(V0, V1); rotl(V1, 13); xor(V1, V0); swap(V0);
  add(V2, V3); rotl(V3, 16); xor(V3, V2);
  add(V0, V3); rotl(V3, 21); xor(V3, V0);
  add(V2, V1); rotl(V1, 17); xor(V1, V2); swap(V2);
}

/** Reads a little-endian 32-bit word. */
function le32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Absorbs the word in `m` with two compression rounds (SipHash-2-x). */
function absorb(): void {
  v[V3] ^= m[0];
  v[V3 + 1] ^= m[1];
  sipRound();
  sipRound();
  v[V0] ^= m[0];
  v[V0 + 1] ^= m[1];
}

/**
 * SipHash-2-4 of octets [start, end) of `data` under the 16-octet `key`, written to `out` at `at`
 * as the reference implementation outputs it (the 64-bit result, little-endian).
 */
export function siphash24(key: Uint8Array, data: Uint8Array, start: number, end: number, out: Uint8Array, at: number): void {
  const k0lo = le32(key, 0);
  const k0hi = le32(key, 4);
  const k1lo = le32(key, 8);
  const k1hi = le32(key, 12);
  // "somepseudorandomlygeneratedbytes"
  v[V0] = k0hi ^ 0x736f6d65; v[V0 + 1] = k0lo ^ 0x70736575;
  v[V1] = k1hi ^ 0x646f7261; v[V1 + 1] = k1lo ^ 0x6e646f6d;
  v[V2] = k0hi ^ 0x6c796765; v[V2 + 1] = k0lo ^ 0x6e657261;
  v[V3] = k1hi ^ 0x74656462; v[V3 + 1] = k1lo ^ 0x79746573;
  const len = end - start;
  const whole = start + (len & ~7);
  let p = start;
  for (; p < whole; p += 8) {
    m[1] = le32(data, p);
    m[0] = le32(data, p + 4);
    absorb();
  }
  // The last word: the remaining octets, and the length's low octet in the top one.
  let lo = 0;
  let hi = (len & 0xff) << 24;
  for (let i = 0; p < end; i++, p++) {
    if (i < 4) lo |= data[p] << (8 * i);
    else hi |= data[p] << (8 * (i - 4));
  }
  m[0] = hi;
  m[1] = lo;
  absorb();
  v[V2 + 1] ^= 0xff;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  const rhi = v[V0] ^ v[V1] ^ v[V2] ^ v[V3];
  const rlo = v[V0 + 1] ^ v[V1 + 1] ^ v[V2 + 1] ^ v[V3 + 1];
  for (let i = 0; i < 4; i++) {
    out[at + i] = (rlo >>> (8 * i)) & 0xff;
    out[at + 4 + i] = (rhi >>> (8 * i)) & 0xff;
  }
}
