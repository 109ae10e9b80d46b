import { finishHash, fnv, FNV_OFFSET } from '../wire/fnv.js';

/** A stored hash is never 0 (finishHash): 0 marks an empty slot of an index. */
export const EMPTY_HASH = 0;

/**
 * FNV-1a over the octets [start, end), then finishHash: the hash of a lookup key, computed from
 * the query's own bytes (no string made per query).
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  return finishHash(fnv(FNV_OFFSET, bytes, start, end));
}
