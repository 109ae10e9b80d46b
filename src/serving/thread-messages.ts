import type { CompiledFile } from '../answer/compile-file.js';
import { servedFacts, type ServedFacts } from '../answer/zone.js';
import type { Config } from '../config.js';
import type { ServerSnapshot } from '../counters/snapshot.js';
import type { ZoneBatch } from './zone-batch.js';

/** A compiled zone: what the catalog gives a target. */
export type ServableZone = Extract<CompiledFile, { kind: 'zone' }>;

/**
 * A compiled zone as a serving thread holds it: its image (with DNS threads, in a SharedArrayBuffer
 * every thread reads) and what serving it takes, nothing more (a start posts every zone to every
 * thread): a zone that may be transferred has its transfer messages, the difference from its
 * version before, and the facts a transfer and a NOTIFY carry; any other, the facts answering takes.
 */
export type SharedZone =
  | { facts: ServedFacts; image: ServableZone['image']; axfr?: undefined; difference?: undefined }
  | { facts: ServableZone['facts']; image: ServableZone['image']; axfr: Uint8Array; difference?: ServableZone['difference'] };

/** What of a compiled zone is served (SharedZone). */
export function sharedZone(zone: ServableZone | SharedZone): SharedZone {
  return zone.axfr === undefined
    ? { facts: servedFacts(zone.facts), image: zone.image }
    : { facts: zone.facts, image: zone.image, axfr: zone.axfr, difference: zone.difference };
}

/** What a DNS thread starts with (src/serving/dns-thread.ts). */
export interface DnsThreadData {
  config: Config;
  /** The slot it fills: its number in the log lines. */
  index: number;
  /** The process's counts of queries at the forwarder's upstreams (FORWARD_MAX_CONCURRENT), one per thread, `index` its own. */
  forwardGate: SharedArrayBuffer;
}

/** Messages from the main thread to a DNS thread (src/serving/threads.ts, dns-thread.ts). */
export type ToDnsThread =
  /**
   * Serve these zones, drop those, in order (src/serving/zone-batch.ts: made once for every thread;
   * images and transfer messages shared, not copied). Answered by one `served`.
   */
  | { kind: 'zones'; batch: ZoneBatch }
  /**
   * Bind the port and answer (sent once the first load is done, after its zones); `port` 0: any,
   * for the first thread only; the others bind the port it got.
   */
  | { kind: 'listen'; host: string; port: number }
  /** Asks for the thread's numbers for /metrics. */
  | { kind: 'snapshot'; id: number }
  /** Close the sockets (open TCP connections finish their answers), flush the logs, end the thread. */
  | { kind: 'stop' };

/** A DNS thread's numbers: its queries and what it serves (the main thread counts the reloads and NOTIFY). */
export type DnsThreadSnapshot = Pick<ServerSnapshot, 'queries' | 'zones' | 'records' | 'logDroppedLines' | 'forward'>;

export type FromDnsThread =
  | { kind: 'ready'; port: number }
  | { kind: 'failed'; code: string | undefined; message: string }
  /**
   * The thread serves the zones of its oldest unanswered `zones` message, but for those it could not
   * install (a bug): their numbers in the batch and why.
   */
  | { kind: 'served'; failed: { at: number; error: string }[] }
  | { kind: 'snapshot'; id: number; snapshot: DnsThreadSnapshot };
