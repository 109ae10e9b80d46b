import { RCODE, TYPE } from '../wire/constants.js';
import { nameKey, nameKeyOf, type Name } from '../wire/name.js';
import { hostNamed, type RData } from '../wire/rdata.js';
import type { RRset, ZoneNode, ZoneTree } from './tree.js';

/** What an authoritative server answers for one question: sections as RRsets. */
export interface Resolution {
  rcode: number;
  /** AA (RFC 1035 §4.1.1): clear on referrals only. */
  aa: boolean;
  answer: readonly RRset[];
  authority: readonly RRset[];
  additional: readonly RRset[];
  /** The authority section is the zone's NS, optional: dropped before the answer is truncated. */
  optionalAuthority: boolean;
}

/**
 * An empty section, shared: a resolution allocates only the sections it fills (a zone's compile
 * makes millions of resolutions, most with one RRset in one section). Readonly by its type, not
 * frozen: a frozen array's elements are not in the form loops over arrays are fast for.
 */
const NOTHING: readonly never[] = [];

/** `list` and then `item`, as a new array as long as that (sections hold a few RRsets). */
function plus<T>(list: readonly T[], item: T): readonly T[] {
  return list.length === 0 ? [item] : [...list, item];
}

/** CNAME chains longer than this are cut (RFC 1034 §3.6.2 leaves the limit to servers). */
const MAX_CHAIN = 8;

/** RFC 2308 §5: a negative answer's SOA has TTL min(SOA TTL, SOA MINIMUM). */
function negativeSoa(tree: ZoneTree): RRset {
  const soa = tree.zone.soa;
  return { owner: tree.zone.apex, type: TYPE.SOA, ttl: Math.min(soa.ttl, soa.data.minimum), data: [soa.data] };
}

function withOwner(set: RRset, owner: Name): RRset {
  return set.owner === owner ? set : { ...set, owner };
}

/** Types NSD prefers to answer ANY with: common and small (RFC 8482 §4.1 leaves the choice open). */
const ANY_PREFERRED: readonly number[] = [TYPE.A, TYPE.AAAA, TYPE.SOA, TYPE.MX, TYPE.PTR];

/**
 * RFC 8482 §4.1: one RRset stands for ANY. As NSD: the name's first A, AAAA, SOA, MX or PTR RRset
 * in zone order (so SOA at the apex), else its last other RRset.
 */
function anyAnswer(node: ZoneNode): RRset | undefined {
  const sets = node.rrsets.values();
  for (let i = 0; i < sets.length; i++) if (ANY_PREFERRED.includes(sets[i].type)) return sets[i];
  return sets[sets.length - 1];
}

/** The closest encloser's wildcard `*.<encloser>` for a name that does not exist (RFC 4592 §3.3.1). */
function wildcardFor(tree: ZoneTree, name: Name, key: string): ZoneNode | null {
  // The encloser's key is a tail of the name's.
  for (let i = 1, at = 0; i <= name.length - tree.zone.apex.length; i++) {
    at += 1 + name[i - 1].length;
    const encloser = key.slice(at);
    if (tree.nodes.has(encloser)) return tree.wildcard(encloser) ?? null;
  }
  return null;
}

/** The negative answers every name of a zone shares (RFC 2308 §2.1, §2.2). */
export function negative(tree: ZoneTree, rcode: typeof RCODE.NXDOMAIN | typeof RCODE.NOERROR): Resolution {
  return { rcode, aa: true, answer: NOTHING, authority: [negativeSoa(tree)], additional: NOTHING, optionalAuthority: false };
}

/**
 * RFC 1034 §4.3.2 step 3 over one zone: exact match, CNAME chasing within the zone, wildcard
 * synthesis (RFC 4592), referral at delegation points, NXDOMAIN/NODATA with the SOA (RFC 2308).
 * Additional-section processing adds in-zone addresses of MX, NS and SRV targets. `qkey`:
 * nameKey(qname), and `qnode`: qname's node, when the caller has them (a zone's compile resolves
 * each of its names, and in a zone of a million names each lookup of one is a cache miss).
 */
