import type { ForwardSnapshot } from './forward.js';
import { RRL_COUNTS, TCP_CLOSE_REASONS, TRANSPORT_NAMES, XFR_RESULTS, type QueryCounters } from './queries.js';

/**
 * Query counters as plain data: sparse `[code, count]` pairs per transport, small enough to send
 * over IPC on every scrape (the live counters are 2 × 69,632 slots per process), and summable
 * across DNS threads.
 */
export interface QuerySnapshot {
  /** [transport][i] = [qtype, count] */
  byType: [number, number][][];
  /** [transport][i] = [rcode, count] */
  byRcode: [number, number][][];
  truncated: number[];
  dropped: number[];
  /** [reason] as in TCP_CLOSE_REASONS */
  tcpClosed: number[];
  /** [result] as in XFR_RESULTS */
  xfr: number[];
  /** As in RRL_COUNTS */
  rrl: number[];
}

/**
 * What became of the NOTIFYs to secondaries (one per secondary per new serial): sent, then
 * acknowledged or failed; eclipso_notify_<result>_total.
 */
export const NOTIFY_RESULTS = ['sent', 'acknowledged', 'failed'] as const;

/** Counters of the path from zone file to served zone (the catalog), for /metrics. */
export interface ReloadStats {
  loaded: number;
  rejected: number;
  removed: number;
  lastLoadUnixSeconds: number;
}

/** Sync health of a source that reads a remote store (S3), kept up to date live. */
export interface SourceStats {
  /** Unix seconds of the last sync that read the whole store without an error; 0 before the first. */
  lastSuccessUnixSeconds: number;
  /** Failed requests to the store (S3 API errors, timeouts), since start. */
  errors: number;
}

/** One health check of one address in one zone (src/health/checks.ts), for /metrics. */
export interface HealthCheckSnapshot {
  zone: string;
  check: string;
  target: string;
  up: boolean;
  transitions: number;
  probes: number;
  probeSeconds: number;
  lastProbeSeconds: number;
}

/** Everything /metrics shows, gathered at scrape time (from one process, or summed over workers). */
export interface ServerSnapshot {
  queries: QuerySnapshot;
  zones: number;
  records: number;
  /** "folder" or "s3": the `source` label of the reload metrics. */
  source: string;
  reload: ReloadStats;
  sourceStats?: SourceStats;
  logDroppedLines: number;
  /** [result] as in NOTIFY_RESULTS: from the process that sends NOTIFY (a pool's primary). */
  notify: number[];
  /** The forwarder's numbers, when FORWARD_TO is set (summed over DNS threads). */
  forward?: ForwardSnapshot;
  /** The zones' health checks, from the process that runs them (a pool's primary). */
  health?: HealthCheckSnapshot[];
}

export function emptyReloadStats(): ReloadStats {
  return { loaded: 0, rejected: 0, removed: 0, lastLoadUnixSeconds: 0 };
}

function emptyQuerySnapshot(): QuerySnapshot {
  return {
    byType: TRANSPORT_NAMES.map(() => []),
    byRcode: TRANSPORT_NAMES.map(() => []),
    truncated: TRANSPORT_NAMES.map(() => 0),
    dropped: TRANSPORT_NAMES.map(() => 0),
    tcpClosed: TCP_CLOSE_REASONS.map(() => 0),
    xfr: XFR_RESULTS.map(() => 0),
    rrl: RRL_COUNTS.map(() => 0),
  };
}

function sparse(counts: Float64Array): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) out.push([i, counts[i]]);
  return out;
}

export function snapshotQueries(c: QueryCounters): QuerySnapshot {
  return {
    byType: c.byType.map(sparse),
    byRcode: c.byRcode.map(sparse),
    truncated: [...c.truncated],
    dropped: [...c.dropped],
    tcpClosed: [...c.tcpClosed],
    xfr: [...c.xfr],
    rrl: [...c.rrl],
  };
}

function addPairs(into: [number, number][], from: [number, number][]): [number, number][] {
  const sum = new Map(into);
  for (const [k, v] of from) sum.set(k, (sum.get(k) ?? 0) + v);
  return [...sum.entries()].sort((a, b) => a[0] - b[0]);
}

/** Sums snapshots (one per DNS thread) into one. */
export function sumQuerySnapshots(parts: QuerySnapshot[]): QuerySnapshot {
  const total = emptyQuerySnapshot();
  for (const p of parts) {
    for (let t = 0; t < TRANSPORT_NAMES.length; t++) {
      total.byType[t] = addPairs(total.byType[t], p.byType[t] ?? []);
      total.byRcode[t] = addPairs(total.byRcode[t], p.byRcode[t] ?? []);
      total.truncated[t] += p.truncated[t] ?? 0;
      total.dropped[t] += p.dropped[t] ?? 0;
    }
    for (let r = 0; r < TCP_CLOSE_REASONS.length; r++) total.tcpClosed[r] += p.tcpClosed[r] ?? 0;
    for (let r = 0; r < XFR_RESULTS.length; r++) total.xfr[r] += p.xfr?.[r] ?? 0;
    for (let r = 0; r < RRL_COUNTS.length; r++) total.rrl[r] += p.rrl?.[r] ?? 0;
  }
  return total;
}

/** Queries received (answered or dropped) in a snapshot, as QueryCounters#received counts them. */
export function receivedIn(q: QuerySnapshot): number {
  let n = 0;
  for (let t = 0; t < q.byRcode.length; t++) {
    for (const [, v] of q.byRcode[t]) n += v;
    n += q.dropped[t];
  }
  return n;
}
