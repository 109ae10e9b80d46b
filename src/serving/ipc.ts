import type { ServerSnapshot } from '../counters/snapshot.js';
import type { ShareMode } from '../server/share.js';
import type { ZoneText } from './catalog.js';

/**
 * Messages between the pool's primary and its DNS workers (pool.ts, worker.ts). Every message
 * carries `eclipso` as its kind, which keeps them apart from the cluster module's own.
 */
export type ToWorker =
  /** The answer to `hello`: how to listen, and every zone file the primary serves now. */
  | { eclipso: 'start'; host: string; port: number; share: ShareMode; files: ZoneText[] }
  | ({ eclipso: 'upsert' } & ZoneText)
  | { eclipso: 'remove'; origin: string; fileName: string }
  /** Asks for the worker's numbers for /metrics. */
  | { eclipso: 'snapshot'; id: number }
  /** Close the sockets, flush the logs, exit 0. */
  | { eclipso: 'stop' };

/** A worker's numbers: its queries and what it serves (the primary counts the reloads). */
export type WorkerSnapshot = Pick<ServerSnapshot, 'queries' | 'zones' | 'records' | 'logDroppedLines'>;

export type FromWorker =
  | { eclipso: 'hello' }
  | { eclipso: 'ready'; port: number }
  | { eclipso: 'failed'; code: string | undefined; message: string }
  /** A file the primary accepted could not be served here (a bug: the worker logged it). */
  | { eclipso: 'rejected'; fileName: string }
  /** A file is served here with this serial (the primary's NOTIFY waits for every worker to say so). */
  | { eclipso: 'served'; fileName: string; serial: number }
  | { eclipso: 'snapshot'; id: number; snapshot: WorkerSnapshot };

export function isEclipsoMessage(m: unknown): m is { eclipso: string } {
  return typeof m === 'object' && m !== null && typeof (m as { eclipso?: unknown }).eclipso === 'string';
}
