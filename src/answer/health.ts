import { sameName } from '../wire/name.js';
import { hostNamed, type RData } from '../wire/rdata.js';
import { MAX_RRSET_PROBES } from '../zone/health.js';
import type { HealthCheck, Zone } from '../zone/model.js';
import type { Resolution } from '../zone/resolve.js';
import type { RRset, ZoneNode, ZoneTree } from '../zone/tree.js';
import type { Answer } from './answer.js';

/**
 * Health-checked answers, compiled ahead of time. An answer holding an RRset with health-checked or
 * failover records (in its answer section, or in its additional section as the addresses of a host
 * its answer names) has a form per health state of their checks (a bitmask: bit i set while its
 * i-th probe is down); all of them are compiled with the zone and laid out in its image, and the
 * image's reference to the answer (an entry's answer, a wildcard's answer for names below) is one
 * 32-bit word: a state change stores another answer's number there (`swapHealth`), which every DNS
 * thread reading the image sees at once. The query path reads that word as it reads any entry: no
 * extra work.
 *
 * Why eager and not lazy: the image is shared, fixed-size memory that DNS threads read without
 * locks; an answer compiled later would need memory the threads do not have. The bound keeps it
 * small: at most 8 probes per RRset and per answer (src/zone/health.ts MAX_RRSET_PROBES), 256
 * states, and states serving the same records share one answer (a 3-address RRset failing open has
 * 8 states, 7 answers).
 */

/** One thing a zone probes: a check and the address it probes. */
export interface HealthProbe {
  check: HealthCheck;
  address: string;
}

/**
 * Where a health state is swapped in a zone's image: the int at `at` of the image's `ints` holds
 * `answers[state]`, where bit i of the state is set while zone probe `probes[i]` is down.
 */
export interface HealthSite {
  at: number;
  probes: number[];
  answers: number[];
}

/** What the serving side needs of a compiled zone's health checks: plain data (it crosses threads). */
export interface HealthPlan {
  probes: HealthProbe[];
  sites: HealthSite[];
}

/** An answer whose records depend on health: its answer per state of `probes`. */
export interface HealthVariants {
  probes: number[];
  answers: Answer[];
}

interface Item {
  data: RData;
  /** The zone probe checking this record; -1: none (always up). */
  probe: number;
  secondary: boolean;
  /** Its check says fail = "closed". */
  closed: boolean;
}

/** An RRset with health-checked or failover records, as the tree holds it. */
interface CheckedSet {
  node: ZoneNode;
  set: RRset;
  items: Item[];
  /** The zone probes of its records, ascending. */
  probes: number[];
}

/**
 * The records an RRset serves while `down(probe)` says which probes are down (README, Health
 * checks): its primary records that are up; none up, its secondaries that are up; none of those
 * either, the group that was tried last, whole (fail open), or nothing when a check of that group
 * says fail = "closed". Records without a check are always up.
 */
export function servedItems<T extends { probe: number; secondary: boolean; closed: boolean }>(items: readonly T[], down: (probe: number) => boolean): T[] {
  const up = (it: T): boolean => it.probe < 0 || !down(it.probe);
  const primaries = items.filter((it) => !it.secondary);
  const upPrimaries = primaries.filter(up);
  if (upPrimaries.length > 0) return upPrimaries;
  const secondaries = items.filter((it) => it.secondary);
  const last = secondaries.length > 0 ? secondaries : primaries;
  const upLast = last.filter(up);
  if (upLast.length > 0) return upLast;
  return last.some((it) => it.closed) ? [] : last;
}

/** Whether a record of the zone has health fields (a check, or a failover role). */
export function hasHealthFields(zone: Zone): boolean {
  return zone.records.some((r) => r.health !== undefined);
}

/**
 * The zone's health-checked RRsets in its tree, and the answers compiled for their states. Made
 * before the zone's answers are compiled: it leaves the tree in the all-up state (secondaries out),
 * the state the image starts in.
 */
export class HealthCompiler {
  readonly probes: HealthProbe[] = [];
  readonly variants = new Map<Answer, HealthVariants>();
  private readonly setOf = new Map<RData, CheckedSet>();

  private constructor(private readonly tree: ZoneTree, zone: Zone) {
    const probeIds = new Map<string, number>();
    const health = new Map<RData, Item>();
    for (const r of zone.records) {
      if (r.health === undefined) continue;
      let probe = -1;
      let closed = false;
      const c = r.health.check;
      if (c) {
        const check = zone.healthChecks!.get(c.name)!;
        const id = `${c.name}\0${c.address}`;
        probe = probeIds.get(id) ?? this.probes.push({ check, address: c.address }) - 1;
        probeIds.set(id, probe);
        closed = check.fail === 'closed';
      }
      health.set(r.data, { data: r.data, probe, secondary: r.health.secondary, closed });
    }
    for (const node of tree.nodes.values()) {
      for (const set of node.rrsets.values()) {
        if (!set.data.some((d) => health.has(d))) continue;
        const items = set.data.map((d) => health.get(d) ?? { data: d, probe: -1, secondary: false, closed: false });
        const checked: CheckedSet = { node, set, items, probes: [...new Set(items.map((it) => it.probe).filter((p) => p >= 0))].sort((a, b) => a - b) };
        for (const d of set.data) this.setOf.set(d, checked);
        const all = servedItems(items, () => false);
        set.data = all.map((it) => it.data);
      }
    }
  }

