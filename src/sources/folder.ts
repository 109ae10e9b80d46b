import { watch, type Dirent, type FSWatcher } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { isZoneFileName } from '../zone/parse.js';
import { readRegularFile, readRegularFileSync, type FileRead } from './regular-file.js';
import { digestInSteps, zoneContent, type ZoneSink, type ZoneSource } from './source.js';
import { textDigest } from '../zone/text.js';

/**
 * Zone files read at once during a rescan while serving (each read is several round trips to
 * libuv's threads: stat, open, read, fstat).
 */
const READ_CONCURRENCY = 64;

/** What reading a zone file found: its octets come with their textDigest, which says whether it changed. */
type Read = Exclude<FileRead, { kind: 'bytes' }> | (Extract<FileRead, { kind: 'bytes' }> & { digest: string });

/**
 * Files handed over and not yet applied, at most, before a rescan reads more. Reading runs far
 * ahead of compiling (20,000 files: read in 1 s, compiled in 4 s): unbounded, every text read
 * waited in memory for its compile, long enough to be copied out of the young generation (20,000
 * files of 50 records: 119 MB promoted on this thread, 70 MB with this bound; its heap peaked at
 * 131 MB, 90 MB with it). 256 small files still keep two compile threads busy for tens of
 * milliseconds, while this thread reads the next 64 in a few. A large zone holds the files after
 * it back either way: they are shared out to the compile threads as they come, so some wait behind
 * it whatever was read.
 */
const HANDED_OVER_AHEAD = 256;

/** How often to check that ZONE_DIR is still the folder being watched. */
const REPLACED_CHECK_MS = 2000;

async function folderId(dir: string): Promise<string> {
  const st = await stat(dir);
  return `${st.dev}:${st.ino}`;
}

/**
 * Quiet time after the last event for a file renamed into place, or for a rescan, before reading.
 * A rename is atomic: the wait only gathers a burst of events (an editor's rename dance, a
 * ConfigMap swapping its `..data` link) into one read.
 */
const RENAME_SETTLE_MS = 100;

/**
 * Quiet time after the last change to a file written in place (truncated and rewritten: a reader
 * may see any prefix of it). Writers pause between writes (a script rendering a template, scp over
 * a slow link, an editor saving a large file; 0.5 s was seen): 2 s covers four times that and still
 * serves an in-place edit within about 2 s. A longer pause can still expose a prefix, so the README
 * says to write to a temporary file in the folder and rename it.
 */
const IN_PLACE_SETTLE_MS = 2000;

/**
 * Zone files in a local folder (the seed's default engine), live-reloaded from fs.watch events.
 * A changed file is re-read once it has stopped changing, and recompiled alone (only regular
 * files, up to ZONE_FILE_MAX_BYTES, are read); an event for anything that is not a zone file (a
 * Kubernetes ConfigMap swapping its `..data` link) rescans the folder, while a zone file is a
 * symlink, and reloads only what differs.
 */
