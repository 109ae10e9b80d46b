import type { CompiledFile } from '../answer/compile-file.js';
import type { Config } from '../config.js';
import type { ServerSnapshot } from '../counters/snapshot.js';
import type { ZoneText } from './catalog.js';

/** A compiled zone as the DNS threads get it: its image in SharedArrayBuffers, read by every thread. */
export type SharedZone = Extract<CompiledFile, { kind: 'zone' }>;

/** What a DNS thread starts with (src/serving/dns-thread.ts). */
export interface DnsThreadData {
  config: Config;
  /** The slot it fills: its number in the log lines. */
  index: number;
  host: string;
  /** The port to bind (0: any, for the first thread only; the others bind the port it got). */
  port: number;
  /** The process's counts of queries at the forwarder's upstreams (FORWARD_MAX_CONCURRENT), one per thread, `index` its own. */
  forwardGate: SharedArrayBuffer;
}

/** Messages from the main thread to a DNS thread (src/serving/threads.ts, dns-thread.ts). */
export type ToDnsThread =
  /** Serve this zone (its image and transfer messages shared, not copied); `file.text` is always empty. */
  | { kind: 'put'; file: ZoneText; zone: SharedZone }
  | { kind: 'drop'; file: Omit<ZoneText, 'text'>; apexKey: string }
  /** Bind the port and answer (sent after the zones served so far). */
  | { kind: 'listen' }
  /** Asks for the thread's numbers for /metrics. */
  | { kind: 'snapshot'; id: number }
  /** Close the sockets (open TCP connections finish their answers), flush the logs, end the thread. */
  | { kind: 'stop' };

/** A DNS thread's numbers: its queries and what it serves (the main thread counts the reloads and NOTIFY). */
export type DnsThreadSnapshot = Pick<ServerSnapshot, 'queries' | 'zones' | 'records' | 'logDroppedLines' | 'forward'>;

export type FromDnsThread =
  | { kind: 'ready'; port: number }
  | { kind: 'failed'; code: string | undefined; message: string }
  /** The thread serves `fileName` with `serial`, or could not install it (null: a bug, logged there). */
  | { kind: 'served'; fileName: string; serial: number | null }
  | { kind: 'snapshot'; id: number; snapshot: DnsThreadSnapshot };
