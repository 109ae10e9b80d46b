import { join } from 'node:path';
import type { Fields, Logger } from '../log.js';
import { backoffMs } from './backoff.js';
import type { ChangeFeed } from './dynamodb-streams.js';
import { EventQueue } from './event-queue.js';
import { describeS3Error, isMissingObject, type FetchedObject, type Listing, type RemoteZones } from './remote-zones.js';
import { EventOrder, parseS3EventMessage, zoneFileOf, type ObjectEvent } from './s3-events.js';
import type { S3Location } from './s3-location.js';
import { SnapshotKeeper } from './snapshot-keeper.js';
import type { SnapshotEntry, ZoneSnapshot } from './snapshot.js';
import type { SourceStats } from '../counters/snapshot.js';
import { digestInSteps, zoneContent, type ZoneSink, type ZoneSource } from './source.js';
import type { ZoneContent } from '../zone/text.js';
import { isZoneFileName } from '../zone/parse.js';

/**
 * Zones of the snapshot handed over at once when their objects did not change: nothing is
 * fetched, so as many as keep the compile threads' messages full (src/outbox.ts).
 */
const REUSE_CONCURRENCY = 256;
/** First retry after a failure comes this soon (or after one period, if shorter)... */
const RETRY_BASE_MS = 2_000;
/** ...and retries back off to one period, or to this if the period is shorter. */
const RETRY_CAP_MIN_MS = 30_000;
/** With a snapshot, start serves it if the first S3 load takes longer than this. */
const SNAPSHOT_WAIT_MS = 5_000;

/**
 * What we last saw of one object: its ETag, and the textDigest of the octets the sink last
 * accepted (null: none). A digest, not the text: it tells a changed object as well, without a
 * copy of every zone's text on the thread that answers queries.
 */
interface Known {
  etag: string;
  digest: string | null;
}

export interface RemoteSourceOptions {
  /** For logs: s3://bucket/prefix/, dynamodb://table. */
  description: string;
  syncMs: number;
  bucket: RemoteZones;
  /** The bucket and prefix S3 events name; null for a store other than S3. */
  location: S3Location | null;
  snapshot: ZoneSnapshot | null;
  /** S3_EVENTS_QUEUE: an SQS queue of this bucket's event notifications, or null to poll only. */
  eventsQueue: URL | null;
  /** Changes the store pushes (DynamoDB Streams), or null. */
  changes?: ChangeFeed | null;
}

/**
 * Zones from `<domain>.toml` objects in an S3 bucket (the seed's second engine), or zones in a
 * DynamoDB table read as such files (dynamodb-table.ts): any RemoteZones. A scheduler lists
 * the bucket every period and compares ETags: only new or changed objects are fetched and
 * recompiled, and zones whose objects are gone are dropped. A failed list or fetch changes
 * nothing that is served; it is retried with backoff and jitter. With S3_EVENTS_QUEUE, the bucket's
 * event notifications (through SQS) fetch or drop a changed object within a second, and the
 * periodic sync stays as the repair of whatever an event stream lost.
 */
export class RemoteSource implements ZoneSource {
  readonly description: string;
  readonly stats: SourceStats = { lastSuccessUnixSeconds: 0, errors: 0 };
  private readonly known = new Map<string, Known>();
  private sink: ZoneSink | null = null;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private failures = 0;
  private wake: (() => void) | null = null;
  /** ZONE_CACHE_DIR's snapshot of the zones, if any. */
  private readonly snapshot: SnapshotKeeper;
  /** Which events are older than one already applied to their file. */
  private readonly order = new EventOrder();
  /** Syncs and events run one at a time: two fetches of one object must not land out of order. */
  private exclusive: Promise<unknown> = Promise.resolve();
  private events: EventQueue | null = null;
  /** A change feed lost track while a sync ran: sync again as soon as it ends. */
  private resyncWanted = false;
  /** The files the last listing showed: their snapshot files stay, whatever their fetch did. */
  private listed: ReadonlySet<string> = new Set();
  /** Whether a sync has listed the store since the start. */
  private listedOnce = false;
  /** Files being handed to the sink now: the snapshot served at start leaves them alone. */
  private readonly applying = new Set<string>();

