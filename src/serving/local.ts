import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ThreadCompiler } from '../answer/compiler.js';
import { snapshotQueries, type ServerSnapshot } from '../counters/snapshot.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { TransferSettings } from '../transfer/settings.js';
import { transfersOn } from '../transfer/access.js';
import { Transfers } from '../server/transfer.js';
import { Notifier } from './notifier.js';
import { DnsServer } from '../server/dns.js';
import { QueryObserver } from '../server/observer.js';
import { sourceLabel } from '../sources/source.js';
import type { ZoneFileError } from '../zone/problem.js';
import { HealthChecks } from '../health/checks.js';
import { ZoneCatalog, type ServedVersion } from './catalog.js';
import type { ZoneContent } from '../zone/text.js';
import { TableTarget } from './table-target.js';
import type { Serving } from './serving.js';
import { VERSION } from '../version.js';
import { nameKey, type Name } from '../wire/name.js';

/** Where compiled zones are kept across restarts: `compiled/` in ZONE_CACHE_DIR, if set. */
export function compiledCache(config: Config, log: Logger): { dir: string; version: string; log: Logger } | null {
  return config.zoneCacheDir === undefined ? null : { dir: join(config.zoneCacheDir, 'compiled'), version: VERSION, log };
}

/**
 * One thread that loads zones and answers (WORKERS=1, or WORKERS > 1 where the DNS threads of
 * threads.ts cannot share the port), compiling on every core.
 */
export class LocalServing implements Serving {
  private readonly target: TableTarget;
  private readonly catalog: ZoneCatalog;
  private readonly compiler: ThreadCompiler;
  private readonly observer: QueryObserver;
  private dns: DnsServer | null = null;
  private readonly notifier: Notifier;
  private readonly health: HealthChecks;
  /**
   * Zone transfers at the listeners, made only once a zone may be transferred: at start with
   * XFR_ALLOW or TSIG_KEY set, else when the first zone whose file has its own non-empty
   * `allow_transfer` is served (and kept from then on: the access check refuses per zone, so a
   * zone that drops its list later needs nothing undone). A server with neither never makes one:
   * its queries skip the transfer check, and no zone text is kept (TableTarget).
   */
  private xfr: Transfers | null = null;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly transfers: TransferSettings,
  ) {
    // With transfers on (or for a zone that allows transfers itself), each zone is compiled with
    // its transfer messages and, for IXFR, its difference from the version before.
    const on = transfersOn(transfers.access);
    this.target = new TableTarget(transfers.ixfrVersions, () => this.transfersNeeded());
    const cache = compiledCache(config, log);
    // With a cache folder, images and transfer messages are made in shared memory (as for DNS
    // threads), for the server's life: the first load's cache entries then keep views of them until
    // written, not copies (src/answer/compile-thread.ts).
    this.compiler = new ThreadCompiler(availableParallelism(), cache, { transfers: on, shared: cache !== null });
    this.notifier = new Notifier(transfers, log);
    this.health = new HealthChecks(log);
    this.catalog = new ZoneCatalog(this.target, this.compiler, log, undefined, (zone) => this.notifier.changed(zone), transfers.ixfrVersions > 0, this.health);
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

  version(fileName: string): ServedVersion | undefined {
    return this.catalog.version(fileName);
  }

  servedFrom(apex: Name): string | undefined {
    return this.catalog.fileOf(nameKey(apex));
  }

  upsert(origin: string, fileName: string, text: ZoneContent, modified?: number, digest?: string): Promise<boolean> {
    return this.catalog.upsert(origin, fileName, text, modified, digest);
  }

  unreadable(origin: string, fileName: string, error: ZoneFileError): Promise<void> {
    return this.catalog.unreadable(origin, fileName, error);
  }

  remove(origin: string, fileName: string): Promise<void> {
    return this.catalog.remove(origin, fileName);
  }

  async listen(host: string, port: number): Promise<number> {
    const dns = new DnsServer(this.target.table, this.observer, this.config, this.log, this.xfr);
    const bound = await dns.listen(host, port);
    this.dns = dns;
    this.notifier.start();
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
      notify: [...this.notifier.counts],
      forward: this.dns?.forwarder?.snapshot(),
      health: this.health.rows(),
    };
  }

  received(): number {
    return this.observer.counters.received();
  }

  settleCache(): Promise<number> {
    return this.compiler.settleCache(Date.now());
  }

  async close(): Promise<void> {
    this.notifier.close();
    this.health.close();
    const dns = this.dns;
    this.dns = null;
    await dns?.close();
    await this.compiler.close();
  }
}
