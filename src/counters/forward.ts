/**
 * What the forwarder counts (src/forward/): per upstream, the queries sent, the answers by RCODE,
 * the timeouts and the latency; the cache's hits and misses; the queries refused at the
 * concurrency cap. Plain numbers, summed over DNS threads for /metrics.
 */

/**
 * Upper bounds of the latency buckets, in seconds (`le` of eclipso_forward_request_duration_seconds):
 * CoreDNS's forward plugin's spread, from a loopback answer to a timeout.
 */
export const FORWARD_LATENCY_BUCKETS = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192] as const;

/** One upstream's numbers. */
export interface UpstreamSnapshot {
  /** `address:port` as FORWARD_TO names it: the `to` label. */
  to: string;
  queries: number;
  /** [rcode, count] pairs, the answers it gave. */
  rcodes: [number, number][];
  timeouts: number;
  /** Counts per FORWARD_LATENCY_BUCKETS bound (not cumulative), then one for the answers above the last. */
  latency: number[];
  latencySum: number;
  /** Times it was found unhealthy (failed in band, or a background probe went unanswered). */
  healthFailures: number;
}

export interface ForwardSnapshot {
  upstreams: UpstreamSnapshot[];
  cacheHits: number;
  cacheMisses: number;
  cacheEntries: number;
  /** Queries answered REFUSED at once because FORWARD_MAX_CONCURRENT were outstanding. */
  concurrentRejects: number;
}

/** The live counters of one upstream, bumped by the forwarder. */
export class UpstreamCounters {
  queries = 0;
  readonly rcodes = new Map<number, number>();
  timeouts = 0;
  readonly latency = new Array<number>(FORWARD_LATENCY_BUCKETS.length + 1).fill(0);
  latencySum = 0;
  healthFailures = 0;

  constructor(readonly to: string) {}

  /** An answer came after `seconds`, with `rcode`. */
  answered(rcode: number, seconds: number): void {
    this.rcodes.set(rcode, (this.rcodes.get(rcode) ?? 0) + 1);
    let i = 0;
    while (i < FORWARD_LATENCY_BUCKETS.length && seconds > FORWARD_LATENCY_BUCKETS[i]) i++;
    this.latency[i]++;
    this.latencySum += seconds;
  }

  snapshot(): UpstreamSnapshot {
    return {
      to: this.to, queries: this.queries, rcodes: [...this.rcodes.entries()].sort((a, b) => a[0] - b[0]), timeouts: this.timeouts,
      latency: [...this.latency], latencySum: this.latencySum, healthFailures: this.healthFailures,
    };
  }
}

/** Sums the forwarders' snapshots of several DNS threads (the same upstreams, by `to`). */
export function sumForwardSnapshots(parts: ForwardSnapshot[]): ForwardSnapshot | undefined {
  if (parts.length === 0) return undefined;
  const upstreams = new Map<string, UpstreamSnapshot>();
  const total: ForwardSnapshot = { upstreams: [], cacheHits: 0, cacheMisses: 0, cacheEntries: 0, concurrentRejects: 0 };
  for (const p of parts) {
    total.cacheHits += p.cacheHits;
    total.cacheMisses += p.cacheMisses;
    total.cacheEntries += p.cacheEntries;
    total.concurrentRejects += p.concurrentRejects;
    for (const u of p.upstreams) {
      const sum = upstreams.get(u.to);
      if (sum === undefined) {
        upstreams.set(u.to, { ...u, rcodes: [...u.rcodes], latency: [...u.latency] });
        continue;
      }
      sum.queries += u.queries;
      sum.timeouts += u.timeouts;
      sum.latencySum += u.latencySum;
      sum.healthFailures += u.healthFailures;
      u.latency.forEach((n, i) => (sum.latency[i] += n));
      const rc = new Map(sum.rcodes);
      for (const [code, n] of u.rcodes) rc.set(code, (rc.get(code) ?? 0) + n);
      sum.rcodes = [...rc.entries()].sort((a, b) => a[0] - b[0]);
    }
  }
  total.upstreams = [...upstreams.values()];
  return total;
}