export class FolderSource implements ZoneSource {
  readonly description: string;
  private watcher: FSWatcher | null = null;
  /** Pending reads per file ('' for a rescan); `inPlace`: a write in place was seen. */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; inPlace: boolean }>();
  /** Digest of the text last handed to the sink per file (not the text: 1M records would keep
   *  60 MB of it): unchanged files are not recompiled. */
  private readonly digests = new Map<string, string>();
  /**
   * Zone files that are not regular files (symlinks, as a Kubernetes ConfigMap's are): what they
   * lead to can change with no event naming them, only one naming another entry (the ConfigMap's
   * `..data`), which rescans the folder. While there are none, an event naming no zone file (a
   * temporary file renamed over a zone file, whose own event reloads it) rescans nothing: a
   * rescan reads every file again (20,000 zones: a second of CPU for each file written so).
   */
  private readonly linked = new Set<string>();
  /** Reloads run one after another, in event order. */
  private queue: Promise<void> = Promise.resolve();
  private sink: ZoneSink | null = null;
  /** After the first load: files are then read with asynchronous calls, never holding up answers. */
  private serving = false;
  /** Device and inode of the folder being watched; null while it is missing. */
  private watchedId: string | null = null;
  private checker: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    /** ZONE_FILE_MAX_BYTES: larger files are refused unread. */
    private readonly maxBytes: number,
  ) {
    this.description = `folder ${dir}`;
  }

  async start(sink: ZoneSink): Promise<void> {
    this.sink = sink;
    const listing = await this.list();
    // Watched before any file is read: a file written or replaced while the first load runs is
    // read again after it (which the first load's reads rely on: readNow), not left as it was read.
    this.watchFolder(await folderId(this.dir));
    const first = this.rescan(listing).then(() => void (this.serving = true));
    this.queue = first.catch(() => {});
    try {
      await first;
    } catch (e) {
      this.watcher?.close();
      this.watcher = null;
      throw e;
    }
    this.checker = setInterval(() => void this.checkReplaced(), REPLACED_CHECK_MS).unref();
  }

  private watchFolder(id: string): void {
    this.watchedId = id;
    this.watcher?.close();
    this.watcher = watch(this.dir, { persistent: false }, (event, file) => this.schedule(file ? String(file) : null, event));
    this.watcher.on('error', (e) => this.log.error('zone folder watch failed; restart to resume live reload', { dir: this.dir, error: e.message }));
  }

  /**
   * fs.watch follows the folder it opened: a folder moved away and made anew (or a symlink to it
   * switched) would go unwatched. Seen here, the new one is watched and read.
   */
  private async checkReplaced(): Promise<void> {
    const id = await folderId(this.dir).catch(() => null);
    if (id === this.watchedId) return;
    if (id === null) {
      if (this.watchedId !== null) this.log.error('zone folder is gone; the loaded zones stay in service', { dir: this.dir, todo: 'restore the folder: it is picked up again' });
      this.watchedId = null;
      return;
    }
    this.log.warn('zone folder was replaced; watching the new one', { dir: this.dir });
    this.watchFolder(id);
    this.schedule(null, 'rename');
  }

  async stop(): Promise<void> {
    if (this.checker) clearInterval(this.checker);
    this.watcher?.close();
    this.watcher = null;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    await this.queue;
  }

  /**
   * Reads a file once it has been quiet for its settle time (every event starts the wait again);
   * `null` (a non-zone name or no name) means "rescan the folder". fs.watch reports a write in
   * place as 'change' (inotify IN_MODIFY) and a rename into place as 'rename' only.
   */
  private schedule(file: string | null, event: string): void {
    const target = file !== null && isZoneFileName(file) ? file : null;
    if (target === null && file !== null && this.linked.size === 0) return;
    const id = target ?? '';
    const pending = this.timers.get(id);
    clearTimeout(pending?.timer);
    const inPlace = target !== null && (event === 'change' || pending?.inPlace === true);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.enqueue(() => (target === null ? this.rescan() : this.reload(target)));
    }, inPlace ? IN_PLACE_SETTLE_MS : RENAME_SETTLE_MS);
    this.timers.set(id, { timer, inPlace });
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((e: Error) =>
      this.log.error('zone reload failed; the zones already loaded stay in service', { dir: this.dir, error: e.message }));
  }

  /** The zone files in the folder. */
  private async list(): Promise<Dirent[]> {
    return (await readdir(this.dir, { withFileTypes: true })).filter((d) => isZoneFileName(d.name));
  }

  /**
   * Reads the folder (or takes the `listing` just made) and reloads what was added, changed or
   * removed since the last look.
   */
  private async rescan(listing?: Dirent[]): Promise<void> {
    const entries = listing ?? await this.list();
    const names = entries.map((d) => d.name);
    const present = new Set(names);
    // Listed as regular files (not symlinks, nor anything else): the first load reads them without looking them up first.
    const regular = new Set(entries.filter((d) => d.isFile()).map((d) => d.name));
    this.linked.clear();
    for (const name of names) if (!regular.has(name)) this.linked.add(name);
    if (this.serving) this.log.debug('zone folder rescanned', { dir: this.dir, files: names.length, linked: this.linked.size });
    // A file with a read pending is being written: that read takes it once it has settled.
    const files = [...[...this.digests.keys()].filter((f) => !present.has(f)), ...names.sort().filter((f) => !this.timers.has(f))];
    // Files are read READ_CONCURRENCY at a time and handed over in name order; they compile
    // meanwhile, many at once, and are applied in that order. The first load, reading with
    // synchronous calls, lets the compiled results in between batches: they are applied while
    // the rest is read, not all after it.
    const applied: Promise<unknown>[] = [];
    for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
      if (i >= HANDED_OVER_AHEAD) await applied[i - HANDED_OVER_AHEAD];
      const batch = files.slice(i, i + READ_CONCURRENCY);
      const paths = batch.map((f) => join(this.dir, f));
      const reads = this.serving ? await Promise.all(paths.map((p) => this.read(p))) : batch.map((f, j) => this.readNow(paths[j], regular.has(f)));
      batch.forEach((f, j) => applied.push(this.handOver(f, paths[j], reads[j])));
      if (!this.serving) await new Promise(setImmediate);
    }
    await Promise.all(applied);
  }

  private async reload(file: string): Promise<void> {
    const path = join(this.dir, file);
    const entry = await lstat(path).catch(() => null);
    if (entry !== null && !entry.isFile()) this.linked.add(file);
    else this.linked.delete(file);
    await this.handOver(file, path, await this.read(path));
  }

  /**
   * The bytes of the file at `path`, or why there are none (an error reading it is logged: null).
   * A large file is hashed a step at a time, queries answered in between (digestInSteps).
   */
  private async read(path: string): Promise<Read | null> {
    let read: FileRead;
    try {
      read = await readRegularFile(path, this.maxBytes);
    } catch (e) {
      return this.unreadable(path, e as Error);
    }
    return read.kind === 'bytes' ? { ...read, digest: await digestInSteps(read.bytes) } : read;
  }

  /**
   * The same, with synchronous calls: for the first load, before anything is served. `listed`:
   * the listing said it is a regular file (readRegularFileSync: the watch, started before the
   * listing, reports it replaced since).
   */
  private readNow(path: string, listed: boolean): Read | null {
    try {
      const read = readRegularFileSync(path, this.maxBytes, listed);
      return read.kind === 'bytes' ? { ...read, digest: textDigest(read.bytes) } : read;
    } catch (e) {
      return this.unreadable(path, e as Error);
    }
  }

  private unreadable(path: string, e: Error): null {
    this.log.error('cannot read zone file; the loaded version stays in service', { file: path, error: e.message });
    return null;
  }

  /** Hands what was read of a file (at `path`) to the sink; resolves once the sink has applied it. */
  private handOver(file: string, path: string, read: Read | null): Promise<unknown> {
    const none = Promise.resolve();
    if (read === null) return none;
    const kept = 'the loaded version, if any, stays in service';
    switch (read.kind) {
      case 'missing':
        return this.digests.delete(file) ? this.sink!.remove(path, file) : none;
      case 'changing':
        // Being written: read again once it has been quiet as long as an in-place write needs.
        this.schedule(file, 'change');
        return none;
      case 'not-regular':
        this.log.error('zone file is not a regular file; not read', {
          file: path, type: read.type, kept,
          todo: `a zone is a regular file or a symlink to one: remove ${file}, or rename it to a name not ending in .toml`,
        });
        return none;
      case 'too-large':
        this.log.error('zone file is too large; not read', {
          file: path, size: read.size, limit: `ZONE_FILE_MAX_BYTES=${this.maxBytes}`, kept,
          todo: 'split the zone into smaller zones, or raise ZONE_FILE_MAX_BYTES (--zone-file-max-bytes)',
        });
        return none;
    }
    // The text's digest (of its octets) is handed over with it.
    const { digest } = read;
    if (this.digests.get(file) === digest) return none;
    this.digests.set(file, digest);
    const content = zoneContent(this.sink!, path, file, read.bytes);
    return content === null ? none : this.sink!.upsert(path, file, content, read.modified, digest);
  }
}
