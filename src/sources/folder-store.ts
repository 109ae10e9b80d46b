import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isZoneFileName, ZONE_FILE_SUFFIX } from '../zone/parse.js';
import { decodeZoneText, textDigest } from '../zone/text.js';
import { KeyQueue } from './key-queue.js';
import { readRegularFile } from './regular-file.js';
import { holdsZoneOtherwise, StoreConflict, type StoredZone, type WriteCondition, type ZoneStore } from './zone-store.js';


/** Whether what the store holds (`current`) is what a write expects. */
export function conditionHolds(current: StoredZone | undefined, condition: WriteCondition): boolean {
  if (condition === 'any') return true;
  if (condition === 'absent') return current === undefined;
  return current !== undefined && current.version === condition.version;
}

/**
 * The zone folder as the HTTP API writes it: `<domain>.toml` written to a temporary dot file in
 * the same folder and renamed over the name (atomic: the folder watcher and any reader see the old
 * file or the new one, never a part), the version being the digest of the text, as the API's ETag.
 * Writes to one zone are made one after another in this process, each checking its condition
 * just before its rename; a direct edit of the file that lands between that check and the rename
 * (a window of one system call) is replaced, as two editors saving at once would be.
 */
export class FolderStore implements ZoneStore {
  readonly description: string;
  private readonly writes = new KeyQueue();

  constructor(
    private readonly dir: string,
    /** ZONE_FILE_MAX_BYTES: a larger file is not read (as the source does not read it). */
    private readonly maxBytes: number,
  ) {
    this.description = `folder ${dir}`;
  }

  /** The name the folder source gives this file in logs and to the catalog. */
  origin(fileName: string): string {
    return join(this.dir, fileName);
  }

  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter(isZoneFileName).map((f) => f.slice(0, -ZONE_FILE_SUFFIX.length).toLowerCase()).sort();
  }

  async get(domain: string): Promise<StoredZone | undefined> {
    const path = this.origin(domain + ZONE_FILE_SUFFIX);
    const read = await readRegularFile(path, this.maxBytes);
    switch (read.kind) {
      case 'missing':
        return undefined;
      case 'bytes': {
        const text = decodeZoneText(read.bytes, path);
        return { text, version: textDigest(text) };
      }
      case 'changing':
        throw new Error(`${path} is being written; try again`);
      case 'not-regular':
        throw new Error(`${path} is not a regular file (${read.type})`);
      case 'too-large':
        throw new Error(`${path} is too large (${read.size}); raise ZONE_FILE_MAX_BYTES`);
    }
  }

  put(domain: string, text: string, condition: WriteCondition): Promise<StoredZone> {
    return this.writes.run(domain, async () => {
      await this.check(domain, condition);
      const fileName = domain + ZONE_FILE_SUFFIX;
      // A dot file: the folder source never reads it (isZoneFileName), only the rename's result.
      const tmp = join(this.dir, `.${fileName}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, text, { flag: 'wx' });
        await rename(tmp, this.origin(fileName));
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      return { text, version: textDigest(text) };
    });
  }

  delete(domain: string, condition: WriteCondition): Promise<void> {
    return this.writes.run(domain, async () => {
      await this.check(domain, condition);
      await rm(this.origin(domain + ZONE_FILE_SUFFIX), { force: true });
    });
  }

  async otherFileOf(domain: string): Promise<string | undefined> {
    return (await readdir(this.dir)).find((f) => holdsZoneOtherwise(f, domain));
  }

  private async check(domain: string, condition: WriteCondition): Promise<void> {
    if (condition === 'any') return;
    if (!conditionHolds(await this.get(domain), condition)) throw new StoreConflict(`${domain}${ZONE_FILE_SUFFIX} changed meanwhile`);
  }

}
