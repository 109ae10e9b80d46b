import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ThreadCompiler, type ZoneCompiler } from '../answer/compiler.js';
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
import { ZoneCatalog } from './catalog.js';
import { TableTarget } from './table-target.js';
import type { Serving } from './serving.js';
import { VERSION } from '../version.js';

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
  private readonly compiler: ZoneCompiler;
  private readonly observer: QueryObserver;
  private dns: DnsServer | null = null;
  private readonly notifier: Notifier;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly transfers: TransferSettings,
  ) {
    this.target = new TableTarget(transfersOn(transfers.access));
    this.compiler = new ThreadCompiler(availableParallelism(), compiledCache(config, log));
    this.notifier = new Notifier(transfers, log);
    this.catalog = new ZoneCatalog(this.target, this.compiler, log, undefined, (apex, soa) => this.notifier.changed(apex, soa));
    this.observer = new QueryObserver(config.logIgnore ? null : log);
  }

  get zoneCount(): number {
    return this.catalog.zoneCount;
  }

  upsert(origin: string, fileName: string, text: string, modified?: number): Promise<boolean> {
    return this.catalog.upsert(origin, fileName, text, modified);
  }

  unreadable(origin: string, fileName: string, error: ZoneFileError): Promise<void> {
    return this.catalog.unreadable(origin, fileName, error);
  }

  remove(origin: string, fileName: string): Promise<void> {
    return this.catalog.remove(origin, fileName);
  }

  async listen(host: string, port: number): Promise<number> {
    const transfers = transfersOn(this.transfers.access)
      ? new Transfers(this.transfers, { find: (k) => this.target.source(k), stream: (job) => this.compiler.transfer(job) }, this.log, this.observer.counters.xfr)
      : null;
    const dns = new DnsServer(this.target.table, this.observer, this.config, this.log, transfers);
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
    };
  }

  received(): number {
    return this.observer.counters.received();
  }

  async close(): Promise<void> {
    this.notifier.close();
    const dns = this.dns;
    this.dns = null;
    await dns?.close();
    await this.compiler.close();
  }
}
