import { FNV_OFFSET, FNV_PRIME } from '../wire/fnv.js';

/** A stored hash is never 0: 0 marks an empty slot of an index. */
export const EMPTY_HASH = 0;


/**
 * FNV-1a over the octets [start, end), then Murmur3's finalizer so the low bits depend on all:
 * the hash of a lookup key, computed from the query's own bytes (no string made per query).
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  return finishHash(fnv(FNV_OFFSET, bytes, start, end));
}

/** FNV-1a's state `h` carried over the octets [start, end): a key's hash goes on from its name's. */
export function fnv(h: number, bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h;
}

/** hashBytes's last step, on FNV-1a's state. */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === EMPTY_HASH ? 1 : h;
}
