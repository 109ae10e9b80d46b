import { ENTRY_KEY_AT, keyEnd, type PackedZone } from './arena.js';
import type { Answer } from './answer.js';

/**
 * Which served entry answers a key: a hash index over the entries of the packed zones
 * (src/answer/arena.ts), found from the query's own bytes with no string made per lookup.
 *
 * Open addressing with linear probing over one Int32Array, four integers a slot: the key's hash,
 * the zone's id, the entry's offset in the zone's buffer and its index. A probe reads consecutive
 * slots (four to a cache line) and touches a zone's buffer only when a whole hash matches; there,
 * the key and the usual answer's packet lie side by side. Deletion shifts later entries of the
 * run back (no tombstones), so lookups do not slow down as zones are reloaded.
 */

const SLOT_INTS = 4;
const HASH = 0;
const ZONE = 1;
const OFFSET = 2;
const INDEX = 3;
/** A stored hash is never 0: 0 marks an empty slot. */
const EMPTY = 0;
/** Slots are doubled when more than this fraction would be used; halved below a quarter of it. */
const MAX_LOAD = 0.75;
const MIN_SLOTS = 16;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the octets [start, end), then Murmur3's finalizer so the low bits depend on all. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === EMPTY ? 1 : h;
}

/** True when the key of the entry at `o` in `bytes` is octets [start, end) of `key`. */
function keyIs(bytes: Uint8Array, o: number, key: Uint8Array, start: number, end: number): boolean {
  const from = o + ENTRY_KEY_AT;
  if (keyEnd(bytes, o) - from !== end - start) return false;
  for (let i = start, j = from; i < end; i++, j++) if (bytes[j] !== key[i]) return false;
  return true;
}

export class KeyIndex {
  private slots = new Int32Array(MIN_SLOTS * SLOT_INTS);
  private mask = MIN_SLOTS - 1;
  private used = 0;
  /** By zone id: the zones' buffers and answers; ids of detached zones are reused. */
  private readonly buffers: (Buffer | null)[] = [];
  private readonly values: (Answer[] | null)[] = [];
  private readonly offsets: (Int32Array | null)[] = [];
  private readonly freeIds: number[] = [];

  get size(): number {
    return this.used;
  }

  /** Makes a packed zone's entries linkable; returns its id. */
  attach(zone: PackedZone): number {
    const id = this.freeIds.pop() ?? this.buffers.length;
    this.buffers[id] = zone.bytes;
    this.values[id] = zone.values;
    this.offsets[id] = zone.offsets;
    return id;
  }

  /** Forgets a zone whose entries are all unlinked. */
  detach(id: number): void {
    this.buffers[id] = null;
    this.values[id] = null;
    this.offsets[id] = null;
    this.freeIds.push(id);
  }

  /** The slot whose key is octets [start, end) of `key` (with hash `hash`), or -1. */
  find(key: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = i * SLOT_INTS;
      const h = slots[s + HASH];
      if (h === EMPTY) return -1;
      if (h === hash && keyIs(this.buffers[slots[s + ZONE]]!, slots[s + OFFSET], key, start, end)) return i;
    }
  }

  /** The buffer of the zone holding the entry in `slot`. */
  bytesOf(slot: number): Buffer {
    return this.buffers[this.slots[slot * SLOT_INTS + ZONE]]!;
  }

  /** The offset of the entry in `slot` within bytesOf(slot). */
  offsetOf(slot: number): number {
    return this.slots[slot * SLOT_INTS + OFFSET];
  }

  answerOf(slot: number): Answer {
    const s = slot * SLOT_INTS;
    return this.values[this.slots[s + ZONE]]![this.slots[s + INDEX]];
  }

  /** True when entry `index` of zone `id` is the one answering its key. */
  holds(id: number, index: number): boolean {
    return this.owns(this.slotOfEntry(id, index, this.hashOfEntry(id, index)), id, index);
  }

  /** Makes entry `index` of zone `id` the one answering its key, replacing any other. */
  link(id: number, index: number): void {
    const hash = this.hashOfEntry(id, index);
    let slot = this.slotOfEntry(id, index, hash);
    if (slot < 0) {
      if (this.used + 1 > MAX_LOAD * (this.mask + 1)) this.resize((this.mask + 1) * 2);
      slot = this.freeSlot(hash);
      this.used++;
    }
    const s = slot * SLOT_INTS;
    this.slots[s + ZONE] = id;
    this.slots[s + OFFSET] = this.offsets[id]![index];
    this.slots[s + INDEX] = index;
  }

  /** Unlinks entry `index` of zone `id` if it is the one answering its key. */
  unlink(id: number, index: number): void {
    let i = this.slotOfEntry(id, index, this.hashOfEntry(id, index));
    if (!this.owns(i, id, index)) return;
    const slots = this.slots;
    const mask = this.mask;
    // Backward-shift deletion: move up every later entry of the run whose home slot is not in
    // (i, j], so that none is left behind an empty slot where its probe would stop.
    for (let j = (i + 1) & mask; slots[j * SLOT_INTS + HASH] !== EMPTY; j = (j + 1) & mask) {
      const home = slots[j * SLOT_INTS + HASH] & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      slots.copyWithin(i * SLOT_INTS, j * SLOT_INTS, (j + 1) * SLOT_INTS);
      i = j;
    }
    slots.fill(EMPTY, i * SLOT_INTS, (i + 1) * SLOT_INTS);
    this.used--;
    if (this.mask + 1 > MIN_SLOTS && this.used < (MAX_LOAD / 4) * (this.mask + 1)) this.resize((this.mask + 1) / 2);
  }

  private owns(slot: number, id: number, index: number): boolean {
    return slot >= 0 && this.slots[slot * SLOT_INTS + ZONE] === id && this.slots[slot * SLOT_INTS + INDEX] === index;
  }

  private hashOfEntry(id: number, index: number): number {
    const bytes = this.buffers[id]!;
    const o = this.offsets[id]![index];
    return hashBytes(bytes, o + ENTRY_KEY_AT, keyEnd(bytes, o));
  }

  /** The slot holding the key of entry `index` of zone `id` (whichever zone answers it), or -1. */
  private slotOfEntry(id: number, index: number, hash: number): number {
    const bytes = this.buffers[id]!;
    const o = this.offsets[id]![index];
    return this.find(bytes, o + ENTRY_KEY_AT, keyEnd(bytes, o), hash);
  }

  /** The first empty slot of the run starting at the hash's home, with the hash stored. */
  private freeSlot(hash: number): number {
    let i = hash & this.mask;
    while (this.slots[i * SLOT_INTS + HASH] !== EMPTY) i = (i + 1) & this.mask;
    this.slots[i * SLOT_INTS + HASH] = hash;
    return i;
  }

  private resize(count: number): void {
    const old = this.slots;
    this.slots = new Int32Array(count * SLOT_INTS);
    this.mask = count - 1;
    for (let s = 0; s < old.length; s += SLOT_INTS) {
      if (old[s + HASH] === EMPTY) continue;
      const i = this.freeSlot(old[s + HASH]) * SLOT_INTS;
      this.slots[i + ZONE] = old[s + ZONE];
      this.slots[i + OFFSET] = old[s + OFFSET];
      this.slots[i + INDEX] = old[s + INDEX];
    }
  }
}
