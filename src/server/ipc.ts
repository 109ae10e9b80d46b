import type { ServerSnapshot } from '../ops/metrics.js';


/**
 * How a process binds the DNS port: `none` alone; `cluster` through the cluster primary's one
 * shared handle (every worker reads the same socket); `reusePort` with a socket of its own and
 * SO_REUSEPORT, the kernel spreading datagrams and connections over the workers (Node.js 22.12+).
 */
export type ShareMode = 'none' | 'cluster' | 'reusePort';

/**
 * Messages between the primary and its DNS workers (see workers.ts). Every message carries
 * `eclipso` as its kind, which keeps them apart from the cluster module's own.
 */

/** One zone file as a source handed it to the sink. */
export interface ZoneText {
  origin: string;
  fileName: string;
  text: string;
}

export type ToWorker =
  /**
   * The answer to `hello`: how to listen, and every zone file the primary holds now. The lead
   * worker logs zone changes; `replacement` says these files were logged already, by its
   * predecessor.
   */
  | { eclipso: 'start'; lead: boolean; replacement: boolean; host: string; port: number; share: ShareMode; files: ZoneText[] }
  | ({ eclipso: 'upsert' } & ZoneText)
  | { eclipso: 'remove'; origin: string; fileName: string }
  /** Asks for the worker's numbers for /metrics. */
  | { eclipso: 'snapshot'; id: number }
  /** Close the sockets, flush the logs, exit 0. */
  | { eclipso: 'stop' };

export type FromWorker =
  | { eclipso: 'hello' }
  | { eclipso: 'ready'; port: number }
  | { eclipso: 'failed'; code: string | undefined; message: string }
  | { eclipso: 'snapshot'; id: number; snapshot: ServerSnapshot };

export function isEclipsoMessage(m: unknown): m is { eclipso: string } {
  return typeof m === 'object' && m !== null && typeof (m as { eclipso?: unknown }).eclipso === 'string';
}
