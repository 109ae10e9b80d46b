import { finishHash, fnv, FNV_OFFSET, FNV_PRIME } from '../wire/fnv.js';
import { lowerByte } from '../wire/name.js';

/** A key's ints: where it starts, where its folded part ends, where it ends, its hash. */
const KEY = { FROM: 0, FOLD: 1, TO: 2, HASH: 3 } as const;
const KEY_INTS = 4;
/** A slot holds a key's number plus one; 0 is empty. */
const EMPTY_SLOT = 0;

/**
 * Keys in one buffer (each a range of it), found by their octets without a string made per key
 * (the records of a version of a zone, a million in a large one: difference.ts). A key's first part
 * (an owner name) compares in lower case (RFC 4343), the rest octet for octet. Open addressing over
 * a table at most half full.
 */
export class OctetKeys {
  private readonly slots: Int32Array;
  /** KEY_INTS a key. */
  private readonly keys: Int32Array;
  private size = 0;

  /** `capacity`: how many keys at most will be added. */
  constructor(private readonly bytes: Uint8Array, capacity: number) {
    this.slots = new Int32Array(1 << (32 - Math.clz32(2 * capacity + 1)));
    this.keys = new Int32Array(KEY_INTS * capacity);
  }

  /** The number of the key of `b` from `from` to `to`, its octets to `fold` in lower case, or -1. */
  find(hash: number, b: Uint8Array, from: number, fold: number, to: number): number {
    const mask = this.slots.length - 1;
    for (let s = hash & mask; this.slots[s] !== EMPTY_SLOT; s = (s + 1) & mask) {
      const k = this.slots[s] - 1;
      const at = k * KEY_INTS;
      if (this.keys[at + KEY.HASH] === hash && sameKey(this.bytes, this.keys[at + KEY.FROM], this.keys[at + KEY.FOLD], this.keys[at + KEY.TO], b, from, fold, to)) return k;
    }
    return -1;
  }

  /** The hash key `k` was added with. */
  hash(k: number): number {
    return this.keys[k * KEY_INTS + KEY.HASH];
  }

  /** Adds a key of the buffer that find did not find; returns its number. */
  add(hash: number, from: number, fold: number, to: number): number {
    const mask = this.slots.length - 1;
    let s = hash & mask;
    while (this.slots[s] !== EMPTY_SLOT) s = (s + 1) & mask;
    const k = this.size++;
    this.slots[s] = k + 1;
    const at = k * KEY_INTS;
    this.keys[at + KEY.FROM] = from;
    this.keys[at + KEY.FOLD] = fold;
    this.keys[at + KEY.TO] = to;
    this.keys[at + KEY.HASH] = hash;
    return k;
  }
}

/** The hash of a key (see OctetKeys). */
export function keyHash(b: Uint8Array, from: number, fold: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < fold; i++) h = Math.imul(h ^ lowerByte(b[i]), FNV_PRIME);
  return finishHash(fnv(h, b, fold, to));
}

function sameKey(a: Uint8Array, aFrom: number, aFold: number, aTo: number, b: Uint8Array, bFrom: number, bFold: number, bTo: number): boolean {
  if (aFold - aFrom !== bFold - bFrom || aTo - aFrom !== bTo - bFrom) return false;
  for (let i = 0; i < aFold - aFrom; i++) if (lowerByte(a[aFrom + i]) !== lowerByte(b[bFrom + i])) return false;
  for (let i = aFold - aFrom; i < aTo - aFrom; i++) if (a[aFrom + i] !== b[bFrom + i]) return false;
  return true;
}
