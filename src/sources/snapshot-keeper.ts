import type { Logger } from '../log.js';
import type { FetchedObject } from './remote-zones.js';
import type { SnapshotEntry, ZoneSnapshot } from './snapshot.js';

/** Snapshot files the first load deferred, written this many in each turn of the source's lock (events wait no longer). */
const SNAPSHOT_WRITES_IN_TURN = 256;

/** An accepted object to be written to the snapshot. */
interface Kept {
  file: string;
  bytes: Uint8Array;
  /** The octets' textDigest. */
  digest: string;
  etag: string;
  modified?: number;
}

/**
 * The remote source's side of its snapshot (ZONE_CACHE_DIR, snapshot.ts): what a start reads of
 * it, the files a restart may take for objects that did not change, each accepted object kept in
 * it, and the first load's objects written once that load is done (written as they came, a file
 * each, they made a first start from 20,000 objects seconds longer: bench/RESULTS.md). Trouble
 * with the folder (disk full, permissions) is logged and never stops the source: the zones come
 * from the store either way. Without ZONE_CACHE_DIR, every call does nothing.
 */
export class SnapshotKeeper {
  /** The first load's objects, until it is done; null when not deferring. */
  private deferred: Kept[] | null = null;
  /** The snapshot's files the first sync may take instead of fetching; null once taken. */
  private reusable: Map<string, SnapshotEntry> | null = null;
  /** The deferred files being written (a stop waits for the part under way). */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private snapshot: ZoneSnapshot | null,
    private readonly log: Logger,
    /** "S3", "DynamoDB": the store's name in log lines. */
    private readonly kind: string,
  ) {}

  get dir(): string | undefined {
    return this.snapshot?.dir;
  }

  /**
   * Reads the snapshot at start; none (empty) without one, or when its folder cannot be used,
   * which is logged, and the source goes on without a snapshot. From then on, the objects the
   * first load accepts are written once it is done (writeDeferred).
   */
  async load(): Promise<SnapshotEntry[]> {
    const snapshot = this.snapshot;
    if (!snapshot) return [];
    let saved: SnapshotEntry[];
    try {
      saved = await snapshot.load();
    } catch (e) {
      // A cache folder we cannot use must not keep DNS down: go on from the store alone, and say so.
      this.snapshot = null;
      this.log.error('cannot use the zone snapshot folder; going on without a snapshot', {
        snapshot: snapshot.dir,
        error: (e as Error).message,
        todo: 'make ZONE_CACHE_DIR a folder this user can create and write, or unset it',
      });
      return [];
    }
    this.deferred = [];
    this.reusable = new Map(saved.filter((e) => e.reusable).map((e) => [e.file, e]));
    return saved;
  }

  /**
   * The files the first sync may take for the objects listed with their ETag (a restart fetches
   * only the objects that changed since the snapshot was written); null after the first call.
   */
  takeReusable(): ReadonlyMap<string, SnapshotEntry> | null {
    const reusable = this.reusable;
    this.reusable = null;
    return reusable;
  }

  /**
   * Keeps an object the sink accepted (`digest`: the textDigest of its octets): written now, or,
   * during the first load, once it is done.
   */
  async keep(file: string, obj: FetchedObject, digest: string): Promise<void> {
    if (this.deferred) this.deferred.push({ file, bytes: obj.bytes, digest, etag: obj.etag, modified: obj.modified });
    else await this.do('write', file, () => this.snapshot?.write(file, obj.bytes, digest, obj.etag, obj.modified));
  }

  async remove(file: string): Promise<void> {
    await this.do('remove', file, () => this.snapshot?.remove(file));
  }

  /** Whether the first load's objects are held, to be written by writeDeferred. */
  get deferring(): boolean {
    return this.deferred !== null;
  }

  /**
   * Writes what the first load deferred, a few files in each `turn` (the lock that the source's
   * syncs and events take), skipping a file whose zone has changed since (`current` false for its
   * digest and ETag: its newer version was written); then the manifest (saveManifest with
   * `keep`). A stop (`stopped`) before the end leaves the rest to be fetched again by the next start.
   */
  writeDeferred(
    turn: (job: () => Promise<void>) => Promise<void>,
    current: (file: string, digest: string, etag: string) => boolean,
    keep: () => ReadonlySet<string>,
    stopped: () => boolean,
  ): void {
    const entries = this.deferred ?? [];
    this.deferred = null;
    this.writing = (async () => {
      const started = performance.now();
      for (let i = 0; i < entries.length && !stopped(); i += SNAPSHOT_WRITES_IN_TURN) {
        await turn(async () => {
          for (const { file, bytes, digest, etag, modified } of entries.slice(i, i + SNAPSHOT_WRITES_IN_TURN)) {
            if (current(file, digest, etag)) await this.do('write', file, () => this.snapshot?.write(file, bytes, digest, etag, modified));
          }
        });
      }
      if (stopped()) return;
      await turn(() => this.saveManifest(keep()));
      if (entries.length > 0) {
        this.log.info('wrote the first load\'s zones to the snapshot', { snapshot: this.snapshot?.dir, files: entries.length, ms: Math.round(performance.now() - started) });
      }
    })();
  }

  /**
   * The manifest written and, with `keep`, the files of the zones not in it removed (the source
   * keeps those its store still lists, a zone whose object cannot be read now or does not load
   * keeping its last good file).
   */
  saveManifest(keep?: ReadonlySet<string>): Promise<void> {
    return this.do('update', 'manifest', async () => {
      await this.snapshot?.saveManifest();
      if (keep) await this.snapshot?.prune(keep);
    });
  }

  /** Resolves once the deferred files being written are (a stop). */
  settled(): Promise<void> {
    return this.writing;
  }

  private async do(what: string, file: string, job: () => Promise<void> | undefined): Promise<void> {
    try {
      await job();
    } catch (e) {
      this.log.error(`cannot ${what} the zone snapshot; a restart while ${this.kind} is down may serve older zones`, { file, error: (e as Error).message });
    }
  }
}
