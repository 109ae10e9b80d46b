import { createHash } from 'node:crypto';
import type { SourceStats } from '../counters/snapshot.js';
import { ZoneFileError } from '../zone/problem.js';
import { decodeZoneText, TEXT_DIGEST_ALGORITHM, textDigest, utf8Octets, type ZoneContent } from '../zone/text.js';
import { isDynamoUrl } from './dynamodb-items.js';
import { isS3Url } from './s3-location.js';

/**
 * What a source feeds: zone files, each as its text (or a large file's octets, checked to be
 * UTF-8: zoneContent). The receiver checks, compiles and serves them (src/serving/); a source never
 * knows how, nor how many processes answer.
 */
export interface ZoneSink {
  /**
   * Takes one zone file, added or changed. Resolves with false when the file was rejected: the
   * error is logged and any earlier version of the zone keeps being served. Files are compiled
   * concurrently but applied in the order they were handed over, removals included. `modified`:
   * when the file was last changed in the store (Unix seconds): the file's mtime, the object's
   * LastModified. The zone's default serial is derived from it (src/transfer/serial.ts).
   * `digest`: the text's textDigest (src/zone/text.ts), when the source has made it already (the
   * folder, to see whether a file changed): a large zone's takes milliseconds to make again.
   */
  upsert(origin: string, fileName: string, text: ZoneContent, modified?: number, digest?: string): Promise<boolean>;
  /** Rejects a file whose bytes are not text (not UTF-8): logged and counted like any rejected file. */
  unreadable(origin: string, fileName: string, error: ZoneFileError): Promise<void>;
  /** Stops serving the zone that came from this file. */
  remove(origin: string, fileName: string): Promise<void>;
}

/** `read()`, or null when it throws a ZoneFileError (bytes that are not UTF-8): the sink has then rejected the file. */
function unlessUnreadable<T>(sink: ZoneSink, origin: string, fileName: string, read: () => T): T | null {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof ZoneFileError)) throw e;
    void sink.unreadable(origin, fileName, e);
    return null;
  }
}

/** A file's bytes as text for the sink, or null when they are not UTF-8 (the sink has then rejected the file). */
export function zoneText(sink: ZoneSink, origin: string, fileName: string, bytes: Uint8Array): string | null {
  return unlessUnreadable(sink, origin, fileName, () => decodeZoneText(bytes, origin));
}

/**
 * From this size on, a file is handed over as its octets, decoded on the compile thread
 * (zoneContent), and hashed a step at a time (digestInSteps): on the thread that answers queries, a
 * zone of 200,000 records (9 MB) took 5 to 6 ms to decode and 6 to 7 ms to hash in one go, and
 * left a string that large to its garbage collector (bench/RESULTS.md). A small file is decoded
 * and hashed at once, in microseconds.
 */
const LARGE_FILE_OCTETS = 64 * 1024;

/** A file's bytes for the sink (a large file's as checked octets), or null when they are not UTF-8 (rejected, as zoneText). */
export function zoneContent(sink: ZoneSink, origin: string, fileName: string, bytes: Uint8Array): ZoneContent | null {
  return unlessUnreadable(sink, origin, fileName, () => (bytes.length >= LARGE_FILE_OCTETS ? utf8Octets(bytes, origin) : decodeZoneText(bytes, origin)));
}

/**
 * The textDigest of a file's bytes; a large file's hashed LARGE_FILE_OCTETS at a time, the event
 * loop let through between steps (queries answered meanwhile). WebCrypto's digest, which hashes on
 * libuv's threads, first copies its input on the calling thread, which took as long as hashing.
 */
export async function digestInSteps(bytes: Uint8Array): Promise<string> {
  if (bytes.length < LARGE_FILE_OCTETS) return textDigest(bytes);
  const sha = createHash(TEXT_DIGEST_ALGORITHM);
  for (let at = 0; at < bytes.length; at += LARGE_FILE_OCTETS) {
    sha.update(bytes.subarray(at, at + LARGE_FILE_OCTETS));
    await new Promise(setImmediate);
  }
  return sha.digest('hex');
}

/** Where zone files come from: a folder, an S3 bucket, ... */
export interface ZoneSource {
  /** For logs: "folder zones", "s3://bucket/prefix/". */
  readonly description: string;
  /** Loads every zone once (resolves when that first full load is done), then keeps them in sync. */
  start(sink: ZoneSink): Promise<void>;
  stop(): Promise<void>;
  /** Sync health for /metrics, from sources that sync from a remote store (S3); kept up to date live. */
  readonly stats?: SourceStats;
}

/** The `source` label of the reload metrics: which storage engine ZONE_DIR names. */
export function sourceLabel(zoneDir: string): string {
  return isS3Url(zoneDir) ? 's3' : isDynamoUrl(zoneDir) ? 'dynamodb' : 'folder';
}
