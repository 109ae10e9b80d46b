import type { ServerSnapshot } from '../counters/snapshot.js';
import type { ZoneSink } from '../sources/source.js';
import type { Name } from '../wire/name.js';
import type { ServedVersion } from './catalog.js';

/**
 * What answers queries: the one shape of one thread (local.ts) and of several DNS threads
 * (threads.ts), so start-up, readiness, metrics and shutdown never ask which it is. A zone source
 * feeds it (ZoneSink); every zone change, and any future change of what is served, reaches every
 * answering process through it.
 */
export interface Serving extends ZoneSink {
  /** Zones being served. */
  readonly zoneCount: number;
  /** What is served from this zone file now (for the HTTP API's change status), if anything. */
  version(fileName: string): ServedVersion | undefined;
  /** The file this zone (its apex) is served from, if it is served. */
  servedFrom(apex: Name): string | undefined;
  /** Starts answering on host:port; resolves with the bound port once every answering thread listens. */
  listen(host: string, port: number): Promise<number>;
  /** Whether queries are answered now: listening, and (with DNS threads) at least one of them alive. */
  readonly answering: boolean;
  /** The numbers for /metrics (source sync health aside: the source has those). */
  snapshot(): Promise<Omit<ServerSnapshot, 'sourceStats'>>;
  /** A count that grows with every query received: the shutdown waits for it to stop growing. */
  received(): number;
  /**
   * Once the first load is done: removes from the compiled cache (ZONE_CACHE_DIR) the entries no
   * zone file uses, those of files changed or removed while no server ran, and resolves with how
   * many; then the entries of the zones the load compiled are written (src/answer/compile-thread.ts).
   */
  settleCache(): Promise<number>;
  /** Stops answering: sockets closed (with DNS threads, every one stopped). */
  close(): Promise<void>;
}
