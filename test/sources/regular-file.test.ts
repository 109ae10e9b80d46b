import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readRegularFile, readRegularFileSync, type FileRead } from '../../src/sources/regular-file.js';

/**
 * Reading a zone file whole, with asynchronous calls (while serving) and synchronous ones (the
 * first load): every size around the read sizes (the file's own size and one octet more, then
 * 64 KiB chunks) comes back exactly, and the limit holds.
 */
describe('reading a regular file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eclipso-read-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const LIMIT = 200_000;
  const readers: [string, (path: string) => Promise<FileRead>][] = [
    ['asynchronous', (p) => readRegularFile(p, LIMIT)],
    ['synchronous', async (p) => readRegularFileSync(p, LIMIT)],
  ];
  const sizes = [0, 1, 2711, 4095, 4096, 65_535, 65_536, 65_537, 131_073, LIMIT];
  for (const [how, read] of readers) {
    for (const size of sizes) {
      it(`${how}: a file of ${size} octets comes back as it is`, async () => {
        const bytes = Buffer.alloc(size, 0).map((_, i) => (i * 7 + size) & 0xff);
        const path = join(dir, `${how}-${size}.toml`);
        writeFileSync(path, bytes);
        const r = await read(path);
        assert.equal(r.kind, 'bytes');
        assert.ok(r.kind === 'bytes' && Buffer.compare(r.bytes, bytes) === 0, `the ${size} octets read back`);
      });
    }
    it(`${how}: a file one octet over the limit is refused`, async () => {
      const path = join(dir, `${how}-over.toml`);
      writeFileSync(path, Buffer.alloc(LIMIT + 1));
      assert.deepEqual(await read(path), { kind: 'too-large', size: `${LIMIT + 1} bytes` });
    });
    it(`${how}: a missing file is missing`, async () => {
      assert.deepEqual(await read(join(dir, 'none.toml')), { kind: 'missing' });
    });
  }
});
