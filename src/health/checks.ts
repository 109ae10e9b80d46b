import { swapHealth, type HealthPlan, type HealthProbe } from '../answer/health.js';
import type { HealthCheckSnapshot } from '../counters/snapshot.js';
import type { Logger } from '../log.js';
import { probeOnce, type ProbeResult } from './probe.js';
import { Prober, type ProbeRunner } from './prober.js';

/**
 * Probes running at once, at most, over every zone: more wait their turn (a zone of a thousand
 * checked records must not open a thousand connections in one instant).
 */
export const MAX_CONCURRENT_PROBES = 64;

/** A zone version's health checks, live: its probers and the image words they swap. */
export interface HealthAttachment {
  readonly zone: string;
  readonly plan: HealthPlan;
  readonly ints: Int32Array;
  probers: Prober[];
}

/** What makes two probes one: the same address probed the same way (the check's name and `fail` aside). */
function proberKey(p: HealthProbe): string {
  const { type, port, path, host, expect, interval, timeout, rise, fall } = p.check;
  return JSON.stringify([p.address, type, port, path, host ?? null, expect ?? null, interval, timeout, rise, fall]);
}

/** A semaphore: `run` waits while `limit` probes are running. */
function limited(limit: number, probe: ProbeRunner): ProbeRunner {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (p) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await probe(p);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * The health checks of every served zone, run in this (the catalog's) thread. Identical probes in
 * several zones, or in a zone's old and new versions, share one prober, kept while a zone version
 * uses it (reference counted): a zone replaced or removed stops the probes only it made. A
 * prober's transition swaps the answers of every zone that uses it (src/answer/health.ts) and is
 * logged once.
 */
export class HealthChecks {
  private readonly probers = new Map<string, { prober: Prober; users: Set<HealthAttachment> }>();
  /** The attachment of each zone served, by apex key. */
  private readonly zones = new Map<string, HealthAttachment>();
  private readonly run: ProbeRunner;

  constructor(private readonly log: Logger, probe: ProbeRunner = probeOnce, limit = MAX_CONCURRENT_PROBES) {
    this.run = limited(limit, probe);
  }

  /**
   * Makes a zone version's checks live and writes the current health state into its image, before
   * the version is served (a zone reloaded while an address is down never serves it meanwhile).
   * The version before keeps its checks until `commit`.
   */
  prepare(zone: string, plan: HealthPlan, ints: Int32Array): HealthAttachment {
    const a: HealthAttachment = { zone, plan, ints, probers: [] };
    const fresh: Prober[] = [];
    for (const probe of plan.probes) {
      const key = proberKey(probe);
      let entry = this.probers.get(key);
      if (entry === undefined) {
        const prober: Prober = new Prober(probe, this.run, (up, result) => this.transition(key, prober, up, result));
        entry = { prober, users: new Set() };
        this.probers.set(key, entry);
        fresh.push(prober);
      }
      entry.users.add(a);
      a.probers.push(entry.prober);
    }
    swapHealth(ints, plan, (p) => !a.probers[p].up);
    for (const p of fresh) p.start();
    return a;
  }

  /** The zone (apex key) now serves the version of `a`: the checks of the version before stop, unless shared. */
  commit(apexKey: string, a: HealthAttachment | null): void {
    const before = this.zones.get(apexKey);
    if (a === null) this.zones.delete(apexKey);
    else this.zones.set(apexKey, a);
    if (before !== undefined && before !== a) this.release(before);
  }

  /** Stops what `a` started (its version was not served after all), unless shared. */
  release(a: HealthAttachment): void {
    for (const prober of a.probers) {
      const key = proberKey(prober.probe);
      const entry = this.probers.get(key);
      if (entry === undefined) continue;
      entry.users.delete(a);
      if (entry.users.size > 0) continue;
      entry.prober.stop();
      this.probers.delete(key);
    }
  }

  private transition(key: string, prober: Prober, up: boolean, result: ProbeResult): void {
    const entry = this.probers.get(key);
    if (entry === undefined || entry.prober !== prober) return;
    const started = performance.now();
    for (const a of entry.users) {
      a.probers.forEach((p, i) => {
        if (p === entry.prober) swapHealth(a.ints, a.plan, (q) => !a.probers[q].up, i);
      });
    }
    const { probe } = entry.prober;
    const fields = {
      target: probe.address, port: probe.check.port, type: probe.check.type,
      zone: [...new Set([...entry.users].map((a) => a.zone))].join(' '),
      check: [...new Set([...entry.users].flatMap((a) => this.checkNames(a, entry.prober)))].join(' '),
      swapMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(result.reason !== undefined && { reason: result.reason }),
    };
    if (up) this.log.info('health check up', fields);
    else this.log.warn('health check down', { ...fields, todo: 'its records are left out of answers until it is up again' });
  }

  private checkNames(a: HealthAttachment, prober: Prober): string[] {
    return a.plan.probes.filter((_, i) => a.probers[i] === prober).map((p) => p.check.name);
  }

  /** Every zone's checks, for /metrics. */
  rows(): HealthCheckSnapshot[] {
    const out: HealthCheckSnapshot[] = [];
    for (const a of this.zones.values()) {
      a.plan.probes.forEach((probe, i) => {
        const p = a.probers[i];
        out.push({
          zone: a.zone, check: probe.check.name, target: probe.address, up: p.up, transitions: p.transitions,
          probes: p.probes, probeSeconds: p.probeSeconds, lastProbeSeconds: p.lastProbeSeconds,
        });
      });
    }
    return out;
  }

  /** Probers running (distinct probe targets). */
  get size(): number {
    return this.probers.size;
  }

  /** Stops every probe. */
  close(): void {
    for (const { prober } of this.probers.values()) prober.stop();
    this.probers.clear();
    this.zones.clear();
  }
}
