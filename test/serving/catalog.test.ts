import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Logger } from '../../src/log.js';
import { ZoneCatalog, type ZoneTarget, type ZoneText } from '../../src/serving/catalog.js';
import { InlineCompiler } from '../../src/answer/compiler.js';
import { InProcessServer } from '../helpers/inprocess.js';

const zone = (apex: string, address = '192.0.2.1'): string => `[domain]\ndomain = "${apex}"\n[[records]]\naddress = "${address}"\n`;

/** A target that serves nothing and throws for one zone, as a bug in the compiler would. */
class FaultyTarget implements ZoneTarget {
  readonly served = new Set<string>();
  constructor(private readonly faulty: string) {}
  put(file: ZoneText): void {
    if (file.fileName === this.faulty) throw new RangeError('offset out of range');
    this.served.add(file.fileName);
  }
  drop(file: Omit<ZoneText, 'text'>): void {
    this.served.delete(file.fileName);
  }
}

describe('zone catalog: the path every zone file takes', () => {
  it('the same text handed again (a watcher reading back an API write) is not compiled again: one load, the serial kept', async () => {
    const puts: number[] = [];
    const target: ZoneTarget = { put: (_file, z) => puts.push(z.facts.serial), drop: () => {} };
    const catalog = new ZoneCatalog(target, new InlineCompiler(), new Logger('json', false, () => {}));
    const text = zone('again.test');
    assert.equal(await catalog.upsert('api/again.test.toml', 'again.test.toml', text, 1_800_000_000), true);
    assert.equal(await catalog.upsert('watcher/again.test.toml', 'again.test.toml', text, 1_800_000_000), true);
    assert.deepEqual(puts, [1_800_000_000]);
    assert.deepEqual(catalog.version('again.test.toml'), { digest: createHash('sha256').update(text).digest('hex'), active: true, serial: 1_800_000_000, records: 2 });
    // A new text is compiled; the old one handed again after it is too (a file reverted), with a serial that grows.
    assert.equal(await catalog.upsert('x', 'again.test.toml', zone('again.test', '192.0.2.9'), 1_800_000_000), true);
    assert.equal(await catalog.upsert('x', 'again.test.toml', text, 1_800_000_000), true);
    assert.deepEqual(puts, [1_800_000_000, 1_800_000_001, 1_800_000_002]);
  });

  it('serves each zone from one file: a second file for the same zone is rejected, the first keeps it', async () => {
    const s = await InProcessServer.start({ 'a.test.toml': zone('a.test', '192.0.2.1'), 'A.test.toml': zone('A.test', '192.0.2.2') });
    assert.equal(s.catalog.zoneCount, 1);
    assert.deepEqual(s.catalog.stats.rejected, 1);
    assert.match(s.logs.find((l) => l.level === 'error' && /already served/.test(l.msg))!.msg, /A\.test\.toml: zone A\.test\. is already served from a\.test\.toml; remove one of the two files/);
    assert.equal((s.ask('a.test', 'A').answers![0] as { data: string }).data, '192.0.2.1');
    // Once the first file is gone, the other may serve the zone.
    await s.catalog.remove('a.test.toml', 'a.test.toml');
    assert.equal(await s.catalog.upsert('A.test.toml', 'A.test.toml', zone('A.test', '192.0.2.2')), true);
    assert.equal((s.ask('a.test', 'A').answers![0] as { data: string }).data, '192.0.2.2');
  });

  it('an unexpected error while serving one file rejects that file alone, names it, and keeps its last version', async () => {
    const lines: string[] = [];
    const target = new FaultyTarget('bad.test.toml');
    const catalog = new ZoneCatalog(target, new InlineCompiler(), new Logger('json', false, (l) => lines.push(l)));
    assert.equal(await catalog.upsert('zones/good.test.toml', 'good.test.toml', zone('good.test')), true);
    assert.equal(await catalog.upsert('zones/bad.test.toml', 'bad.test.toml', zone('bad.test')), false);
    assert.equal(await catalog.upsert('zones/other.test.toml', 'other.test.toml', zone('other.test')), true);
    assert.deepEqual([...target.served].sort(), ['good.test.toml', 'other.test.toml']);
    assert.deepEqual(catalog.stats.rejected, 1);
    const logged = lines.join('');
    assert.match(logged, /"msg":"zone rejected","file":"zones\/bad.test.toml"/);
    assert.match(logged, /zones\/bad.test.toml: cannot be served: offset out of range; this is a bug in Eclipso/);
  });

  it('active = false removes a served zone and counts a removal, not a load', async () => {
    const s = await InProcessServer.start({ 'a.test.toml': zone('a.test') });
    await s.catalog.upsert('a.test.toml', 'a.test.toml', zone('a.test').replace('[domain]\n', '[domain]\nactive = false\n'));
    assert.deepEqual({ ...s.catalog.stats, lastLoadUnixSeconds: 0 }, { loaded: 1, rejected: 0, removed: 1, lastLoadUnixSeconds: 0 });
    assert.equal(s.ask('a.test', 'A').rcode, 'REFUSED');
  });
});
