import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { isZoneFileName } from '../zone/parse.js';
import type { ZoneSink, ZoneSource } from './source.js';

/** How often to check that ZONE_DIR is still the folder being watched. */
const REPLACED_CHECK_MS = 2000;

async function folderId(dir: string): Promise<string> {
  const st = await stat(dir);
  return `${st.dev}:${st.ino}`;
}

/** Quiet time after the last event for a file before it is read: editors write in several steps. */
const DEBOUNCE_MS = 100;

/**
 * Zone files in a local folder (the seed's default engine), live-reloaded from fs.watch events.
 * A changed file is re-read and recompiled alone; an event for anything that is not a zone file
 * (an editor's rename dance, a Kubernetes ConfigMap swapping its `..data` link) rescans the
 * folder and reloads only what differs.
 */
export class FolderSource implements ZoneSource {
  readonly description: string;
  private watcher: FSWatcher | null = null;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Digest of the text last handed to the sink per file (not the text: 1M records would keep
   *  60 MB of it): unchanged files are not recompiled. */
  private readonly digests = new Map<string, string>();
  /** Reloads run one after another, in event order. */
  private queue: Promise<void> = Promise.resolve();
  private sink: ZoneSink | null = null;
  /** Device and inode of the folder being watched; null while it is missing. */
  private watchedId: string | null = null;
  private checker: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.description = `folder ${dir}`;
  }

  async start(sink: ZoneSink): Promise<void> {
    this.sink = sink;
    await this.rescan();
    this.watchFolder(await folderId(this.dir));
    this.checker = setInterval(() => void this.checkReplaced(), REPLACED_CHECK_MS).unref();
  }

  private watchFolder(id: string): void {
    this.watchedId = id;
    this.watcher?.close();
    this.watcher = watch(this.dir, { persistent: false }, (_event, file) => this.schedule(file ? String(file) : null));
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
    this.schedule(null);
  }

  async stop(): Promise<void> {
    if (this.checker) clearInterval(this.checker);
    this.watcher?.close();
    this.watcher = null;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.queue;
  }

  /** Debounces per file; `null` (a non-zone name or no name) means "rescan the folder". */
  private schedule(file: string | null): void {
    const target = file !== null && isZoneFileName(file) ? file : null;
    const id = target ?? '';
    clearTimeout(this.timers.get(id));
    this.timers.set(id, setTimeout(() => {
      this.timers.delete(id);
      this.enqueue(() => (target === null ? this.rescan() : this.reload(target)));
    }, DEBOUNCE_MS));
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((e: Error) =>
      this.log.error('zone reload failed; the zones already loaded stay in service', { dir: this.dir, error: e.message }));
  }

  /** Reads the folder and reloads what was added, changed or removed since the last look. */
  private async rescan(): Promise<void> {
    const names = (await readdir(this.dir)).filter((f) => isZoneFileName(f));
    const present = new Set(names);
    for (const f of [...this.digests.keys()]) if (!present.has(f)) await this.reload(f);
    for (const f of names.sort()) await this.reload(f);
  }

  private async reload(file: string): Promise<void> {
    const path = join(this.dir, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR') {
        this.log.error('cannot read zone file; the loaded version stays in service', { file: path, error: (e as Error).message });
        return;
      }
      if (this.digests.delete(file)) this.sink!.remove(path, file);
      return;
    }
    const digest = createHash('sha256').update(text).digest('base64');
    if (this.digests.get(file) === digest) return;
    this.digests.set(file, digest);
    this.sink!.upsert(path, file, text);
  }
}
