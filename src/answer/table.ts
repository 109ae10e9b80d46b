import type { Answer } from './answer.js';
import type { CompiledZone } from '../zone/compile.js';

/** Length of the query type appended to a name's wire form in a key. */
const TYPE_OCTETS = 2;

function nameOfKey(key: string): string {
  return key.slice(0, key.length - TYPE_OCTETS);
}

/**
 * All served answers in one Map keyed by (name, type), across zones. A name belongs to the deepest
 * zone that contains it (zones may nest: example.com and sub.example.com). Installing or removing
 * a zone touches only that zone's keys (and a parent's keys under it), and happens in one
 * synchronous step, so no query ever sees half a zone.
 */
export class AnswerTable {
  readonly answers = new Map<string, Answer>();
  private readonly zones = new Map<string, CompiledZone>();

  get zoneCount(): number {
    return this.zones.size;
  }

  zone(apexKey: string): CompiledZone | undefined {
    return this.zones.get(apexKey);
  }

  allZones(): IterableIterator<CompiledZone> {
    return this.zones.values();
  }

  /** The deepest served zone at or above a wire-form name (latin1 key without type). */
  private owner(nameWire: string): CompiledZone | undefined {
    for (let i = 0; i < nameWire.length; i += nameWire.charCodeAt(i) + 1) {
      const z = this.zones.get(nameWire.slice(i));
      if (z) return z;
    }
    return undefined;
  }

  private unlink(zone: CompiledZone): void {
    for (const [k, a] of zone.entries) if (this.answers.get(k) === a) this.answers.delete(k);
  }

  /** Links the keys of `zone` whose names no deeper zone holds. */
  private link(zone: CompiledZone): void {
    for (const [k, a] of zone.entries) if (this.owner(nameOfKey(k)) === zone) this.answers.set(k, a);
  }

  /** Zones strictly above `apexKey` (its parents), deepest first. */
  private parents(apexKey: string): CompiledZone[] {
    const out: CompiledZone[] = [];
    for (let i = apexKey.charCodeAt(0) + 1; i < apexKey.length; i += apexKey.charCodeAt(i) + 1) {
      const z = this.zones.get(apexKey.slice(i));
      if (z) out.push(z);
    }
    return out;
  }

  /** Swaps in a compiled zone, replacing any previous version of it whole. */
  install(zone: CompiledZone): void {
    const old = this.zones.get(zone.apexKey);
    if (old) this.unlink(old);
    this.zones.set(zone.apexKey, zone);
    if (!old) {
      // A new child zone takes over its names from any parent zone.
      for (const p of this.parents(zone.apexKey)) {
        for (const [k, a] of p.entries) {
          if (this.answers.get(k) === a && this.owner(nameOfKey(k)) !== p) this.answers.delete(k);
        }
      }
    }
    this.link(zone);
  }

  /** Stops serving a zone; names under it go back to a parent zone if one is served. */
  remove(apexKey: string): CompiledZone | undefined {
    const zone = this.zones.get(apexKey);
    if (!zone) return undefined;
    this.unlink(zone);
    this.zones.delete(apexKey);
    for (const p of this.parents(apexKey)) this.link(p);
    return zone;
  }
}
