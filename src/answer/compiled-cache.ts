import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, unlinkSync, writevSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { CompiledFile, SerialInput } from './compile-file.js';
import { privateImage, type ImageAllocator } from './image.js';

/**
 * Compiled zones kept on disk, so that a restart reads them back instead of parsing and compiling
 * every zone again. An entry is keyed by what it was compiled from (the file's text, its name and
 * origin, and the Eclipso version that compiled it): a changed file, or a new Eclipso, misses.
 *
 * File: MAGIC, then the lengths of the JSON part, the image bytes, the image ints and the transfer
 * messages (u32 each), the CRC-32 of all that follows, the JSON part (everything else), padding to
 * 4 octets, the bytes, the ints and the transfer messages (none when transfers were off). Format 2
 * added the SOA to the facts, format 3 the transfer messages (the facts' optional transfer lists,
 * allow_transfer and notify, are in the JSON part, and so is a health-checked zone's plan), format 4
 * the denser image (src/answer/image.ts: one-int index slots, shared answers, packets without
 * their question, a name written once, 5-int answer records), format 5 the health states of the
 * addresses in additional sections (src/answer/health.ts: an entry of format 4 holds them as when
 * every check is up, and the version did not change). A file that does not check out (torn,
 * corrupt, another format) is a miss, and is compiled and written again.
 */
const MAGIC = Buffer.from('ECLIPSO-ZONE-5\n\0', 'latin1');
const HEADER = MAGIC.length + 5 * 4;

export type Cacheable = Extract<CompiledFile, { kind: 'zone' | 'inactive' }>;

/**
 * The key of a file's compiled form, from its text's digest (src/zone/text.ts textDigest: the text
 * is hashed once), by the Eclipso `version` that compiles it and what its serial is made of.
 */
export function cacheKey(version: string, textDigest: string, origin: string, fileName: string, serial: SerialInput = {}): string {
  return createHash('sha256').update(`${version}\0${origin}\0${fileName}\0${serial.previous ?? ''}/${serial.modified ?? ''}\0${textDigest}`).digest('hex');
}

/** An entry's file name ends so (cachePath); a temporary one's so (writeCached). */
const ENTRY_SUFFIX = '.zone';
const TEMPORARY_SUFFIX = '.tmp';

export function cachePath(dir: string, key: string): string {
  return join(dir, `${key}${ENTRY_SUFFIX}`);
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** The CRC-32 of the parts one after another. Empty parts are skipped: Node.js 20's crc32 gives 0 for one. */
function checksum(parts: Uint8Array[]): number {
  let crc = 0;
  for (const p of parts) if (p.length > 0) crc = crc32(p, crc);
  return crc;
}

/**
 * An entry's octets, in pieces (its empty parts left out): the header, the JSON part and its
 * padding, then views of the image and the transfer messages.
 */
export function cacheEntry(result: Cacheable): Uint8Array[] {
  const { kind } = result;
  const json = Buffer.from(JSON.stringify(kind === 'zone' ? { kind, facts: result.facts, warnings: result.warnings, ...(result.health && { health: result.health }) } : result));
  const bytes = kind === 'zone' ? result.image.bytes : new Uint8Array(0);
  const ints = kind === 'zone' ? new Uint8Array(result.image.ints.buffer, result.image.ints.byteOffset, result.image.ints.byteLength) : new Uint8Array(0);
  const axfr = (kind === 'zone' && result.axfr) || new Uint8Array(0);
  const padding = new Uint8Array(pad4(json.length) - json.length);
  const parts = [json, padding, bytes, ints, axfr];
  const crc = checksum(parts);
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header);
  header.writeUInt32LE(json.length, MAGIC.length);
  header.writeUInt32LE(bytes.length, MAGIC.length + 4);
  header.writeUInt32LE(ints.length, MAGIC.length + 8);
  header.writeUInt32LE(axfr.length, MAGIC.length + 12);
  header.writeUInt32LE(crc, MAGIC.length + 16);
  return [header, ...parts].filter((p) => p.length > 0);
}

/** Writes an entry (to a temporary file, then renamed: a reader never sees half of one). */
export function writeCached(dir: string, key: string, result: Cacheable): void {
  writeEntry(dir, key, cacheEntry(result));
}

