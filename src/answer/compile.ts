import { RCODE, TYPE } from '../wire/constants.js';
import { isSubdomain, nameKey, type Name } from '../wire/name.js';
import type { Zone } from '../zone/model.js';
import { negative, resolve, type Resolution } from '../zone/resolve.js';
import { sameSets, ZoneTree, type ZoneNode } from '../zone/tree.js';
import { Answer, Below, FALLBACK_TYPE } from './answer.js';
import { HealthCompiler, type HealthProbe, type HealthVariants } from './health.js';
import { ZoneAnswers } from './answers.js';
import { SectionTails } from './tails.js';
import { compileAnswer, compileAnswerAndAny } from './packet.js';

/**
 * A zone compiled to answers. `entries` maps (name, query type) to answers; type 0 holds a name's
 * fallback (types it lacks, and in `below` the answers for names beneath it that do not exist).
 */
export interface CompiledZone {
  apex: Name;
  /** Lower-cased wire form of the apex. */
  apexKey: string;
  serial: number;
  /** Resource records in the zone, SOA included. */
  records: number;
  entries: Entries;
  /** Every answer compiled for the zone, each at its `id`. */
  answers: Answer[];
  /** Their packets, end to end (Answer.at). */
  packets: Uint8Array;
  /** With health-checked records: what the zone probes, and each health-dependent answer's other states. */
  health?: { probes: HealthProbe[]; variants: Map<Answer, HealthVariants> };
}

/**
 * A zone's entries in the order compiled, grouped by name: a name's entries lie together, so the
 * image writes the name once (image.ts), and no string is made per entry (a zone has millions).
 */
export class Entries {
  /** Each name's key (nameKey). */
  readonly names: string[] = [];
  /**
   * Where each name's entries start in `types` and `answers`, and each entry's query type: in
   * typed arrays grown by doubling (a zone of a million names has millions of entries: pushed onto
   * arrays, they were a sixth of compiling its answers; bench/RESULTS.md).
   */
  private startList = new Int32Array(INITIAL_ENTRIES);
  private typeList = new Uint16Array(INITIAL_ENTRIES);
  readonly answers: Answer[] = [];
  /** By lookup key (see keys()), made when first asked. */
  private index: Map<string, Answer> | null = null;

  get size(): number {
    return this.answers.length;
  }

  /** Where each name's entries start (one a name). */
  get starts(): Int32Array {
    return this.startList.subarray(0, this.names.length);
  }

  /** Each entry's query type. */
  get types(): Uint16Array {
    return this.typeList.subarray(0, this.answers.length);
  }

  /** Sets the answer to (name, type): the name is new or the last one set. */
  set(nameKey: string, type: number, answer: Answer): void {
    this.index = null;
    const last = this.names.length - 1;
    const size = this.answers.length;
    if (last >= 0 && this.names[last] === nameKey) {
      for (let e = this.startList[last]; e < size; e++) {
        if (this.typeList[e] === type) {
          this.answers[e] = answer;
          return;
        }
      }
    } else {
      if (last + 1 === this.startList.length) this.startList = grown(this.startList);
      this.startList[last + 1] = size;
      this.names.push(nameKey);
    }
    if (size === this.typeList.length) this.typeList = grown(this.typeList);
    this.typeList[size] = type;
    this.answers.push(answer);
  }

  /** Where the entries of name `i` end. */
  end(i: number): number {
    return i + 1 < this.names.length ? this.startList[i + 1] : this.answers.length;
  }

  /** Lookup keys, in order: the lower-cased wire name followed by the query type's two octets. */
  *keys(): Generator<string> {
    for (let i = 0; i < this.names.length; i++) {
      for (let e = this.startList[i]; e < this.end(i); e++) yield this.names[i] + String.fromCharCode(this.typeList[e] >> 8, this.typeList[e] & 0xff);
    }
  }

  /** The answer for a lookup key (see keys()). */
  get(key: string): Answer | undefined {
    if (this.index === null) {
      this.index = new Map();
      let e = 0;
      for (const k of this.keys()) this.index.set(k, this.answers[e++]);
    }
    return this.index.get(key);
  }
}

/** Entries room is first made for: a small zone's (most have tens of names). */
const INITIAL_ENTRIES = 64;

/** `a`'s elements in an array twice as long. */
function grown<T extends Int32Array | Uint16Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(2 * a.length);
  b.set(a);
  return b;
}

/**
 * A label that no zone holds (a single NUL octet): answers compiled for `<it>.<node>` serve every
 * name below the node that does not exist.
 */
