import { constants, type BigIntStats } from 'node:fs';
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
 * Reads a regular file (or a symlink to one: Kubernetes ConfigMaps are symlinks) of at most
 * `maxBytes`, and says whether it changed while being read. Anything else is refused without
 * reading a byte, and nothing here can block: the type is checked before opening, the open is
 * non-blocking (a FIFO swapped in after the check opens at once instead of waiting for a writer),
 * and the type is checked again on what was opened. ENOENT is 'missing'; other errors throw.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<FileRead> {
  // Checked before opening too: opening a FIFO wakes a writer waiting for a reader, and some
  // devices act on open.
  const named = await stat(path, { bigint: true }).catch(orMissing);
  if (named === null) return { kind: 'missing' };
  if (!named.isFile()) return { kind: 'not-regular', type: fileType(named) };
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch(orMissing);
  if (handle === null) return { kind: 'missing' };
  try {
    const before = await handle.stat({ bigint: true });
    if (!before.isFile()) return { kind: 'not-regular', type: fileType(before) };
    if (before.size > BigInt(maxBytes)) return { kind: 'too-large', size: `${before.size} bytes` };
    const expected = Number(before.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One read for a file as large as it says (and one octet more, to see its end); reading
      // stops one octet past the limit, whatever the file turns out to hold.
      const want = Math.min(maxBytes + 1 - total, Math.max(READ_CHUNK, expected + 1 - total));
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { kind: 'too-large', size: `more than ${maxBytes} bytes` };
    }
    // Same inode, size and mtime on the open file and on the name, after the read as before it:
    // nobody wrote to it meanwhile, and it was not replaced.
    const after = await handle.stat({ bigint: true });
    const now = await stat(path, { bigint: true }).catch(orMissing);
    if (now === null || version(after) !== version(before) || version(now) !== version(before)) return { kind: 'changing' };
    const modified = Number(before.mtimeNs / 1_000_000_000n);
    return { kind: 'bytes', bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total), modified };
  } finally {
    await handle.close();
  }
}

function orMissing(e: NodeJS.ErrnoException): null {
  if (e.code === 'ENOENT') return null;
  throw e;
}

/** What a file's content depends on, as far as stat tells: which file, its size, its last write. */
function version(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
}

function fileType(st: BigIntStats): string {
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  if (st.isDirectory()) return 'directory';
  return 'not a regular file';
}
