import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ThreadCompiler, type ZoneCompiler } from '../answer/compiler.js';
import { NOTIFY_RESULTS, snapshotQueries, type ServerSnapshot } from '../counters/snapshot.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { TransferSettings } from '../transfer/settings.js';
import { transfersOn } from '../transfer/access.js';
import { Transfers } from '../server/transfer.js';
import { Notifier } from './notifier.js';
import { DnsServer } from '../server/dns.js';
import { QueryObserver } from '../server/observer.js';
import type { ShareMode } from '../server/share.js';
import { sourceLabel } from '../sources/source.js';
import type { ZoneFileError } from '../zone/problem.js';
import { ZoneCatalog } from './catalog.js';
import { TableTarget } from './table-target.js';
import type { Serving } from './serving.js';
import { VERSION } from '../version.js';

/** Where compiled zones are kept across restarts: `compiled/` in ZONE_CACHE_DIR, if set. */
export function compiledCache(config: Config, log: Logger): { dir: string; version: string; log: Logger } | null {
  return config.zoneCacheDir === undefined ? null : { dir: join(config.zoneCacheDir, 'compiled'), version: VERSION, log };
}

/**
 * One process that loads zones and answers (WORKERS=1), and the answering half of each DNS
 * worker of a pool (worker.ts), which binds with `share` and is fed its primary's files.
 */
export class LocalServing implements Serving {
  private readonly target: TableTarget;
  private readonly catalog: ZoneCatalog;
  private readonly compiler: ZoneCompiler;
  private readonly observer: QueryObserver;
  private dns: DnsServer | null = null;
  private readonly notifier: Notifier | null;
  /**
   * Zone transfers at the listeners, made only once a zone may be transferred: at start with
   * XFR_ALLOW or TSIG_KEY set, else when the first zone whose file has its own non-empty
   * `allow_transfer` is served (and kept from then on: the access check refuses per zone, so a
   * zone that drops its list later needs nothing undone). A server with neither never makes one:
   * its queries skip the transfer check, and no zone text is kept (TableTarget).
   */
  private xfr: Transfers | null = null;

  /**
   * A worker of a pool (`share` other than none) is quiet (its primary logs the zone changes) and
   * compiles on one thread (its siblings use the other cores); one process alone on every core.
   */
  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly transfers: TransferSettings,
    private readonly share: ShareMode = 'none',
  ) {
    const worker = share !== 'none';
    // With transfers on (or for a zone that allows transfers itself), each zone is compiled with
    // its transfer messages and, for IXFR, its difference from the version before.
    const on = transfersOn(transfers.access);
    this.target = new TableTarget(transfers.ixfrVersions, () => this.transfersNeeded());
    this.compiler = new ThreadCompiler(worker ? 1 : availableParallelism(), compiledCache(config, log), on);
    // NOTIFY goes from the process that runs the source: a worker's primary sends it.
    this.notifier = worker ? null : new Notifier(transfers, log);
    this.catalog = new ZoneCatalog(this.target, this.compiler, log, worker, undefined, (zone) => this.notifier?.changed(zone), transfers.ixfrVersions > 0);
    this.observer = new QueryObserver(config.logIgnore ? null : log);
    if (transfersOn(transfers.access)) this.transfersNeeded();
  }

  private transfersNeeded(): void {
    if (this.xfr !== null) return;
    this.xfr = new Transfers(this.transfers, { find: (k) => this.target.source(k) }, this.log, this.observer.counters.xfr);
    this.dns?.useTransfers(this.xfr);
  }

  get zoneCount(): number {
    return this.catalog.zoneCount;
  }

  upsert(origin: string, fileName: string, text: string, modified?: number, serial?: number): Promise<boolean> {
    return this.catalog.upsert(origin, fileName, text, modified, serial);
  }

  unreadable(origin: string, fileName: string, error: ZoneFileError): Promise<void> {
    return this.catalog.unreadable(origin, fileName, error);
  }

  remove(origin: string, fileName: string): Promise<void> {
    return this.catalog.remove(origin, fileName);
  }

  async listen(host: string, port: number): Promise<number> {
    const dns = new DnsServer(this.target.table, this.observer, this.config, this.log, this.xfr);
    const bound = await dns.listen(host, port, this.share);
    this.dns = dns;
    this.notifier?.start();
    return bound;
  }

  get answering(): boolean {
    return this.dns !== null;
  }

  async snapshot(): Promise<Omit<ServerSnapshot, 'sourceStats'>> {
    return {
      queries: snapshotQueries(this.observer.counters),
      zones: this.target.table.zoneCount,
      records: this.target.records,
      source: sourceLabel(this.config.zoneDir),
      reload: { ...this.catalog.stats },
      logDroppedLines: this.log.droppedQueryLines,
      notify: this.notifier ? [...this.notifier.counts] : NOTIFY_RESULTS.map(() => 0),
    };
  }

  received(): number {
    return this.observer.counters.received();
  }

  async close(): Promise<void> {
    this.notifier?.close();
    const dns = this.dns;
    this.dns = null;
    await dns?.close();
    await this.compiler.close();
  }
}