  constructor(
    private readonly opts: RemoteSourceOptions,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.description = opts.description;
    this.snapshot = new SnapshotKeeper(opts.snapshot, log, opts.bucket.kind);
  }

  /**
   * Resolves once every zone object has been loaded. With a non-empty snapshot, it resolves as
   * soon as S3 fails, or after SNAPSHOT_WAIT_MS if S3 is merely slow, serving the snapshot until
   * the sync completes. Without one it keeps retrying, and the server does not listen until then.
   * Events are consumed from then on (they wait in the queue meanwhile).
   */
  async start(sink: ZoneSink): Promise<void> {
    const changes = this.opts.changes;
    // Joined before the first load: a change made during the load is seen either way.
    await changes?.prepare().catch((e: unknown) => {
      this.stats.errors++;
      this.log.error('cannot join the change stream; it is retried, and changes wait for the periodic sync meanwhile', { source: changes.description, error: describeS3Error(e) });
    });
    await this.load(sink);
    // A failed request to a change feed counts as one to the store: either way changes wait.
    const failed = (): void => void this.stats.errors++;
    if (changes && !this.stopped) changes.start((files) => this.onTouched(files), (why) => this.resyncNow(why), failed);
    if (this.opts.eventsQueue && !this.stopped) {
      this.events = await EventQueue.open(this.opts.eventsQueue, this.env, this.log);
      this.log.info('following S3 event notifications', { queue: this.events.description });
      this.events.start((body) => this.onMessage(body), failed);
    }
  }

  private async load(sink: ZoneSink): Promise<void> {
    this.sink = sink;
    this.log.info(`zone source ${this.kind}`, {
      ...await this.opts.bucket.startFields(),
      syncSeconds: this.opts.syncMs / 1000,
      snapshot: this.snapshot?.dir,
    });
    const saved = await this.snapshot.load();
    if (saved.length > 0) return this.startWithSnapshot(saved);
    while (!this.stopped) {
      try {
        await this.runSync();
        this.failures = 0;
        this.schedule(this.opts.syncMs);
        return;
      } catch (e) {
        if (this.stopped) return;
        await this.sleep(this.failed(e, `cannot load zones from ${this.kind}; not serving until it answers`, {
          todo: `check the ${this.kind === 'S3' ? 'bucket' : 'table'} name, AWS_REGION, credentials and AWS_ENDPOINT_URL; set ZONE_CACHE_DIR so that a restart can serve the last good zones while ${this.kind} is down`,
        }));
      }
    }
  }

  private async startWithSnapshot(saved: SnapshotEntry[]): Promise<void> {
    let ok: boolean | undefined;
    const first = this.runSync();
    first.then(() => (ok = true), () => (ok = false));
    await Promise.race([first.catch(() => undefined), this.sleep(SNAPSHOT_WAIT_MS)]);
    this.wake?.();
    // The store listed its zones: the sync takes the unchanged ones from the snapshot itself, and
    // serving the snapshot's older versions of the others now would only race it.
    if (ok === undefined && this.listedOnce) await first.catch(() => undefined);
    if (this.stopped) return;
    if (ok === true) {
      this.schedule(this.opts.syncMs);
      return;
    }
    await this.serveSnapshot(saved, ok === undefined ? `${this.kind} has not answered in ${SNAPSHOT_WAIT_MS / 1000} s` : `${this.kind} cannot be read`);
    this.follow(first); // a failure is logged there, and retried with backoff
  }

  async stop(): Promise<void> {
    await this.events?.stop();
    await this.opts.changes?.stop();
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
    await this.running.catch(() => undefined);
    await this.snapshot.settled();
    this.opts.bucket.destroy();
  }

