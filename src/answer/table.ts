import { TYPE } from '../wire/constants.js';
import type { CompiledZone } from './compile.js';
import { keyOfEntry, KEY_TYPE_OCTETS, packZone, type PackedZone } from './arena.js';
import { KeyIndex } from './keyindex.js';

function nameOfKey(key: string): string {
  return key.slice(0, key.length - KEY_TYPE_OCTETS);
}

/** A zone as the table keeps it: packed (src/answer/arena.ts), with its id in the index. */
export interface ServedZone extends Omit<CompiledZone, 'entries'>, PackedZone {
  readonly id: number;
}

/**
 * All served answers in one index keyed by (name, type), across zones. A name belongs to the deepest
 * zone that contains it (zones may nest: example.com and sub.example.com). Installing or removing
 * a zone touches only that zone's keys (and a parent's keys under it), and happens in one
 * synchronous step, so no query ever sees half a zone.
 */
export class AnswerTable {
  readonly index = new KeyIndex();
  private readonly zones = new Map<string, ServedZone>();
  /**
   * Name key → how many served zones lie strictly below it; absent when none (the usual case).
   * Kept for every ancestor of a served apex, served or not, so a parent installed after its
   * child still finds it (the child's names stay the child's whatever the load order).
   */
  private readonly nested = new Map<string, number>();

  get zoneCount(): number {
    return this.zones.size;
  }

  zone(apexKey: string): ServedZone | undefined {
    return this.zones.get(apexKey);
  }

  allZones(): IterableIterator<ServedZone> {
    return this.zones.values();
  }

  /** The deepest served zone at or above a wire-form name (latin1 key without type). */
  private owner(nameWire: string): ServedZone | undefined {
    for (let i = 0; i < nameWire.length; i += nameWire.charCodeAt(i) + 1) {
      const z = this.zones.get(nameWire.slice(i));
      if (z) return z;
    }
    return undefined;
  }

  /**
   * The zone that answers a key: the deepest zone holding its name, except that DS at a served
   * zone's apex is answered by the parent zone when we serve it (RFC 4035 §3.1.4.1: the DS RRset
   * lives on the parent side of the cut), as NSD does.
   */
  private keyOwner(key: string): ServedZone | undefined {
    const name = nameOfKey(key);
    const ds = key.charCodeAt(key.length - 2) === 0 && key.charCodeAt(key.length - 1) === TYPE.DS;
    if (ds && this.zones.has(name)) return this.owner(name.slice(name.charCodeAt(0) + 1)) ?? this.zones.get(name);
    return this.owner(name);
  }

  private unlink(zone: ServedZone): void {
    for (let i = 0; i < zone.values.length; i++) this.index.unlink(zone.id, i);
  }

  /** Links the keys of `zone` whose names no deeper zone holds. */
  private link(zone: ServedZone): void {
    // No zone below it: every name is its own, no need to look for a deeper owner (1M-record loads).
    const alone = !this.nested.has(zone.apexKey);
    for (let i = 0; i < zone.values.length; i++) {
      if (alone || this.keyOwner(keyOfEntry(zone.bytes, zone.offsets[i])) === zone) this.index.link(zone.id, i);
    }
  }

  /** Names strictly above `apexKey`, deepest first (the root last). */
  private static ancestors(apexKey: string): string[] {
    const out: string[] = [];
    for (let i = apexKey.charCodeAt(0) + 1; i < apexKey.length; i += apexKey.charCodeAt(i) + 1) out.push(apexKey.slice(i));
    return out;
  }

  /** Zones strictly above `apexKey` (its parents), deepest first. */
  private parents(apexKey: string): ServedZone[] {
    return AnswerTable.ancestors(apexKey).map((k) => this.zones.get(k)).filter((z): z is ServedZone => z !== undefined);
  }

  /** Swaps in a compiled zone, replacing any previous version of it whole. */
  install(compiled: CompiledZone): void {
    const { apex, apexKey, serial, records } = compiled;
    const packed = packZone(compiled);
    const zone: ServedZone = { apex, apexKey, serial, records, ...packed, id: this.index.attach(packed) };
    const old = this.zones.get(zone.apexKey);
    this.zones.set(zone.apexKey, zone);
    if (!old) {
      for (const k of AnswerTable.ancestors(zone.apexKey)) this.nested.set(k, (this.nested.get(k) ?? 0) + 1);
      // A new child zone takes over its names from any parent zone.
      for (const p of this.parents(zone.apexKey)) {
        for (let i = 0; i < p.values.length; i++) {
          if (this.index.holds(p.id, i) && this.keyOwner(keyOfEntry(p.bytes, p.offsets[i])) !== p) this.index.unlink(p.id, i);
        }
      }
    }
    // The new version takes over the keys both versions have in place; then what only the old
    // one had goes (unlinking all first would shrink and regrow the index for a large zone).
    this.link(zone);
    if (old) {
      this.unlink(old);
      this.index.detach(old.id);
    }
  }

  /**
   * Stops serving a zone; names under it go back to a parent zone if one is served. Returns the
   * zone as it was served (its id no longer names it in the index).
   */
  remove(apexKey: string): ServedZone | undefined {
    const zone = this.zones.get(apexKey);
    if (!zone) return undefined;
    this.unlink(zone);
    this.index.detach(zone.id);
    this.zones.delete(apexKey);
    for (const k of AnswerTable.ancestors(apexKey)) {
      const n = this.nested.get(k)! - 1;
      if (n === 0) this.nested.delete(k);
      else this.nested.set(k, n);
    }
    for (const p of this.parents(apexKey)) this.link(p);
    return zone;
  }
}