  /** The zone's health compiler, or null when no record has health fields. */
  static of(tree: ZoneTree, zone: Zone): HealthCompiler | null {
    return hasHealthFields(zone) ? new HealthCompiler(tree, zone) : null;
  }

  /**
   * Compiles `answer`'s other states, when its answer section holds health-checked records, or its
   * additional section the health-checked addresses of a host its answer section names (an MX
   * exchange, an SRV or NS target): `resolve` and `compile` are asked again with the tree set to
   * each state. Addresses in the additional section for the authority section's NS RRset (the
   * zone's name servers that every positive answer carries, glue in a referral) stay as when every
   * check is up: otherwise every answer of the zone would have states of its own.
   */
  addVariants(answer: Answer, res: Resolution, resolve: () => Resolution, compile: (r: Resolution) => Answer): void {
    const found = new Set<CheckedSet>();
    for (const s of res.answer) for (const d of s.data) {
      const c = this.setOf.get(d);
      if (c) found.add(c);
    }
    const probes = new Set([...found].flatMap((c) => c.probes));
    for (const c of this.namedAddresses(res)) {
      // At most MAX_RRSET_PROBES probes an answer, as an RRset (2^8 states): past that, an address
      // RRset stays as when its checks are up.
      const more = c.probes.filter((p) => !probes.has(p));
      if (found.has(c) || probes.size + more.length > MAX_RRSET_PROBES) continue;
      found.add(c);
      for (const p of more) probes.add(p);
    }
    const sets = [...found];
    if (probes.size === 0) return;
    this.compileStates(answer, sets, [...probes].sort((a, b) => a - b), resolve, compile);
  }

  /** The health-checked RRsets of `res`'s additional section whose owner a record of its answer section names. */
  private namedAddresses(res: Resolution): CheckedSet[] {
    const out: CheckedSet[] = [];
    for (const s of res.additional) {
      const c = s.data.length > 0 ? this.setOf.get(s.data[0]) : undefined;
      if (c === undefined) continue;
      const named = (d: RData): boolean => {
        const host = hostNamed(d);
        return host !== undefined && sameName(host, s.owner);
      };
      if (res.answer.some((a) => a.data.some(named))) out.push(c);
    }
    return out;
  }

  /** Compiles `answer`'s answer in every state of `probes` (bit i: probes[i] down), one per distinct served records. */
  private compileStates(answer: Answer, sets: CheckedSet[], probes: number[], resolve: () => Resolution, compile: (r: Resolution) => Answer): void {
    const byServed = new Map<string, Answer>();
    const answers: Answer[] = [];
    for (let state = 0; state < 1 << probes.length; state++) {
      const down = (p: number): boolean => (state & (1 << probes.indexOf(p))) !== 0;
      const served = sets.map((c) => servedItems(c.items, down));
      const key = served.map((items, i) => items.map((it) => sets[i].items.indexOf(it)).join(',')).join(';');
      let a = state === 0 ? answer : byServed.get(key);
      if (a === undefined) {
        a = this.inState(sets, served, () => compile(resolve()));
      }
      byServed.set(key, a);
      answers.push(a);
    }
    this.variants.set(answer, { probes, answers });
  }

  /** Runs `fn` with each of `sets` serving `served` (an empty RRset taken out of its node), then puts the all-up state back. */
  private inState<T>(sets: CheckedSet[], served: Item[][], fn: () => T): T {
    const saved = sets.map((c) => ({ c, data: c.set.data, order: [...c.node.rrsets.values()] }));
    sets.forEach((c, i) => {
      c.set.data = served[i].map((it) => it.data);
      if (c.set.data.length === 0) c.node.rrsets.delete(c.set.type);
    });
    try {
      return fn();
    } finally {
      for (const { c, data, order } of saved) {
        c.set.data = data;
        c.node.rrsets.replace(order);
      }
    }
  }
}

/**
 * Swaps in the answers of the current health state: for every site of `plan` (that depends on
 * probe `only`, when given), the answer of the state `down` says. Atomics.store: a DNS thread reads
 * the word whole, the old answer or the new one, both complete.
 */
export function swapHealth(ints: Int32Array, plan: HealthPlan, down: (probe: number) => boolean, only?: number): void {
  for (const site of plan.sites) {
    if (only !== undefined && !site.probes.includes(only)) continue;
    let state = 0;
    for (let i = 0; i < site.probes.length; i++) if (down(site.probes[i])) state |= 1 << i;
    Atomics.store(ints, site.at, site.answers[state]);
  }
}