const ABSENT_LABEL = '\0';
/** The key of ABSENT_LABEL as a name's first label: `<it>.<node>`'s key is it and then the node's. */
const ABSENT_LABEL_KEY = '\x01\0';

/**
 * Compiles a zone: resolves every question worth asking ahead of time and encodes the answer.
 * `tree`: the zone's tree, when the caller makes it to use again: as it was when this returns, but
 * in a zone with health fields (HealthCompiler leaves it in the all-up state).
 */
export function compileZone(zone: Zone, tree = new ZoneTree(zone)): CompiledZone {
  const health = HealthCompiler.of(tree, zone);
  const entries = new Entries();
  const answers = new ZoneAnswers(tree.records, new SectionTails(zone.apex.length));
  // DS too: a CNAME chain into a delegation point ends in the parent's NODATA for DS, not a referral.
  const askTypes = [...tree.types, TYPE.ANY, TYPE.DS];
  // A name's key goes with it: the tree's own key strings are looked up without hashing them again.
  const variable = (name: Name, key: string, type: number, below: Below | null = null): Answer => answer(answers, tree, health, name, key, type, true, below);
  const exact = (name: Name, key: string, type: number, below: Below | null = null): Answer => answer(answers, tree, health, name, key, type, false, below);

  // NXDOMAIN and plain NODATA are the same bytes for every name of the zone: compile them once.
  const absentAtApex = [ABSENT_LABEL, ...zone.apex];
  const nxdomain = new Below(new Map(), compileAnswer(answers, absentAtApex, FALLBACK_TYPE, negative(tree, RCODE.NXDOMAIN), true));
  const nodata = compileAnswer(answers, absentAtApex, FALLBACK_TYPE, negative(tree, RCODE.NOERROR), true, nxdomain);

  const soaNames = soaNameKeys(tree);
  const below = (name: Name, key: string): Below => new Below(new Map(), variable([ABSENT_LABEL, ...name], ABSENT_LABEL_KEY + key, FALLBACK_TYPE));
  for (const node of tree.nodes.values()) {
    const key = node.key;
    if (tree.occluded(node.name, key)) continue;
    const cut = tree.cuts.get(key);
    if (cut) {
      // A delegation point: a referral for any type and any name below, except DS (parent side).
      const referralBelow = below(cut.name, key);
      entries.set(key, FALLBACK_TYPE, exact(node.name, key, FALLBACK_TYPE, referralBelow));
      entries.set(key, TYPE.DS, exact(node.name, key, TYPE.DS));
      continue;
    }
    const hasCname = node.rrsets.has(TYPE.CNAME);
    if (hasCname) {
      // A CNAME's answer depends on what the chain ends in, for every type the zone has.
      for (const type of askTypes) entries.set(key, type, exact(node.name, key, type));
    } else if (node.rrsets.size > 0 && health === null) {
      ownTypes(answers, tree, entries, node);
    } else if (node.rrsets.size > 0) {
      for (const type of [...node.rrsets.types(), TYPE.ANY]) entries.set(key, type, exact(node.name, key, type));
    }
    const wildcard = tree.wildcard(key);
    // The shared negative answers compress the SOA's names against the apex only: a name at or above
    // the SOA's MNAME or RNAME gets its own (those names then take the query's case, as in NSD).
    const under = wildcard ? wildcardBelow(wildcard, askTypes, variable) : soaNames.has(key) ? below(node.name, key) : nxdomain;
    const fallback = !hasCname && under === nxdomain ? nodata : exact(node.name, key, FALLBACK_TYPE, under);
    entries.set(key, FALLBACK_TYPE, fallback);
  }
  // Names in an answer at or below the query's closest encloser take the query's letter case
  // (compressed into the question, as NSD does). In a referral, those are the NS targets below the
  // cut: the names on the way down to them get their own referral (the same for every name there).
  // Those names are occluded, so no entry above is theirs.
  const referred = new Set<string>();
  for (const cut of tree.cuts.values()) {
    if (tree.occluded(cut.name, cut.key)) continue;
    for (const d of cut.rrsets.get(TYPE.NS)!.data) {
      if (d.t !== 'NS') continue;
      for (let n = d.target; n.length > cut.name.length && isSubdomain(n, cut.name); n = n.slice(1)) {
        const nk = nameKey(n);
        if (referred.has(nk)) continue;
        referred.add(nk);
        entries.set(nk, FALLBACK_TYPE, exact(n, nk, FALLBACK_TYPE, below(n, nk)));
      }
    }
  }
  return {
    apex: zone.apex, apexKey: tree.apexKey, serial: zone.soa.data.serial, records: tree.records, entries, answers: answers.list, packets: answers.packets(),
    ...(health && { health: { probes: health.probes, variants: health.variants } }),
  };
}

