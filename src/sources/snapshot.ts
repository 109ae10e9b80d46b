import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isZoneFileName } from '../zone/parse.js';

/** ETags of the snapshot's files, so that a restart does not refetch objects that did not change. */
const MANIFEST = '.etags.json';

export interface SnapshotEntry {
  file: string;
  text: string;
  etag: string;
}

/**
 * A local copy of the last good zone objects (ZONE_CACHE_DIR), so that a restarted server can
 * answer while S3 is down. Only versions the reload path accepted are written; each file is
 * written to a temporary name and renamed, so a crash never leaves half a zone behind.
 */
export class ZoneSnapshot {
  private etags: Record<string, string> = {};
  private tmpSeq = 0;

  constructor(readonly dir: string) {}

  /** Creates the folder if needed and reads every zone file in it. */
  async load(): Promise<SnapshotEntry[]> {
    await mkdir(this.dir, { recursive: true });
    try {
      this.etags = JSON.parse(await readFile(join(this.dir, MANIFEST), 'utf8')) as Record<string, string>;
    } catch {
      this.etags = {}; // no manifest yet, or a torn one: the files are refetched once S3 answers
    }
    const files = (await readdir(this.dir)).filter((f) => isZoneFileName(f)).sort();
    const entries: SnapshotEntry[] = [];
    for (const file of files) entries.push({ file, text: await readFile(join(this.dir, file), 'utf8'), etag: this.etags[file] ?? '' });
    return entries;
  }

  async write(file: string, text: string, etag: string): Promise<void> {
    await this.atomicWrite(file, text);
    this.etags[file] = etag;
  }

  async remove(file: string): Promise<void> {
    delete this.etags[file];
    await rm(join(this.dir, file), { force: true });
  }

  /** Writes the ETag manifest; called once per sync that changed something. */
  async saveManifest(): Promise<void> {
    await this.atomicWrite(MANIFEST, JSON.stringify(this.etags));
  }

  /** Deletes the zone files that are not in `keep`: zones removed from the bucket. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    for (const f of await readdir(this.dir)) if (isZoneFileName(f) && !keep.has(f)) await this.remove(f);
  }

  private async atomicWrite(file: string, text: string): Promise<void> {
    const tmp = join(this.dir, `.${file}.${process.pid}.${this.tmpSeq++}.tmp`);
    try {
      await writeFile(tmp, text);
      await rename(tmp, join(this.dir, file));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