  /** "S3", "DynamoDB": the store's name in log lines. */
  private get kind(): string {
    return this.opts.bucket.kind;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * S3 is down or slow at start: serve the last good zones from the snapshot until it answers. A
   * file is known by its object's ETag only if it may stand for it (reusable): any other, and one
   * this server rejects, is fetched once S3 answers. A reusable file is the object's octets, and is
   * named by the object: the compiled cache, keyed by origin too, has it from the start before.
   */
  private async serveSnapshot(entries: SnapshotEntry[], why: string): Promise<void> {
    let served = 0;
    await Promise.all(entries.filter(({ file }) => !this.known.has(file) && !this.applying.has(file)).map(async (entry) => {
      const { file, bytes } = entry;
      const origin = entry.reusable ? this.origin(file) : join(this.snapshot.dir!, file);
      const digest = entry.digest ?? await digestInSteps(bytes);
      // The first sync may have handed over the object while this file was hashed: the newer stays.
      if (this.known.has(file) || this.applying.has(file)) return;
      const content = zoneContent(this.sink!, origin, file, bytes);
      const accepted = content !== null && await this.upsert(origin, file, content, entry.modified, digest);
      if (accepted) served++;
      // Unless the first sync fetched it from S3 meanwhile.
      if (!this.known.has(file)) this.known.set(file, { etag: accepted && entry.reusable ? entry.etag : '', digest: accepted ? digest : null });
    }));
    this.log.warn(`serving zones from the local snapshot until ${this.kind} answers`, { why, zones: served, snapshot: this.snapshot.dir });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
    }, ms);
  }

  private tick(): void {
    this.follow(this.runSync());
  }

  /** After a sync: the next one in a period, or sooner with backoff if it failed. */
  private follow(sync: Promise<void>): void {
    sync.then(() => {
      if (this.failures > 0) this.log.info(`${this.kind} answers again; zones are in sync`, { afterFailures: this.failures });
      this.failures = 0;
      this.schedule(this.resyncWanted ? 0 : this.opts.syncMs);
      this.resyncWanted = false;
    }, (e: unknown) => {
      if (!this.stopped) this.schedule(this.failed(e, `${this.kind} sync failed; the loaded zones stay in service`));
    });
  }

  /** Counts a failure, logs it and returns the delay before the next try. */
  private failed(e: unknown, msg: string, extra: Fields = {}): number {
    this.failures++;
    const delay = backoffMs(this.failures, Math.min(RETRY_BASE_MS, this.opts.syncMs), Math.max(RETRY_CAP_MIN_MS, this.opts.syncMs));
    this.log.error(msg, { source: this.description, error: describeS3Error(e), failures: this.failures, retryInSeconds: delay / 1000, ...extra });
    return delay;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Runs `job` after every sync or event already begun. */
  private serially<T>(job: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(job, job);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  private runSync(): Promise<void> {
    this.running = this.serially(() => this.sync()).then(() => {
      this.stats.lastSuccessUnixSeconds = Date.now() / 1000;
    });
    return this.running;
  }

  /**
   * One pass: list, drop zones whose objects are gone, fetch new and changed objects. Throws if
   * the listing or any fetch failed; what did succeed is kept, and the rest is retried.
   */
  private async sync(): Promise<void> {
    const started = performance.now();
    const listing = await this.opts.bucket.list(this.abort.signal).catch((e: unknown) => {
      this.stats.errors++;
      throw e;
    });
    this.listed = new Set(listing.keys());
    this.listedOnce = true;
    const { fetch, remove } = planSync(this.known, listing);
    for (const file of remove) {
      this.known.delete(file);
      await this.sink!.remove(this.origin(file), file);
      await this.snapshot.remove(file);
    }
    // A restart with a snapshot fetches only the objects that changed since it was written.
    const saved = this.snapshot.takeReusable();
    const reused = fetch.filter((file) => saved?.get(file)?.etag === listing.get(file));
    const reusedSet = new Set(reused);
    const get = fetch.filter((file) => !reusedSet.has(file));
    const failed: { file: string; error: unknown }[] = [];
    let changed = 0;
    let fetched = 0;
    const getObject = async (file: string): Promise<FetchedObject> => {
      const obj = await this.opts.bucket.get(file, this.abort.signal);
      fetched++;
      return obj;
    };
    const load = async (file: string, fromSnapshot: boolean): Promise<void> => {
      const entry = fromSnapshot ? saved!.get(file)! : undefined;
      try {
        let rebuilt = await this.apply(file, entry ? snapshotObject(entry) : await getObject(file), entry);
        // A snapshot file this server does not load is fetched after all.
        if (entry && this.known.get(file)?.digest === null) {
          this.known.delete(file);
          rebuilt = await this.apply(file, await getObject(file));
        }
        if (rebuilt) changed++;
      } catch (error) {
        failed.push({ file, error });
      }
    };
    await Promise.all([
      this.pooled(reused, REUSE_CONCURRENCY, (file) => load(file, true)),
      this.pooled(get, this.opts.bucket.fetchConcurrency, (file) => load(file, false)),
    ]);
    // A stop part way leaves the zones not reached unknown: nothing is concluded from that.
    if (this.stopped) return;
    if (this.snapshot.deferring) {
      // The first load's files, once the store has been listed, even if some fetches failed.
      this.snapshot.writeDeferred((job) => this.serially(job), (file, digest, etag) => {
        const now = this.known.get(file);
        return now?.digest === digest && now.etag === etag;
      }, () => this.kept(), () => this.stopped);
    } else if (fetch.length > 0 || remove.length > 0) {
      await this.snapshot.saveManifest(this.kept());
    }
    const fields = { listed: listing.size, fetched, ...(reused.length > 0 && { reused: reused.length }), changed, removed: remove.length, ms: Math.round(performance.now() - started) };
    if (changed > 0 || remove.length > 0) this.log.info(`${this.kind} sync`, fields);
    else this.log.debug(`${this.kind} sync`, fields);
    if (failed.length > 0) {
      this.stats.errors += failed.length;
      const first = failed[0];
      throw new Error(`${failed.length} of ${fetch.length} zones could not be fetched (first: ${this.origin(first.file)}: ${describeS3Error(first.error)}); their loaded versions stay in service`);
    }
  }

  /** The zones whose snapshot files stay: those the last listing showed, and those served. */
  private kept(): ReadonlySet<string> {
    return new Set([...this.listed, ...[...this.known].filter(([, k]) => k.digest !== null).map(([f]) => f)]);
  }

  /** Runs `job` on every item, `concurrency` at a time, until the source stops. */
  private async pooled(items: readonly string[], concurrency: number, job: (item: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length && !this.stopped) await job(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  }

  /** A change feed lost records: a full sync now (or right after the one running). */
  private resyncNow(why: string): void {
    this.log.warn(`full ${this.kind} sync now: the change stream may have missed changes`, { why });
    if (!this.timer) {
      this.resyncWanted = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = null;
    this.tick();
  }

  /** Zones a change feed says were touched: each is read again (or dropped if gone). */
  private async onTouched(files: string[]): Promise<void> {
    for (const file of files.filter(isZoneFileName).sort()) {
      const result = await this.serially(() => this.refetch(file));
      this.log.info(`${this.kind} change applied`, { file: this.origin(file), result });
    }
  }

  /**
   * One SQS message: each zone object it names is fetched again (or dropped if gone). A message
   * that is not an S3 event, or whose object cannot be read now, throws: it stays in the queue.
   */
  private async onMessage(body: string): Promise<void> {
    const parsed = parseS3EventMessage(body);
    if (parsed.kind === 'test') {
      this.log.info('S3 test event received: notifications reach this server', { source: this.description });
      return;
    }
    for (const event of parsed.events) {
      const file = this.opts.location && zoneFileOf(event, this.opts.location);
      if (file) await this.serially(() => this.applyEvent(file, event));
    }
  }

  /**
   * Applies one event by reading the object as it is now: whatever order events arrive in, what
   * is installed is S3's current version, never an older one. An event whose sequencer is not
   * newer than one already applied to the key (a duplicate, or one overtaken) is skipped, as is
   * a creation whose ETag is the one loaded.
   */
  private async applyEvent(file: string, event: ObjectEvent): Promise<void> {
    const fields = { file: this.origin(file), event: event.kind, sequencer: event.sequencer };
    if (this.order.stale(file, event)) {
      this.log.info('S3 event skipped: a newer one was applied', fields);
      return;
    }
    const result = event.kind === 'created' && event.etag !== '' && this.known.get(file)?.etag === event.etag ? 'unchanged' : await this.refetch(file);
    this.order.applied(file, event);
    this.log.info('S3 event applied', { ...fields, result });
  }

  /** Reads one zone as the store has it now, and installs it, or drops it if it is gone. */
  private async refetch(file: string): Promise<'changed' | 'unchanged' | 'removed' | 'absent'> {
    const obj = await this.opts.bucket.get(file, this.abort.signal).catch((e: unknown) => {
      if (isMissingObject(e)) return null;
      this.stats.errors++;
      throw e;
    });
    let result: 'changed' | 'unchanged' | 'removed' | 'absent';
    if (obj) result = await this.apply(file, obj) ? 'changed' : 'unchanged';
    else if (this.known.delete(file)) {
      await this.sink!.remove(this.origin(file), file);
      await this.snapshot.remove(file);
      result = 'removed';
    } else result = 'absent';
    if (result !== 'unchanged') await this.snapshot.saveManifest();
    return result;
  }

  /**
   * Hands a fetched object to the reload path (`fromSnapshot`: the snapshot's file it was taken
   * from, which holds it already); returns true if a zone was (re)built.
   */
  private async apply(file: string, obj: FetchedObject, fromSnapshot?: SnapshotEntry): Promise<boolean> {
    const prev = this.known.get(file);
    // A large object is hashed a step at a time and decoded on its compile thread (zoneContent), as a folder's file.
    const digest = fromSnapshot?.digest ?? await digestInSteps(obj.bytes);
    if (prev && prev.digest === digest) {
      // Same bytes under a new ETag (or first look after a snapshot start): nothing to rebuild.
      prev.etag = obj.etag;
      return false;
    }
    const content = zoneContent(this.sink!, this.origin(file), file, obj.bytes);
    let accepted = false;
    if (content !== null) {
      this.applying.add(file);
      try {
        accepted = await this.upsert(this.origin(file), file, content, obj.modified, digest);
      } finally {
        this.applying.delete(file);
      }
    }
    // A rejected object keeps its ETag here so it is not refetched (and re-reported) every period;
    // the zone's last good version stays, and a fixed upload has a new ETag.
    this.known.set(file, { etag: obj.etag, digest: accepted ? digest : prev?.digest ?? null });
    if (accepted && !fromSnapshot) await this.snapshot.keep(file, obj, digest);
    return accepted;
  }

  /**
   * Hands a zone to the sink. `digest`: its octets' textDigest, which every caller has made (so the
   * sink does not hash them again).
   */
  private async upsert(origin: string, file: string, content: ZoneContent, modified: number | undefined, digest: string): Promise<boolean> {
    try {
      return await this.sink!.upsert(origin, file, content, modified, digest);
    } catch (e) {
      this.log.error('zone rejected: internal error while compiling; the previous version stays in service', { file: origin, error: (e as Error).message });
      return false;
    }
  }

  private origin(file: string): string {
    return this.opts.bucket.origin(file);
  }
}

/** A snapshot's file as the object it was written from. */
function snapshotObject(entry: SnapshotEntry): FetchedObject {
  return { bytes: entry.bytes, etag: entry.etag, ...(entry.modified !== undefined && { modified: entry.modified }) };
}

/**
 * What one sync must do, from what is loaded and what S3 lists: fetch objects that are new or
 * whose ETag changed (an empty ETag, from a store that sends none, is always fetched), and remove
 * zones whose objects are gone.
 */
export function planSync(known: ReadonlyMap<string, Known>, listing: Listing): { fetch: string[]; remove: string[] } {
  const fetch = [...listing].filter(([file, etag]) => etag === '' || known.get(file)?.etag !== etag).map(([file]) => file).sort();
  const remove = [...known.keys()].filter((file) => !listing.has(file)).sort();
  return { fetch, remove };
}