/** Keys of the names below the apex at or above the SOA's MNAME and RNAME. */
function soaNameKeys(tree: ZoneTree): Set<string> {
  const keys = new Set<string>();
  const { mname, rname } = tree.zone.soa.data;
  for (const n of [mname, rname]) {
    if (!tree.inZone(n)) continue;
    for (let i = 0; i < n.length - tree.zone.apex.length; i++) keys.add(nameKey(n.slice(i)));
  }
  return keys;
}

/**
 * The answer to (name, type), compiled; `variable`: for any name below (see compileAnswer). With
 * health-checked records in its answer section, its other health states are compiled too.
 */
function answer(answers: ZoneAnswers, tree: ZoneTree, health: HealthCompiler | null, name: Name, key: string, type: number, variable: boolean, below: Below | null): Answer {
  const res = resolve(tree, name, type, key);
  const a = compileAnswer(answers, name, type, res, variable, below);
  if (health) {
    const compile = (r: Resolution): Answer => answers.untailed(() => compileAnswer(answers, name, type, r, variable, below));
    health.addVariants(a, res, () => resolve(tree, name, type, key), compile);
  }
  return a;
}

/**
 * A name's own types and ANY, in a zone without health-checked records (whose answers have other
 * states to compile). RFC 8482 §4.1: ANY is answered with one of the name's RRsets; when that
 * resolves as the question for the RRset's type did (the same sections: not when the apex NS goes
 * with that one alone), ANY's entry is that one's answer: the packets differ in QTYPE alone, and
 * a packet is always sent behind the query's own question (Answer).
 */
function ownTypes(answers: ZoneAnswers, tree: ZoneTree, entries: Entries, node: ZoneNode): void {
  const any = resolve(tree, node.name, TYPE.ANY, node.key, node);
  let same: Answer | null = null;
  const sets = node.rrsets.values();
  for (let i = 0; i < sets.length; i++) {
    const type = sets[i].type;
    const res = resolve(tree, node.name, type, node.key, node);
    let answer: Answer;
    if (same === null && sameResolution(res, any)) {
      answer = same = compileAnswer(answers, node.name, type, res, false);
    } else if (same === null && answerOnly(res, any)) {
      // ANY's answer is this one's without its authority and additional sections: both from one encoding.
      [answer, same] = compileAnswerAndAny(answers, node.name, type, res);
    } else {
      answer = compileAnswer(answers, node.name, type, res, false);
    }
    entries.set(node.key, type, answer);
  }
  entries.set(node.key, TYPE.ANY, same ?? compileAnswer(answers, node.name, TYPE.ANY, any, false));
}

/** True when `any` holds `res`'s answer section and no other section (see compileAnswerAndAny). */
function answerOnly(res: Resolution, any: Resolution): boolean {
  return any.authority.length === 0 && any.additional.length === 0 && !any.optionalAuthority && res.rcode === any.rcode && res.aa === any.aa && sameSets(res.answer, any.answer);
}

/** True when two resolutions hold the same RRsets in each section, so encode to the same body. */
function sameResolution(a: Resolution, b: Resolution): boolean {
  return a.rcode === b.rcode && a.aa === b.aa && a.optionalAuthority === b.optionalAuthority && sameSets(a.answer, b.answer) && sameSets(a.authority, b.authority) && sameSets(a.additional, b.additional);
}

/** RFC 4592 §3.3: answers synthesized from `*.<node>` for names below the node that do not exist. */
function wildcardBelow(wildcard: ZoneNode, askTypes: number[], variable: (name: Name, key: string, type: number) => Answer): Below {
  const absent = [ABSENT_LABEL, ...wildcard.name.slice(1)];
  // The wildcard's key with its `*` label in place of ABSENT_LABEL (both one octet long).
  const key = ABSENT_LABEL_KEY + wildcard.key.slice(ABSENT_LABEL_KEY.length);
  const types = wildcard.rrsets.has(TYPE.CNAME) ? askTypes : [...wildcard.rrsets.types(), TYPE.ANY];
  const byType = new Map(types.map((t) => [t, variable(absent, key, t)] as const));
  return new Below(byType, variable(absent, key, FALLBACK_TYPE));
}

