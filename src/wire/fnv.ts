/**
 * FNV-1a's 32-bit parameters (Fowler, Noll, Vo) and the hash made with them: of name suffixes for
 * compression (name.ts), of lookup keys and answers (src/answer/hash.ts, pack.ts,
 * same-responses.ts), and of records (src/transfer/difference.ts).
 */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a's state `h` carried over the octets [start, end): a key's hash goes on from its name's. */
export function fnv(h: number, bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h;
}

/**
 * The last step of a hash on FNV-1a's state: Murmur3's finalizer, so that the low bits (a slot of
 * an index) depend on all. Never 0, which marks an empty slot in the indexes that keep hashes.
 */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}
