import { closeSync, constants, fstatSync, openSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/** What reading one zone file found. */
export type FileRead =
  /** `modified`: the file's mtime, Unix seconds. */
  | { kind: 'bytes'; bytes: Buffer; modified: number }
  | { kind: 'missing' }
  /** A FIFO, device, socket or directory: never read (a FIFO would block, /dev/zero never ends). */
  | { kind: 'not-regular'; type: string }
  /** `size`: "N bytes", or "more than N bytes" when the file outgrew what its size said. */
  | { kind: 'too-large'; size: string }
  /** Written to, or replaced, while it was read: what was read may be half a file. */
  | { kind: 'changing' };

/** Read size when the file's size is no guide (a /proc file says 0). */
const READ_CHUNK = 64 * 1024;

/**
 * The steps of reading one regular file (or a symlink to one: Kubernetes ConfigMaps are symlinks)
 * of at most `maxBytes`, the I/O left to the caller: each step takes what the previous call
 * returned and says what to do next. Anything but a regular file is refused without reading a
 * byte, and nothing can block: the type is checked before opening, the open is non-blocking (a
 * FIFO swapped in after the check opens at once instead of waiting for a writer), and the type
 * is checked again on what was opened. ENOENT is 'missing'; other errors throw.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Before opening (opening a FIFO wakes a writer waiting for a reader; some devices act on open). */
function checkNamed(named: BigIntStats | null): FileRead | null {
  if (named === null) return { kind: 'missing' };
  return named.isFile() ? null : { kind: 'not-regular', type: fileType(named) };
}

/** On what was opened. */
function checkOpened(before: BigIntStats, maxBytes: number): FileRead | null {
  if (!before.isFile()) return { kind: 'not-regular', type: fileType(before) };
  return before.size > BigInt(maxBytes) ? { kind: 'too-large', size: `${before.size} bytes` } : null;
}

/**
 * How much the next read asks for: one read for a file as large as it says (and one octet more,
 * to see its end), READ_CHUNK at a time for one whose size is no guide (a /proc file says 0);
 * reading stops one octet past the limit, whatever the file turns out to hold.
 */
function nextRead(before: BigIntStats, total: number, maxBytes: number): number {
  const expected = Number(before.size);
  return Math.min(maxBytes + 1 - total, expected > total ? expected + 1 - total : READ_CHUNK);
}

/**
 * Same inode, size and mtime on the open file after the read as before it: nobody wrote to it
 * meanwhile; and on the name (`now`, unless the caller's folder watch reports a replaced name,
 * `undefined`): it was not replaced.
 */
function finish(before: BigIntStats, after: BigIntStats, now: BigIntStats | null | undefined, chunks: Buffer[], total: number): FileRead {
  if (now === null || !sameVersion(after, before) || (now !== undefined && !sameVersion(now, before))) return { kind: 'changing' };
  // The modification time in whole seconds: the default serial (src/transfer/serial.ts).
  const modified = Number(before.mtimeNs / 1_000_000_000n);
  return { kind: 'bytes', bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total), modified };
}

/**
 * A file as large as it said, read in a read that asked for one octet more and got less: its end
 * (a regular file's read comes up short only there), without another read to see 0 octets, which
 * would also take a READ_CHUNK buffer per file (bench/RESULTS.md: a start reading 20,000 files).
 * A file that grew meanwhile is read on, and the stat after the read tells it changed.
 */
function atEnd(before: BigIntStats, total: number, bytesRead: number, asked: number): boolean {
  return bytesRead < asked && total === Number(before.size);
}

const tooLarge = (maxBytes: number): FileRead => ({ kind: 'too-large', size: `more than ${maxBytes} bytes` });

/** Reads a zone file with asynchronous calls: while serving, a slow disk never holds up answers. */
export async function readRegularFile(path: string, maxBytes: number): Promise<FileRead> {
  const refused = checkNamed(await stat(path, { bigint: true }).catch(orMissing));
  if (refused) return refused;
  const handle = await open(path, OPEN_FLAGS).catch(orMissing);
  if (handle === null) return { kind: 'missing' };
  try {
    const before = await handle.stat({ bigint: true });
    const wrong = checkOpened(before, maxBytes);
    if (wrong) return wrong;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = nextRead(before, total, maxBytes);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return tooLarge(maxBytes);
      if (atEnd(before, total, bytesRead, want)) break;
    }
    return finish(before, await handle.stat({ bigint: true }), await stat(path, { bigint: true }).catch(orMissing), chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a zone file with synchronous calls: no round trip to libuv's threads per step, for the
 * first load of a folder of many small files, before anything is served (20,000 files: 2 s instead
 * of 12 s with asynchronous calls, one file after another).
 *
 * `listed`: the folder's listing said this name is a regular file, and the folder is watched (the
 * watch reports a name replaced after it was listed). Then the name is not looked up before
 * opening, nor after reading: two system calls of seven a file. A name replaced by a FIFO or a
 * device in between is still never read nor waited on (the open does not block, and the type is
 * checked on what was opened), as with the look-up, which a replacement can also follow.
 */
export function readRegularFileSync(path: string, maxBytes: number, listed = false): FileRead {
  const refused = listed ? null : checkNamed(statOrNull(path));
  if (refused) return refused;
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    return orMissing(e as NodeJS.ErrnoException) ?? { kind: 'missing' };
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    const wrong = checkOpened(before, maxBytes);
    if (wrong) return wrong;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = nextRead(before, total, maxBytes);
      const buffer = Buffer.allocUnsafe(want);
      const bytesRead = readSync(fd, buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return tooLarge(maxBytes);
      if (atEnd(before, total, bytesRead, want)) break;
    }
    return finish(before, fstatSync(fd, { bigint: true }), listed ? undefined : statOrNull(path), chunks, total);
  } finally {
    closeSync(fd);
  }
}

function statOrNull(path: string): BigIntStats | null {
  try {
    return statSync(path, { bigint: true });
  } catch (e) {
    return orMissing(e as NodeJS.ErrnoException);
  }
}

function orMissing(e: NodeJS.ErrnoException): null {
  if (e.code === 'ENOENT') return null;
  throw e;
}

/**
 * Whether two looks at a file saw the same version of it: what its content depends on, as far as
 * stat tells (which file, its size, its last write), compared field by field (not as strings: a
 * start reading 20,000 files made 80,000 of them).
 */
function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

function fileType(st: BigIntStats): string {
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  if (st.isDirectory()) return 'directory';
  return 'not a regular file';
}
