import { TCP_CLOSE_REASONS, TRANSPORTS, type QueryCounters } from '../server/observer.js';

/**
 * Query counters as plain data: sparse `[code, count]` pairs per transport, small enough to send
 * over IPC on every scrape (the live counters are 2 × 69,632 slots per process), and summable
 * across worker processes.
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
}

export function emptyQuerySnapshot(): QuerySnapshot {
  return {
    byType: TRANSPORTS.map(() => []),
    byRcode: TRANSPORTS.map(() => []),
    truncated: TRANSPORTS.map(() => 0),
    dropped: TRANSPORTS.map(() => 0),
    tcpClosed: TCP_CLOSE_REASONS.map(() => 0),
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
  };
}

function addPairs(into: [number, number][], from: [number, number][]): [number, number][] {
  const sum = new Map(into);
  for (const [k, v] of from) sum.set(k, (sum.get(k) ?? 0) + v);
  return [...sum.entries()].sort((a, b) => a[0] - b[0]);
}

/** Sums snapshots (one per worker process) into one. */
export function sumQuerySnapshots(parts: QuerySnapshot[]): QuerySnapshot {
  const total = emptyQuerySnapshot();
  for (const p of parts) {
    for (let t = 0; t < TRANSPORTS.length; t++) {
      total.byType[t] = addPairs(total.byType[t], p.byType[t] ?? []);
      total.byRcode[t] = addPairs(total.byRcode[t], p.byRcode[t] ?? []);
      total.truncated[t] += p.truncated[t] ?? 0;
      total.dropped[t] += p.dropped[t] ?? 0;
    }
    for (let r = 0; r < TCP_CLOSE_REASONS.length; r++) total.tcpClosed[r] += p.tcpClosed[r] ?? 0;
  }
  return total;
}
