import { isSubdomain, type Name } from '../wire/name.js';
import { compressesNames, type RData } from '../wire/rdata.js';
import type { Resolution } from '../zone/resolve.js';
import { sameSets, type RRset } from '../zone/tree.js';

/** One encoded tail: its sections' RRsets and where its octets lie in the arena. */
interface Tail {
  authority: readonly RRset[];
  additional: readonly RRset[];
  at: number;
  length: number;
}

/**
 * The tails encoded so far, end to end (compiling is synchronous, and one zone compiles at a
 * time: each zone's SectionTails starts it again), kept from zone to zone: an arena of its own for
 * each zone would be an ArrayBuffer a zone.
 */
let arena = new Uint8Array(4096);
let used = 0;

/**
 * The authority and additional sections of a zone's answers (their tail), encoded once per place
 * and copied after that. Most answers of a zone with NS records end the same way: the apex NS
 * RRset, then its in-zone targets' addresses (RFC 1034 §4.3.2, as NSD answers): encoded each time,
 * names compressed, they were a tenth of compiling such a zone (bench/RESULTS.md).
 *
 * A tail's octets depend on where it starts and on the names it can point to: those of the
 * question (a fixed packet's question suffixes are compression targets) and of the answer section.
 * A tail is reused only when the answer section offers none (its owners are the question name,
 * pointed to, and its RDATA holds no compressed name: RFC 3597 §4), and no name of the tail lies
 * at or below the question name's ancestor one label below the apex: then the only question
 * suffixes it points to are the apex and its ancestors, which lie at the same distance from the
 * question's start in every question whose labels below the apex take as many octets. So a tail
 * is found by where it starts, those octets, and its RRsets (the same objects).
 */
export class SectionTails {
  private readonly tails = new Map<number, Tail>();

  /** `apexLabels`: labels in the zone's apex name. */
  constructor(private readonly apexLabels: number) {
    used = 0;
  }

  /**
   * The lookup key of `res`'s tail for question `qname` (a fixed packet) when it starts at
   * `start`, or -1 when it cannot be reused (see the class).
   */
  key(res: Resolution, qname: Name, start: number): number {
    if (res.authority.length === 0 && res.additional.length === 0) return -1;
    for (const set of res.answer) {
      if (set.owner !== qname) return -1;
      for (const d of set.data) if (compressesNames(d)) return -1;
    }
    const below = qname.length - this.apexLabels;
    // Octets of the question's labels below the apex (at most 255: RFC 1035 §3.1).
    let octets = 0;
    for (let i = 0; i < below; i++) octets += 1 + qname[i].length;
    if (below > 0 && (pointsBelow(res.authority, qname, below - 1) || pointsBelow(res.additional, qname, below - 1))) return -1;
    return start * 256 + octets;
  }

  /** The octets of the tail kept for `key` with `res`'s RRsets, or null. */
  find(key: number, res: Resolution): Uint8Array | null {
    const t = this.tails.get(key);
    if (t === undefined || !sameSets(t.authority, res.authority) || !sameSets(t.additional, res.additional)) return null;
    return arena.subarray(t.at, t.at + t.length);
  }

  /** Keeps `octets` as the tail for `key` with `res`'s RRsets. */
  keep(key: number, res: Resolution, octets: Uint8Array): void {
    if (used + octets.length > arena.length) {
      const grown = new Uint8Array(Math.max(2 * arena.length, used + octets.length));
      grown.set(arena.subarray(0, used));
      arena = grown;
    }
    arena.set(octets, used);
    this.tails.set(key, { authority: res.authority, additional: res.additional, at: used, length: octets.length });
    used += octets.length;
  }
}

/** True when a name the RRsets write (owner, or RDATA name) lies at or below `qname` from label `from` on. */
function pointsBelow(sets: readonly RRset[], qname: Name, from: number): boolean {
  for (const set of sets) {
    if (isSubdomain(set.owner, qname, from)) return true;
    for (const d of set.data) if (dataBelow(d, qname, from)) return true;
  }
  return false;
}

/** The same for the names of RDATA that compresses them (the others are written whole and never pointed to). */
function dataBelow(d: RData, qname: Name, from: number): boolean {
  switch (d.t) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return isSubdomain(d.target, qname, from);
    case 'MX':
      return isSubdomain(d.exchange, qname, from);
    case 'SOA':
      return isSubdomain(d.mname, qname, from) || isSubdomain(d.rname, qname, from);
    default:
      return false;
  }
}
