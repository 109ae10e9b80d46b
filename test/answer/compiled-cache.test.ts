import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileFile } from '../../src/answer/compile-file.js';
import { cacheKey, cachePath, readCached, writeCached } from '../../src/answer/compiled-cache.js';
import { sharedImage } from '../../src/answer/image.js';
import { textDigest } from '../../src/zone/text.js';
import { query } from '../helpers/dns.js';
import { startServer, ZoneDir } from '../helpers/server.js';

const ZONE = '[domain]\ndomain = "cache.test"\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n[[records]]\ntype = "MX"\naddress = "mail.cache.test."\n';

/**
 * Runs `test` with a zone folder and a cache folder (its `compiled/` and the env that points a
 * server at it), removed after. No lame duck at each stop: a stop writes the entries the first
 * load left for later before the compile threads end.
 */
async function withCache(test: (zones: ZoneDir, compiledDir: string, env: Record<string, string>) => Promise<void>): Promise<void> {
  const zones = new ZoneDir();
  const cache = mkdtempSync(join(tmpdir(), 'eclipso-cache-'));
  try {
    await test(zones, join(cache, 'compiled'), { ZONE_CACHE_DIR: cache, ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0' });
  } finally {
    zones.cleanup();
    rmSync(cache, { recursive: true, force: true });
  }
}

describe('compiled cache: zones kept on disk across restarts', () => {
  const compiled = compileFile(ZONE, 'zones/cache.test.toml', 'cache.test.toml');
  assert.ok(compiled.kind === 'zone');

  it('reads back exactly what was written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eclipso-cache-'));
    try {
      const key = cacheKey('1', textDigest(ZONE), 'zones/cache.test.toml', 'cache.test.toml');
      writeCached(dir, key, compiled);
      const back = readCached(dir, key);
      assert.ok(back?.kind === 'zone');
      assert.deepEqual(back.facts, compiled.facts);
      assert.deepEqual(back.warnings, compiled.warnings);
      assert.deepEqual(Buffer.from(back.image.bytes), Buffer.from(compiled.image.bytes));
      assert.deepEqual([...back.image.ints], [...compiled.image.ints]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads back an entry larger than its first read, into private or shared buffers', () => {
    const records = Array.from({ length: 3000 }, (_, i) => `[[records]]\ndomain = "h${i}"\naddress = "192.0.2.${i % 250}"\n`).join('');
    const big = compileFile(`[domain]\ndomain = "big.test"\n${records}`, 'zones/big.test.toml', 'big.test.toml');
    assert.ok(big.kind === 'zone');
    assert.ok(big.image.bytes.length + big.image.ints.byteLength > 64 * 1024, 'the entry is larger than one first read');
    const dir = mkdtempSync(join(tmpdir(), 'eclipso-cache-'));
    try {
      writeCached(dir, 'big', big);
      for (const back of [readCached(dir, 'big'), readCached(dir, 'big', sharedImage)]) {
        assert.ok(back?.kind === 'zone');
        assert.deepEqual(back.facts, big.facts);
        assert.deepEqual(Buffer.from(back.image.bytes), Buffer.from(big.image.bytes));
        assert.deepEqual([...back.image.ints], [...big.image.ints]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys on the text, the file and the origin', () => {
    const key = cacheKey('1', textDigest(ZONE), 'zones/cache.test.toml', 'cache.test.toml');
    assert.notEqual(cacheKey('1', textDigest(ZONE + '\n'), 'zones/cache.test.toml', 'cache.test.toml'), key);
    assert.notEqual(cacheKey('1', textDigest(ZONE), 'other/cache.test.toml', 'cache.test.toml'), key);
    assert.notEqual(cacheKey('2', textDigest(ZONE), 'zones/cache.test.toml', 'cache.test.toml'), key, 'another Eclipso compiles again');
  });

  const damaged: [string, (path: string) => void][] = [
    ['cut short', (p) => truncateSync(p, readFileSync(p).length - 3)],
    ['one octet changed', (p) => {
      const b = readFileSync(p);
      b[b.length - 10] ^= 0xff;
      writeFileSync(p, b);
    }],
    ['another format', (p) => writeFileSync(p, 'not a compiled zone')],
    ['empty', (p) => writeFileSync(p, '')],
  ];
  for (const [what, damage] of damaged) {
    it(`takes an entry ${what} for a miss`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'eclipso-cache-'));
      try {
        writeCached(dir, 'k', compiled);
        damage(cachePath(dir, 'k'));
        assert.equal(readCached(dir, 'k'), null);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a server restarted on the same folder reads its zones back, and drops entries no zone uses', () => withCache(async (zones, compiledDir, env) => {
    zones.write('cache.test.toml', ZONE);
    const first = await startServer(zones.path, { env });
    const loaded = await first.waitFor((l) => l.msg === 'zone loaded');
    assert.equal(loaded.cached, undefined, 'compiled at the first start');
    await first.stop();
    assert.equal(readdirSync(compiledDir).length, 1);

    // A damaged entry is compiled again, not served.
    const [entry] = readdirSync(compiledDir);
    const again = await startServer(zones.path, { env });
    assert.equal((await again.waitFor((l) => l.msg === 'zone loaded')).cached, true, 'read back at the second start');
    assert.equal(((await query(again.port, 'www.cache.test', 'A')).answers![0] as { data: string }).data, '192.0.2.1');
    // A change makes a new entry; the old one goes.
    zones.write('cache.test.toml', ZONE.replace('192.0.2.1', '192.0.2.2'));
    await again.waitFor((l) => l.msg === 'zone loaded' && l.cached === undefined);
    assert.deepEqual(readdirSync(compiledDir).filter((f) => f.endsWith('.zone')).length, 1);
    assert.ok(!readdirSync(compiledDir).includes(entry), 'the superseded entry is removed');
    await again.stop();

    truncateSync(join(compiledDir, readdirSync(compiledDir)[0]), 10);
    const third = await startServer(zones.path, { env });
    assert.equal((await third.waitFor((l) => l.msg === 'zone loaded')).cached, undefined, 'a damaged entry is compiled again');
    assert.equal(((await query(third.port, 'www.cache.test', 'A')).answers![0] as { data: string }).data, '192.0.2.2');
    await third.stop();
  }));

  it('a first start answers before it writes its compiled zones to the cache, then writes every one and says so', () => withCache(async (zones, compiledDir, env) => {
    const apexes = ['one.test', 'two.test', 'three.test'];
    for (const apex of apexes) zones.write(`${apex}.toml`, ZONE.replaceAll('cache.test', apex));
    const server = await startServer(zones.path, { env });
    const wrote = await server.waitFor((l) => l.msg === 'wrote the first load\'s compiled zones to the cache', undefined, 'the deferred cache entries written');
    assert.equal(wrote.entries, apexes.length);
    const ready = server.logs.findIndex((l) => l.msg === 'zones ready');
    assert.ok(ready >= 0 && ready < server.logs.indexOf(wrote), 'written after the zones were ready');
    assert.equal(readdirSync(compiledDir).filter((f) => f.endsWith('.zone')).length, apexes.length);
    // A zone changed from then on is written as it is compiled.
    zones.write('two.test.toml', ZONE.replaceAll('cache.test', 'two.test').replace('192.0.2.1', '192.0.2.2'));
    await server.waitFor((l) => l.msg === 'zone loaded' && l.zone === 'two.test.' && server.logs.indexOf(l) > server.logs.indexOf(wrote));
    assert.equal(readdirSync(compiledDir).filter((f) => f.endsWith('.zone')).length, apexes.length, 'the new entry in, the old one out');
    await server.stop();
    // two.test's entry was compiled with the serial it followed, which a new start does not have.
    const again = await startServer(zones.path, { env });
    for (const apex of ['one.test', 'three.test']) assert.equal((await again.waitFor((l) => l.msg === 'zone loaded' && l.zone === `${apex}.`)).cached, true, `${apex} read back`);
    await again.stop();
  }));

  it('a restart removes the entries of files changed or removed while no server ran, and writers\' leftovers', () => withCache(async (zones, compiledDir, env) => {
    zones.write('cache.test.toml', ZONE);
    zones.write('gone.test.toml', ZONE.replaceAll('cache.test', 'gone.test'));
    const first = await startServer(zones.path, { env });
    await first.stop();
    const before = readdirSync(compiledDir);
    assert.equal(before.length, 2);
    // While no server runs: one file changed, one removed, and a writer that died before its rename.
    zones.write('cache.test.toml', ZONE.replace('192.0.2.1', '192.0.2.2'));
    zones.remove('gone.test.toml');
    writeFileSync(join(compiledDir, `${before[0]}.4242.x1.tmp`), 'half an entry');

    const second = await startServer(zones.path, { env });
    const swept = await second.waitFor((l) => l.msg === 'removed compiled zones no zone file uses from the cache', undefined, 'the cache swept once loaded');
    assert.equal(swept.removed, 3);
    // Then the changed file's entry is written.
    await second.waitFor((l) => l.msg === 'wrote the first load\'s compiled zones to the cache', undefined, 'the deferred cache entry written');
    const after = readdirSync(compiledDir);
    assert.equal(after.length, 1, `left: ${after.join(', ')}`);
    assert.ok(!before.includes(after[0]), 'the entry left is the changed file\'s new one');
    await second.stop();
    const third = await startServer(zones.path, { env });
    assert.equal((await third.waitFor((l) => l.msg === 'zone loaded')).cached, true, 'read back at the next start');
    await third.stop();
  }));
});
