import { domainToUnicode } from 'node:url';
import { hasUnicode, storedZoneName } from '../zone/names.js';
import { isZoneFileName, ZONE_FILE_SUFFIX } from '../zone/parse.js';

/**
 * Where the HTTP zone API writes (src/api/): the same folder, bucket or table the source reads,
 * so a change made through the API and one made to the store directly are the same change, and
 * every replica picks it up the way it picks up any change. The server keeps no zone state of
 * its own: reads go to the store.
 */

/** A zone file as the store holds it. */
export interface StoredZone {
  /** The file's text (`<domain>.toml`). */
  text: string;
  /**
   * The store's own version token: a digest of the text (folder), the object's ETag (S3), the
   * item's version attribute (DynamoDB). Handed back to `put`/`delete` as the condition.
   */
  version: string;
}

/** What a write expects to find: a given version, no zone at all, or anything. */
export type WriteCondition = { version: string } | 'absent' | 'any';

/** The zone is not as the write expected (changed meanwhile, or exists / does not exist). */
export class StoreConflict extends Error {
  override name = 'StoreConflict';
}

export interface ZoneStore {
  /** For logs: "folder zones", "s3://bucket/prefix/". */
  readonly description: string;
  /** Every zone the store holds, by domain (no trailing dot, lower case). */
  list(): Promise<string[]>;
  /** The zone's file, or undefined when the store has none. */
  get(domain: string): Promise<StoredZone | undefined>;
  /**
   * A file the store holds the zone in under another name than `<domain>.toml` (`Example.COM.toml`),
   * which the zone's reads and writes do not address; stores that name files themselves have none.
   */
  otherFileOf?(domain: string): Promise<string | undefined>;
  /** Writes the zone's file whole; throws StoreConflict when `condition` does not hold. */
  put(domain: string, text: string, condition: WriteCondition): Promise<StoredZone>;
  /** Removes the zone's file; throws StoreConflict when `condition` does not hold. */
  delete(domain: string, condition: WriteCondition): Promise<void>;
}

/** The zone a file name says, as the API names zones, or undefined for one that is no zone name. */
function zoneOfFile(file: string): string | undefined {
  try {
    return storedZoneName(file.slice(0, -ZONE_FILE_SUFFIX.length));
  } catch {
    return undefined;
  }
}

/**
 * Whether `file`, a zone file's name, holds `domain` (as the API names zones: lower case, A-labels)
 * under another name than `<domain>.toml`: the same name in other letter case, or written with
 * U-labels (IDNA). The server serves such a file as the zone's, and the API does not address it.
 */
export function holdsZoneOtherwise(file: string, domain: string): boolean {
  const own = domain + ZONE_FILE_SUFFIX;
  return file !== own && isZoneFileName(file) && (file.toLowerCase() === own || (hasUnicode(file) && zoneOfFile(file) === domain));
}

/**
 * The characters a file name holding `domain` otherwise (holdsZoneOtherwise) can start with: its
 * first letter in either case, and, when its first label is an A-label, the first letter of the
 * U-label in either case, composed (NFC, as IDNA gives it) or not (NFD). A store that lists by
 * prefix (S3) looks under these alone, not through every zone it holds.
 */
export function firstCharactersOf(domain: string): string[] {
  // Empty for a name WHATWG's URL host parser refuses: its letters are ASCII then.
  const unicode = domainToUnicode(domain) || domain;
  const firsts = [domain, unicode, unicode.normalize('NFD')].map((s) => String.fromCodePoint(s.codePointAt(0)!));
  return [...new Set(firsts.flatMap((c) => [c.toLowerCase(), c.toUpperCase()]))];
}
