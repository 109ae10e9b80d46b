import { Answer, Below } from '../answer/answer.js';
import { compileAnswer } from '../answer/packet.js';
import { RCODE, TYPE } from '../wire/constants.js';
import { nameKey, type Name } from '../wire/name.js';
import type { Zone } from './model.js';
import { negative, resolve } from './resolve.js';
import { ZoneTree, type ZoneNode } from './tree.js';

/**
 * A zone compiled to answers. `entries` maps lookup keys to answers: the key is the lower-cased
 * wire name followed by the query type's two octets; type 0 holds a name's fallback (types it
 * lacks, and in `below` the answers for names beneath it that do not exist).
 */
export interface CompiledZone {
  apex: Name;
  /** Lower-cased wire form of the apex. */
  apexKey: string;
  serial: number;
  /** Resource records in the zone, SOA included. */
  records: number;
  entries: Map<string, Answer>;
}

/** Query type 0 is reserved (RFC 6895 §3.1), so it marks a name's fallback entry. */
export const FALLBACK_TYPE = 0;

export function entryKey(nameWireKey: string, type: number): string {
  return nameWireKey + String.fromCharCode(type >> 8, type & 0xff);
}

/**
 * A label that no zone holds (a single NUL octet): answers compiled for `<it>.<node>` serve every
 * name below the node that does not exist.
 */
const ABSENT_LABEL = '\0';

/** Compiles a zone: resolves every question worth asking ahead of time and encodes the answer. */
export function compileZone(zone: Zone): CompiledZone {
  const tree = new ZoneTree(zone);
  const entries = new Map<string, Answer>();
  const askTypes = [...tree.types, TYPE.ANY];
  const variable = (name: Name, type: number, below: Below | null = null): Answer =>
    compileAnswer(name, type, resolve(tree, name, type), true, below);

  // NXDOMAIN and plain NODATA are the same bytes for every name of the zone: compile them once.
  const absentAtApex = [ABSENT_LABEL, ...zone.apex];
  const nxdomain = new Below(new Map(), compileAnswer(absentAtApex, FALLBACK_TYPE, negative(tree, RCODE.NXDOMAIN), true));
  const nodata = compileAnswer(absentAtApex, FALLBACK_TYPE, negative(tree, RCODE.NOERROR), true, nxdomain);

  for (const [key, node] of tree.nodes) {
    if (tree.occluded(node.name)) continue;
    const cut = tree.cuts.get(key);
    if (cut) {
      // A delegation point: a referral for any type and any name below, except DS (parent side).
      const absent = [ABSENT_LABEL, ...cut.name];
      const referralBelow = new Below(new Map(), variable(absent, FALLBACK_TYPE));
      entries.set(entryKey(key, FALLBACK_TYPE), exact(tree, node.name, FALLBACK_TYPE, referralBelow));
      entries.set(entryKey(key, TYPE.DS), exact(tree, node.name, TYPE.DS));
      continue;
    }
    const hasCname = node.rrsets.has(TYPE.CNAME);
    // A CNAME's answer depends on what the chain ends in, for every type the zone has.
    const types = hasCname ? askTypes : node.rrsets.size > 0 ? [...node.rrsets.keys(), TYPE.ANY] : [];
    for (const type of types) entries.set(entryKey(key, type), exact(tree, node.name, type));
    const wildcard = tree.get(['*', ...node.name]);
    const below = wildcard ? wildcardBelow(tree, wildcard, askTypes, variable) : nxdomain;
    const fallback = !hasCname && below === nxdomain ? nodata : exact(tree, node.name, FALLBACK_TYPE, below);
    entries.set(entryKey(key, FALLBACK_TYPE), fallback);
  }
  let records = 0;
  for (const node of tree.nodes.values()) for (const set of node.rrsets.values()) records += set.data.length;
  return { apex: zone.apex, apexKey: tree.apexKey, serial: zone.soa.data.serial, records, entries };
}

function exact(tree: ZoneTree, name: Name, type: number, below: Below | null = null): Answer {
  return compileAnswer(name, type, resolve(tree, name, type), false, below);
}

/** RFC 4592 §3.3: answers synthesized from `*.<node>` for names below the node that do not exist. */
function wildcardBelow(
  tree: ZoneTree, wildcard: ZoneNode, askTypes: number[],
  variable: (name: Name, type: number) => Answer,
): Below {
  const absent = [ABSENT_LABEL, ...wildcard.name.slice(1)];
  const types = wildcard.rrsets.has(TYPE.CNAME) ? askTypes : [...wildcard.rrsets.keys(), TYPE.ANY];
  const byType = new Map(types.map((t) => [t, variable(absent, t)] as const));
  return new Below(byType, variable(absent, FALLBACK_TYPE));
}