export function resolve(tree: ZoneTree, qname: Name, qtype: number, qkey = nameKey(qname), qnode?: ZoneNode): Resolution {
  const res: Resolution = { rcode: RCODE.NOERROR, aa: true, answer: NOTHING, authority: NOTHING, additional: NOTHING, optionalAuthority: false };
  // The keys of the answer section's owners, in order (known here: no key is looked up again).
  let answerKeys: readonly string[] = NOTHING;
  // Keys of the names a CNAME led from so far: a loop stops (few hops: a list is enough; made at
  // the first CNAME, as most questions meet none).
  let seen: string[] | null = null;
  let name = qname;
  for (let hop = 0; hop <= MAX_CHAIN; hop++) {
    if (!tree.inZone(name)) break;
    const key = name === qname ? qkey : nameKeyOf(name);
    const cut = tree.cutAbove(name, key);
    // RFC 4035 §3.1.4.1: DS belongs to the parent side of the cut.
    const parentSide = cut && qtype === TYPE.DS && cut.key === key;
    if (cut && !parentSide) {
      // Below a cut the data is not ours: a referral, also after a CNAME led here (as NSD does).
      res.authority = plus(res.authority, cut.rrsets.get(TYPE.NS)!);
      if (res.answer.length === 0) res.aa = false;
      break;
    }
    if (seen?.includes(key)) break;
    const node = (name === qname ? qnode : undefined) ?? tree.nodes.get(key) ?? wildcardFor(tree, name, key);
    if (!node) {
      // RFC 6604 §2: the RCODE follows the last name in the chain.
      res.rcode = RCODE.NXDOMAIN;
      res.authority = plus(res.authority, negativeSoa(tree));
      break;
    }
    const exact = qtype === TYPE.ANY ? anyAnswer(node) : node.rrsets.get(qtype);
    if (exact) {
      res.answer = plus(res.answer, withOwner(exact, name));
      answerKeys = plus(answerKeys, key);
      addApexNs(tree, res, answerKeys, qtype);
      break;
    }
    const cname = node.rrsets.get(TYPE.CNAME);
    if (!cname) {
      res.authority = plus(res.authority, negativeSoa(tree));
      break;
    }
    res.answer = plus(res.answer, withOwner(cname, name));
    answerKeys = plus(answerKeys, key);
    const next = cname.data[0];
    if (next.t !== 'CNAME') break;
    (seen ??= []).push(key);
    name = next.target;
  }
  addAdditional(tree, res, answerKeys);
  return res;
}

/**
 * Positive answers carry the zone's NS RRset in the authority section, as NSD does by default
 * (RFC 1034 §4.3.2 step 3a leaves it optional): only when the data asked for was found, so not
 * after a CNAME chain that leaves the zone or loops; not for ANY or DS (as NSD), nor when the NS
 * RRset is the answer itself.
 */
function addApexNs(tree: ZoneTree, res: Resolution, answerKeys: readonly string[], qtype: number): void {
  if (qtype === TYPE.ANY || qtype === TYPE.DS) return;
  const ns = tree.apex.rrsets.get(TYPE.NS);
  // Not twice: the answer may hold it already, also at the end of a CNAME chain.
  if (!ns || holds(res.answer, answerKeys, tree.apexKey, TYPE.NS)) return;
  res.authority = plus(res.authority, ns);
  res.optionalAuthority = true;
}

/**
 * RFC 1034 §4.3.2 step 6 / RFC 1035 §3.3.9: addresses of MX, NS and SRV targets in the zone, as
 * NSD adds them: synthesized from a wildcard when the target does not exist (RFC 4592 §4); for MX
 * and SRV none at or below a delegation point (that is glue, not our data: only NS gets it); every
 * A RRset before every AAAA RRset.
 */
function addAdditional(tree: ZoneTree, res: Resolution, answerKeys: readonly string[]): void {
  // Most answers name no target: then nothing is built.
  if (!res.answer.some(namesHosts) && !res.authority.some(namesHosts)) return;
  found.count = 0;
  addTargets(tree, res.answer, res, answerKeys);
  addTargets(tree, res.authority, res, answerKeys);
  const additional = found.sets.slice(0, found.count);
  let n = 0;
  for (const type of ADDRESS_TYPES) for (let i = 0; i < found.count; i++) if (found.sets[i].type === type) additional[n++] = found.sets[i];
  res.additional = additional;
}

/** The additional section's types, in the order NSD adds them: every A RRset before every AAAA. */
const ADDRESS_TYPES = [TYPE.A, TYPE.AAAA];

/**
 * The addresses addAdditional found so far for one resolution, with their owners' keys: kept
 * from call to call (resolving is synchronous), so a resolution allocates only its section.
 */
const found = { sets: [] as RRset[], keys: [] as string[], count: 0 };

/** Adds to `found` the addresses of the hosts `sets` name (see addAdditional). */
function addTargets(tree: ZoneTree, sets: readonly RRset[], res: Resolution, answerKeys: readonly string[]): void {
  for (const set of sets) {
    for (const d of set.data) {
      const target = hostNamed(d);
      if (!target || !tree.inZone(target)) continue;
      const key = nameKeyOf(target);
      if (d.t !== 'NS' && tree.cutAbove(target, key)) continue;
      const exact = tree.nodes.get(key);
      const node = exact ?? wildcardFor(tree, target, key);
      if (!node) continue;
      for (const type of ADDRESS_TYPES) {
        const addr = node.rrsets.get(type);
        // Not twice, nor what the answer section holds.
        if (!addr || holds(res.answer, answerKeys, key, type) || holds(found.sets, found.keys, key, type, found.count)) continue;
        found.sets[found.count] = exact ? addr : withOwner(addr, target);
        found.keys[found.count++] = key;
      }
    }
  }
}

/** True when the first `count` of `sets` (their owners' keys: `keys`) hold an RRset of `type` owned by the name whose key is `key`. */
function holds(sets: readonly RRset[], keys: readonly string[], key: string, type: number, count = sets.length): boolean {
  for (let i = 0; i < count; i++) if (sets[i].type === type && keys[i] === key) return true;
  return false;
}

/** True when the RRset's records name hosts whose addresses go in the additional section. */
function namesHosts(set: RRset): boolean {
  return set.data.some(namesHost);
}

function namesHost(d: RData): boolean {
  return hostNamed(d) !== undefined;
}
