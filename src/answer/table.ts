import { EMPTY_HASH, hashBytes } from './hash.js';
import type { ServedZone } from './zone.js';

/** Slots of the apex index: the apex key's hash (0: empty) and the zone's id plus one. */
const SLOT_INTS = 2;
const HASH = 0;
const ID = 1;
/** Slots are doubled when more than this fraction would be used; halved below a quarter of it. */
const MAX_LOAD = 0.5;
const MIN_SLOTS = 16;

/**
 * The served zones, found by their apex from a query's own bytes. Each zone keeps its own index
 * of its keys (src/answer/zone.ts), so installing, replacing or removing a zone is one step here,
 * whatever its size: no query ever sees half a zone, and a zone of a million records swaps in as
 * fast as one of ten.
 *
 * A name belongs to the deepest served zone at or above it (zones may nest: example.com and
 * sub.example.com): `zoneAt` is asked for the name's suffixes, longest first.
 */
export class AnswerTable {
  private readonly zones = new Map<string, ServedZone>();
  /** By id (index + 1 in the slots); ids of removed zones are reused. */
  private readonly byId: (ServedZone | null)[] = [];
  private readonly ids = new Map<string, number>();
  private readonly freeIds: number[] = [];
  private slots = new Int32Array(MIN_SLOTS * SLOT_INTS);
  private mask = MIN_SLOTS - 1;
  /** Served zones by the number of labels of their apex; the most labels any apex has. */
  private readonly byLabels = new Int32Array(128);
  private maxLabels = 0;

  /**
   * The most labels of any served apex: a query's suffixes with more labels than this need not be
   * looked up (with every zone at two labels, a query costs one apex lookup, however deep its name).
   */
  get deepestApex(): number {
    return this.maxLabels;
  }

  get zoneCount(): number {
    return this.zones.size;
  }

  zone(apexKey: string): ServedZone | undefined {
    return this.zones.get(apexKey);
  }

  allZones(): IterableIterator<ServedZone> {
    return this.zones.values();
  }

  /** The zone whose apex is octets [start, end) of `key`, or null. */
  zoneAt(key: Uint8Array, start: number, end: number): ServedZone | null {
    const hash = hashBytes(key, start, end);
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const h = slots[i * SLOT_INTS + HASH];
      if (h === EMPTY_HASH) return null;
      if (h !== hash) continue;
      const z = this.byId[slots[i * SLOT_INTS + ID] - 1]!;
      const apex = z.apexWire;
      if (apex.length !== end - start) continue;
      let same = true;
      for (let k = start, j = 0; k < end; k++, j++) {
        if (apex[j] !== key[k]) {
          same = false;
          break;
        }
      }
      if (same) return z;
    }
  }

  /** Swaps in a zone, replacing any previous version of it whole. */
  install(zone: ServedZone): void {
    const id = this.ids.get(zone.apexKey);
    this.zones.set(zone.apexKey, zone);
    if (id !== undefined) {
      this.byId[id] = zone;
      return;
    }
    const fresh = this.freeIds.pop() ?? this.byId.length;
    this.byId[fresh] = zone;
    this.ids.set(zone.apexKey, fresh);
    if (this.ids.size > MAX_LOAD * (this.mask + 1)) this.resize((this.mask + 1) * 2);
    this.insert(hashBytes(zone.apexWire, 0, zone.apexWire.length), fresh);
    this.countLabels(zone, 1);
  }

  private countLabels(zone: ServedZone, by: 1 | -1): void {
    this.byLabels[zone.labels] += by;
    let max = this.byLabels.length - 1;
    while (max > 0 && this.byLabels[max] === 0) max--;
    this.maxLabels = max;
  }

  /** Stops serving a zone; names under it go back to a parent zone if one is served. */
  remove(apexKey: string): ServedZone | undefined {
    const zone = this.zones.get(apexKey);
    const id = this.ids.get(apexKey);
    if (zone === undefined || id === undefined) return undefined;
    this.zones.delete(apexKey);
    this.ids.delete(apexKey);
    const slots = this.slots;
    const mask = this.mask;
    let i = hashBytes(zone.apexWire, 0, zone.apexWire.length) & mask;
    while (slots[i * SLOT_INTS + ID] !== id + 1) i = (i + 1) & mask;
    // Backward-shift deletion: move up every later entry of the run whose home slot is not in
    // (i, j], so that none is left behind an empty slot where its probe would stop.
    for (let j = (i + 1) & mask; slots[j * SLOT_INTS + HASH] !== EMPTY_HASH; j = (j + 1) & mask) {
      const home = slots[j * SLOT_INTS + HASH] & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      slots.copyWithin(i * SLOT_INTS, j * SLOT_INTS, (j + 1) * SLOT_INTS);
      i = j;
    }
    slots.fill(EMPTY_HASH, i * SLOT_INTS, (i + 1) * SLOT_INTS);
    this.byId[id] = null;
    this.freeIds.push(id);
    this.countLabels(zone, -1);
    if (this.mask + 1 > MIN_SLOTS && this.ids.size < (MAX_LOAD / 4) * (this.mask + 1)) this.resize((this.mask + 1) / 2);
    return zone;
  }

  private insert(hash: number, id: number): void {
    let i = hash & this.mask;
    while (this.slots[i * SLOT_INTS + HASH] !== EMPTY_HASH) i = (i + 1) & this.mask;
    this.slots[i * SLOT_INTS + HASH] = hash;
    this.slots[i * SLOT_INTS + ID] = id + 1;
  }

  private resize(count: number): void {
    const old = this.slots;
    this.slots = new Int32Array(count * SLOT_INTS);
    this.mask = count - 1;
    for (let s = 0; s < old.length; s += SLOT_INTS) if (old[s + HASH] !== EMPTY_HASH) this.insert(old[s + HASH], old[s + ID] - 1);
  }
}