/** Writes an entry's pieces (cacheEntry) as the entry `key`. */
export function writeEntry(dir: string, key: string, pieces: readonly Uint8Array[]): void {
  const path = cachePath(dir, key);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}${TEMPORARY_SUFFIX}`;
  // One write for the whole entry: a first start writes an entry per zone, and each system call
  // counts at 20,000 zones.
  const size = pieces.reduce((n, p) => n + p.length, 0);
  const fd = openSync(tmp, 'w');
  try {
    const written = writevSync(fd, pieces as Uint8Array[]);
    // A regular file takes all of it or fails; a short write (a full disk) leaves no entry behind.
    if (written !== size) throw new Error(`${tmp}: ${written} of ${size} bytes written`);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Reads `into` whole from `fd` at `at`; false if the file ends first. */
function readAll(fd: number, into: Uint8Array, at: number): boolean {
  for (let done = 0; done < into.length;) {
    const n = readSync(fd, into, done, into.length - done, at + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

/**
 * Octets read from the start of an entry in one call: all of a small zone's (a few KiB), so a
 * start reading 20,000 entries makes one read each, not one per part; a large zone's parts past
 * them are read straight into their buffers.
 */
const FIRST_READ = 64 * 1024;

/** Fills `into` with the entry's octets from `at`: what `first` holds of them copied, the rest read. */
function fill(fd: number, first: Uint8Array, into: Uint8Array, at: number): boolean {
  const held = Math.max(0, Math.min(into.length, first.length - at));
  if (held > 0) into.set(first.subarray(at, at + held));
  return readAll(fd, into.subarray(held), at + held);
}

/**
 * Reads an entry back into an image from `alloc` (private buffers unless told otherwise); null
 * when there is none or it does not check out.
 */
export function readCached(dir: string, key: string, alloc: ImageAllocator = privateImage): Cacheable | null {
  const path = cachePath(dir, key);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < HEADER) return null;
    const first = Buffer.allocUnsafe(Math.min(size, FIRST_READ));
    if (!readAll(fd, first, 0) || !first.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    const jsonLength = first.readUInt32LE(MAGIC.length);
    const bytesLength = first.readUInt32LE(MAGIC.length + 4);
    const intsLength = first.readUInt32LE(MAGIC.length + 8);
    const axfrLength = first.readUInt32LE(MAGIC.length + 12);
    const crc = first.readUInt32LE(MAGIC.length + 16);
    const bytesAt = HEADER + pad4(jsonLength);
    if (bytesAt + bytesLength + intsLength + axfrLength !== size || intsLength % 4 !== 0) return null;
    const json = Buffer.allocUnsafe(pad4(jsonLength));
    const { bytes, ints } = alloc(bytesLength, intsLength / 4);
    const intOctets = new Uint8Array(ints.buffer, ints.byteOffset, ints.byteLength);
    const axfr = new Uint8Array(alloc.buffer(axfrLength));
    const intsAt = bytesAt + bytesLength;
    if (!fill(fd, first, json, HEADER) || !fill(fd, first, bytes, bytesAt) || !fill(fd, first, intOctets, intsAt) || !fill(fd, first, axfr, intsAt + intsLength)) return null;
    if (checksum([json, bytes, intOctets, axfr]) !== crc) return null;
    const head = JSON.parse(json.toString('utf8', 0, jsonLength)) as Cacheable;
    return head.kind === 'zone' ? { ...head, image: { bytes, ints }, ...(axfrLength > 0 && { axfr }) } : head;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes from `dir` the entries no file uses (`used` says; those of files changed or removed
 * while no server ran: the running server drops its own with dropCached) and the temporary files
 * of writers that ended before renaming them. What was written since `since` (epoch ms) is kept: an
 * entry being handed over, a temporary file being written. Returns how many went.
 */
export async function sweepCached(dir: string, used: (key: string) => boolean, since: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const stale = name.endsWith(ENTRY_SUFFIX) ? !used(name.slice(0, -ENTRY_SUFFIX.length)) : name.endsWith(TEMPORARY_SUFFIX);
    if (!stale) continue;
    const path = join(dir, name);
    try {
      if ((await stat(path)).mtimeMs >= since) continue;
      await unlink(path);
      removed++;
    } catch {
      // Gone already.
    }
  }
  return removed;
}

/**
 * The keys of the entries in `dir` now (none when it cannot be read): a key not among them is a
 * miss, known without looking for its file (a first start has a miss a zone, and each open that
 * fails throws an error made with its stack: 0.3 s of a compile thread's time at 20,000 zones).
 */
export function cachedKeys(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir).filter((n) => n.endsWith(ENTRY_SUFFIX)).map((n) => n.slice(0, -ENTRY_SUFFIX.length)));
  } catch {
    return new Set();
  }
}

/** Removes an entry no file uses any more. */
export function dropCached(dir: string, key: string): void {
  try {
    unlinkSync(cachePath(dir, key));
  } catch {
    // Gone already.
  }
}
