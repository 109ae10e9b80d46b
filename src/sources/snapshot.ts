import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isZoneFileName } from '../zone/parse.js';
import { textDigest } from '../zone/text.js';

/**
 * The version of each of the snapshot's files in the store: its ETag and LastModified, so that a
 * restart takes the objects that did not change from here rather than fetching them again.
 */
const MANIFEST = '.etags.json';

/**
 * A file's version in the manifest: the object's ETag and LastModified (null when the store sent
 * none), and the textDigest of the file as written, which a restart checks before it trusts the
 * file for the object. A bare ETag: written by an earlier Eclipso.
 */
type ManifestEntry = { etag: string; modified: number | null; digest: string } | string;

/** The manifest's entry for a file, if it is one a restart may take for its object. */
function versionOf(v: unknown): { etag: string; modified: number | null; digest: string } | null {
  if (typeof v !== 'object' || v === null) return null;
  const { etag, modified, digest } = v as Record<string, unknown>;
  if (typeof etag !== 'string' || etag === '' || typeof digest !== 'string' || (modified !== null && typeof modified !== 'number')) return null;
  return { etag, modified, digest };
}

export interface SnapshotEntry {
  file: string;
  /** The file's octets, as written: the object's. */
  bytes: Uint8Array;
  etag: string;
  /**
   * The store's version of the object is known whole (ETag and LastModified, from which a zone's
   * default serial is derived) and the file is as it was written (its digest): an object listed
   * with this ETag is this file, served with that serial, without being fetched.
   */
  reusable: boolean;
  /** LastModified, Unix seconds (undefined when the store sent none). */
  modified?: number;
  /** The file's textDigest, when reusable. */
  digest?: string;
}

/**
 * A local copy of the last good zone objects (ZONE_CACHE_DIR), so that a restarted server can
 * answer while S3 is down. Only versions the reload path accepted are written; each file is
 * written to a temporary name and renamed, so a crash never leaves half a zone behind.
 */
export class ZoneSnapshot {
  private versions: Record<string, ManifestEntry> = {};
  private tmpSeq = 0;

  constructor(readonly dir: string) {}

  /**
   * Creates the folder if needed and reads every zone file in it. Read with synchronous calls: this
   * is the start, nothing is served yet, and a promise a file made reading 20,000 of them take
   * seconds (bench/RESULTS.md, start-up from S3).
   */
  async load(): Promise<SnapshotEntry[]> {
    await mkdir(this.dir, { recursive: true });
    this.versions = {};
    try {
      const manifest: unknown = JSON.parse(await readFile(join(this.dir, MANIFEST), 'utf8'));
      if (typeof manifest === 'object' && manifest !== null && !Array.isArray(manifest)) this.versions = manifest as Record<string, ManifestEntry>;
    } catch {
      // No manifest yet, or a torn one: the files are refetched once S3 answers.
    }
    const files = (await readdir(this.dir)).filter((f) => isZoneFileName(f)).sort();
    const entries: SnapshotEntry[] = [];
    for (const file of files) {
      // Octets, not text: the source checks and decodes them as it does an object's (src/sources/source.ts zoneContent).
      const bytes = readFileSync(join(this.dir, file));
      const v = this.versions[file];
      const version = versionOf(v);
      if (version !== null && textDigest(bytes) === version.digest) {
        entries.push({ file, bytes, etag: version.etag, reusable: true, digest: version.digest, ...(version.modified !== null && { modified: version.modified }) });
      } else {
        entries.push({ file, bytes, etag: typeof v === 'string' ? v : (version?.etag ?? ''), reusable: false });
      }
    }
    return entries;
  }

  /** Writes an object's octets; `digest`: their textDigest, which the source has made already. */
  async write(file: string, bytes: Uint8Array, digest: string, etag: string, modified: number | undefined): Promise<void> {
    await this.atomicWrite(file, bytes);
    this.versions[file] = { etag, modified: modified ?? null, digest };
  }

  async remove(file: string): Promise<void> {
    delete this.versions[file];
    await rm(join(this.dir, file), { force: true });
  }

  /** Writes the manifest; called once per sync that changed something. */
  async saveManifest(): Promise<void> {
    await this.atomicWrite(MANIFEST, JSON.stringify(this.versions));
  }

  /** Deletes the zone files that are not in `keep`: zones removed from the bucket. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    for (const f of await readdir(this.dir)) if (isZoneFileName(f) && !keep.has(f)) await this.remove(f);
  }

  private async atomicWrite(file: string, content: string | Uint8Array): Promise<void> {
    const tmp = join(this.dir, `.${file}.${process.pid}.${this.tmpSeq++}.tmp`);
    try {
      await writeFile(tmp, content);
      await rename(tmp, join(this.dir, file));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
