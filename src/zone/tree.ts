import { TYPE } from '../wire/constants.js';
import { isSubdomain, nameKey, type Name } from '../wire/name.js';
import type { RData } from '../wire/rdata.js';
import type { Zone } from './model.js';

/** Identity of RDATA for duplicate detection; names compare case-insensitively. */
function rdataKey(d: RData): string {
  return JSON.stringify(d, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'string' ? v.toLowerCase() : v);
}

/** RFC 4592 §2.1.1: the label that makes a name a wildcard. */
const WILDCARD_LABEL = '*';

/** An RRset: records of one owner and type, one TTL (RFC 2181 §5). */
export interface RRset {
  owner: Name;
  type: number;
  ttl: number;
  data: RData[];
}

/** True when two lists hold the same RRsets (the same objects) in the same order. */
export function sameSets(x: readonly RRset[], y: readonly RRset[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** No RRset: what a name holds until its first (an empty non-terminal holds none). */
const NO_RRSETS: readonly RRset[] = Object.freeze([]);

/**
 * A name's RRsets in file order, one per type. A list, not a Map: a name holds a few types, most
 * one, and a zone a million names; a Map each was a third of a large zone's tree.
 */
export class RRsets {
  private sets = NO_RRSETS as RRset[];

  get size(): number {
    return this.sets.length;
  }

  get(type: number): RRset | undefined {
    // Indexed: asked several times for every answer compiled, and a for-of's iterator is not
    // always optimised away (each step an object to collect).
    const sets = this.sets;
    for (let i = 0; i < sets.length; i++) if (sets[i].type === type) return sets[i];
    return undefined;
  }

  has(type: number): boolean {
    return this.get(type) !== undefined;
  }

  /** Adds an RRset of a type the name does not hold yet. */
  add(set: RRset): void {
    // The first is held in an array of its own size: most names stop there.
    if (this.sets.length === 0) this.sets = [set];
    else this.sets.push(set);
  }

  delete(type: number): void {
    this.sets = this.sets.filter((s) => s.type !== type);
  }

  /** The RRsets, in file order. */
  values(): readonly RRset[] {
    return this.sets;
  }

  /** Their types, in file order. */
  types(): number[] {
    return this.sets.map((s) => s.type);
  }

  /** Holds `sets` instead (values() taken before a change: see health.ts). */
  replace(sets: readonly RRset[]): void {
    this.sets = [...sets];
  }
}

/** A name in the zone: its RRsets in file order, or none for an empty non-terminal. */
export interface ZoneNode {
  name: Name;
  /** nameKey(name): its key in `nodes`. */
  key: string;
  rrsets: RRsets;
}

/**
 * The zone as a tree of names: every owner, every empty non-terminal between an owner and the
 * apex (RFC 4592 §2.2.2), and the delegation points (NS below the apex, RFC 1034 §4.2.1).
 */
export class ZoneTree {
  readonly nodes = new Map<string, ZoneNode>();
  /** Delegation points by key; names below them are occluded except as glue. */
  readonly cuts = new Map<string, ZoneNode>();
  readonly apexKey: string;
  /** Every type present in the zone, SOA included. */
  readonly types = new Set<number>();
  /** Records in the tree, SOA included (duplicates dropped: RFC 2181 §5). */
  records = 0;
  /**
   * Wildcard nodes by their parent's key: asked for every name of the zone, and the parent's key
   * is the tree's own string (its hash kept), where `*.<name>`'s key would be a new one to hash.
   */
  private readonly wildcards = new Map<string, ZoneNode>();
  /** The apex's node: the parent of most names, found without a key made and looked up. */
  readonly apex: ZoneNode;
  /** The parent parentOf found last. */
  private lastParent: ZoneNode | null = null;

  constructor(readonly zone: Zone) {
    this.apexKey = nameKey(zone.apex);
    this.apex = this.node(zone.apex, this.apexKey);
    // RDATA already in each RRset, for duplicate checks while the tree is built.
    const seen = new Map<RRset, Set<string>>();
    this.add(zone.apex, TYPE.SOA, zone.soa.ttl, zone.soa.data, seen);
    const records = zone.records;
    for (let i = 0; i < records.length; i++) this.add(records[i].owner, records[i].type, records[i].ttl, records[i].data, seen);
    this.nodes.forEach((node) => {
      if (node.key !== this.apexKey && node.rrsets.has(TYPE.NS)) this.cuts.set(node.key, node);
    });
  }

  private add(owner: Name, type: number, ttl: number, data: RData, seen: Map<RRset, Set<string>>): void {
    const node = this.node(owner);
    this.types.add(type);
    const set = node.rrsets.get(type);
    if (!set) {
      node.rrsets.add({ owner: node.name, type, ttl, data: [data] });
      this.records++;
      return;
    }
    // RFC 2181 §5.2: one TTL per RRset; the lowest wins. §5: an RRset holds no duplicates.
    set.ttl = Math.min(set.ttl, ttl);
    // Keys are made from the second record on: most RRsets hold one.
    let keys = seen.get(set);
    if (!keys) seen.set(set, (keys = new Set([rdataKey(set.data[0])])));
    const key = rdataKey(data);
    if (keys.has(key)) return;
    keys.add(key);
    set.data.push(data);
    this.records++;
  }

  /** The node for `name`, creating it and its empty non-terminal ancestors. */
  private node(name: Name, key = nameKey(name)): ZoneNode {
    let node = this.nodes.get(key);
    if (node) return node;
    node = { name, key, rrsets: new RRsets() };
    this.nodes.set(key, node);
    if (name.length > this.zone.apex.length) {
      // The parent's key is a tail of this one's.
      const parent = name.length === this.zone.apex.length + 1 ? this.apex : this.parentOf(name, key);
      if (name[0] === WILDCARD_LABEL) this.wildcards.set(parent.key, node);
    }
    return node;
  }

  /**
   * The parent of a name two labels or more below the apex: the last one found when it is that
   * (names in a file are mostly in order, siblings together: its key compared in place, no key
   * made and looked up in a map of a million, each lookup likely a cache miss).
   */
  private parentOf(name: Name, key: string): ZoneNode {
    const at = 1 + name[0].length;
    const last = this.lastParent;
    if (last !== null && last.key.length === key.length - at && key.endsWith(last.key)) return last;
    return (this.lastParent = this.node(name.slice(1), key.slice(at)));
  }

  /** The node `*.<name>` (RFC 4592 §2.1.1), by the name's key. */
  wildcard(key: string): ZoneNode | undefined {
    return this.wildcards.get(key);
  }

  inZone(name: Name): boolean {
    return isSubdomain(name, this.zone.apex);
  }

  /**
   * The delegation point at or above `name`, if any (the highest one: it occludes the rest).
   * `key`: the name's nameKey, when the caller has it. Asked for every name an answer touches.
   */
  cutAbove(name: Name, key?: string): ZoneNode | undefined {
    if (this.cuts.size === 0) return undefined;
    key ??= nameKey(name);
    // The key of name.slice(i) is key.slice(at), `at` the octets of the labels before i: from the
    // label below the apex up to the name.
    const top = name.length - this.zone.apex.length - 1;
    let at = 0;
    for (let i = 0; i < top; i++) at += 1 + name[i].length;
    for (let i = top; i >= 0; i--) {
      const cut = this.cuts.get(key.slice(at));
      if (cut) return cut;
      if (i > 0) at -= 1 + name[i - 1].length;
    }
    return undefined;
  }

  /** True when `name` lies strictly below a delegation point (glue and occluded data). */
  occluded(name: Name, key?: string): boolean {
    const cut = this.cutAbove(name, key);
    return cut !== undefined && cut.name.length < name.length;
  }
}
