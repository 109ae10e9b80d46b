import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { digestInSteps, zoneContent, type ZoneSink } from '../../src/sources/source.js';
import { formatProblem, type ZoneFileError } from '../../src/zone/problem.js';

/** A zone file of about `octets` octets (a comment pads it), with `tail` as its last line. */
function file(octets: number, tail = 'address = "bücher"'): Buffer {
  const head = '[domain]\ndomain = "example.com"\n[[records]]\ntype = "TXT"\n';
  return Buffer.from(`${head}# ${'x'.repeat(Math.max(0, octets - head.length - tail.length - 4))}\n${tail}\n`);
}

/** A sink that only records the files it was told are unreadable. */
function sink(): ZoneSink & { unreadableFiles: string[] } {
  const unreadableFiles: string[] = [];
  return {
    unreadableFiles,
    upsert: () => Promise.resolve(true),
    unreadable: (origin: string, _fileName: string, e: ZoneFileError) => {
      unreadableFiles.push(...e.problems.map(formatProblem));
      return Promise.resolve();
    },
    remove: () => Promise.resolve(),
  };
}

// Below 64 KiB a file is hashed and decoded at once where it is read; from 64 KiB on, hashed a step
// at a time and handed over as octets, decoded where it is compiled. Either way, the same file.
const SIZES = [0, 100, 64 * 1024 - 1, 64 * 1024, 200_000];

describe('a zone file as the folder source hands it over', () => {
  for (const size of SIZES) {
    const bytes = size === 0 ? Buffer.alloc(0) : file(size);
    it(`${bytes.length} octets: its digest is the SHA-256 of its octets`, async () => {
      assert.equal(await digestInSteps(bytes), createHash('sha256').update(bytes).digest('hex'));
    });
    it(`${bytes.length} octets: its content is its text, as a string or as the same octets`, () => {
      const content = zoneContent(sink(), 'zones/example.com.toml', 'example.com.toml', bytes);
      assert.ok(content !== null);
      assert.equal(typeof content === 'string' ? content : Buffer.from(content).toString('utf8'), bytes.toString('utf8'));
      assert.equal(typeof content === 'string', bytes.length < 64 * 1024, 'a string below 64 KiB, octets from it on');
    });
  }

  for (const size of [100, 200_000]) {
    it(`a ${size}-octet file that is not UTF-8 is rejected, naming its line, and handed over as nothing`, () => {
      const s = sink();
      const bytes = file(size, 'address = "b?cher"');
      bytes[bytes.lastIndexOf('?')] = 0xfc; // a Latin-1 ü
      assert.equal(zoneContent(s, 'zones/example.com.toml', 'example.com.toml', bytes), null);
      assert.equal(s.unreadableFiles.length, 1);
      assert.match(s.unreadableFiles[0], /^zones\/example\.com\.toml:6: not UTF-8/);
    });
  }
});
