import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import packet from 'dns-packet';
import { Responder } from '../../src/answer/respond.js';
import { AnswerTable } from '../../src/answer/table.js';
import { nameKey, parseName } from '../../src/wire/name.js';
import { compileZone, type CompiledZone } from '../../src/zone/compile.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { makeQuery, type Decoded } from '../helpers/dns.js';

const hasWildcard = (apex: string): boolean => apex.length % 3 === 0;

/** A zone whose www answers with `version` in its last octet; some have a wildcard. */
function zone(apex: string, version: number): CompiledZone {
  const wildcard = hasWildcard(apex) ? '[[records]]\ndomain = "*"\naddress = "198.51.100.9"\n' : '';
  const text = `[domain]\ndomain = "${apex}"\n\n[defaults]\nttl = 60\n\n`
    + `[[records]]\naddress = "192.0.2.1"\n[[records]]\ndomain = "www"\naddress = "192.0.2.${version}"\n${wildcard}`;
  const file = parseZoneFile(text, `${apex}.toml`, `${apex}.toml`);
  assert.ok(file.active);
  return compileZone(file.zone);
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ask(responder: Responder, name: string, type: string): Decoded {
  const q = makeQuery(name, type);
  const out = Buffer.alloc(4096);
  const len = responder.respond(q, q.length, out, false);
  return packet.decode(out.subarray(0, len)) as Decoded;
}

describe('answer table: installs and removals in any order', () => {
  it('answers every served zone with its latest version and no removed zone, through 3,000 random changes', () => {
    const table = new AnswerTable();
    const responder = new Responder(table, 1232);
    // Nested pairs (zN.test and sub.zN.test) too: the parent must hand names to the child and back.
    const apexes = Array.from({ length: 200 }, (_, i) => (i % 10 === 9 ? `sub.z${i - 1}.test` : `z${i}.test`));
    const served = new Map<string, number>();
    const rand = prng(4);
    const check = (): void => {
      // Every entry of a zone with no served zone below it is found in the index, and nothing else is.
      let held = 0;
      for (const z of table.allZones()) {
        const apex = z.apex.join('.');
        const hasChild = [...served.keys()].some((a) => a.endsWith(`.${apex}`));
        for (let i = 0; i < z.values.length; i++) {
          if (table.index.holds(z.id, i)) held++;
          else assert.ok(hasChild, `entry ${i} of ${apex} is found`);
        }
      }
      assert.equal(table.index.size, held, 'no stale entries');
      for (const apex of apexes) {
        const version = served.get(apex);
        const r = ask(responder, `WwW.${apex}`, 'A');
        const owner = version !== undefined ? apex : [...served.keys()].find((a) => apex.endsWith(`.${a}`));
        if (owner === undefined) {
          assert.equal(r.rcode, 'REFUSED', `${apex} is not served`);
          continue;
        }
        const data = (r.answers ?? []).map((a) => (a as { data: string }).data);
        if (version !== undefined) assert.deepEqual(data, [`192.0.2.${version}`], `www.${apex}`);
        else if (hasWildcard(owner)) assert.deepEqual(data, ['198.51.100.9'], `www.${apex} from the wildcard of ${owner}`);
        else assert.deepEqual([r.rcode, r.authorities?.[0]?.name], ['NXDOMAIN', owner], `www.${apex} from the parent zone ${owner}`);
        assert.equal(r.questions?.[0]?.name, `WwW.${apex}`, 'the question as asked');
        if (version === undefined) continue;
        assert.deepEqual(ask(responder, apex, 'A').answers?.map((a) => (a as { data: string }).data), ['192.0.2.1'], apex);
        assert.equal(ask(responder, apex, 'SOA').answers?.[0]?.type, 'SOA', `${apex} SOA`);
        const nodata = ask(responder, `www.${apex}`, 'AAAA');
        assert.deepEqual([nodata.rcode, nodata.answers?.length, nodata.authorities?.[0]?.type], ['NOERROR', 0, 'SOA'], `www.${apex} AAAA`);
        const nx = ask(responder, `nothing.${apex}`, 'TXT');
        assert.equal(nx.rcode, hasWildcard(apex) ? 'NOERROR' : 'NXDOMAIN', `nothing.${apex}`);
      }
    };
    for (let step = 1; step <= 3000; step++) {
      const apex = apexes[Math.floor(rand() * apexes.length)];
      // More installs than removals early on, the reverse later: the index grows, then shrinks.
      if (rand() < (step < 1500 ? 0.7 : 0.3)) {
        const version = 1 + Math.floor(rand() * 250);
        table.install(zone(apex, version));
        served.set(apex, version);
      } else {
        assert.equal(table.remove(nameKey(parseName(apex))) !== undefined, served.delete(apex));
      }
      if (step % 20 === 0) check();
    }
    assert.equal(table.zoneCount, served.size);
  });
});
