import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import packet from 'dns-packet';
import { Responder } from '../../src/answer/respond.js';
import { QueryResult } from '../../src/answer/result.js';
import { AnswerTable } from '../../src/answer/table.js';
import { nameKey, parseName } from '../../src/wire/name.js';
import { compileFile } from '../../src/answer/compile-file.js';
import { ServedZone } from '../../src/answer/zone.js';
import { makeQuery, type Decoded } from '../helpers/dns.js';
import { mulberry32 } from '../helpers/random.js';

const hasWildcard = (apex: string): boolean => apex.length % 3 === 0;
/** Zones zN.test with N ending in 8 have a child zone sub.zN.test, served or not. */
const childOf = (apex: string): string | undefined => (/^z\d*8\.test$/.test(apex) ? `sub.${apex}` : undefined);

/**
 * A zone whose www answers with `version` in its last octet; some have a wildcard. A parent of a
 * child zone delegates it (NS and glue) in odd versions, and holds names under it in even ones.
 */
function zone(apex: string, version: number): ServedZone {
  let text = `[domain]\ndomain = "${apex}"\n\n[defaults]\nttl = 60\n\n`
    + `[[records]]\naddress = "192.0.2.1"\n[[records]]\ndomain = "www"\naddress = "192.0.2.${version}"\n`;
  if (hasWildcard(apex)) text += '[[records]]\ndomain = "*"\naddress = "198.51.100.9"\n';
  if (childOf(apex) && version % 2 === 1) {
    text += `[[records]]\ndomain = "sub"\ntype = "NS"\naddress = "ns.sub.${apex}."\n`
      + '[[records]]\ndomain = "ns.sub"\naddress = "203.0.113.53"\n';
  } else if (childOf(apex)) {
    text += '[[records]]\ndomain = "www.sub"\naddress = "203.0.113.80"\n';
  }
  const file = compileFile(text, `${apex}.toml`, `${apex}.toml`);
  assert.ok(file.kind === 'zone');
  return new ServedZone(file.facts, file.image);
}

function respond(responder: Responder, name: string, type: string): Buffer {
  const q = makeQuery(name, type, { id: 1 });
  const out = Buffer.alloc(4096);
  return Buffer.from(out.subarray(0, responder.respond(q, q.length, out, false, new QueryResult())));
}

const ask = (responder: Responder, name: string, type: string): Decoded => packet.decode(respond(responder, name, type)) as Decoded;

describe('answer table: installs and removals in any order', () => {
  it('answers as a table built afresh from the same zones, through 3,000 random installs, replacements and removals', () => {
    const table = new AnswerTable();
    const responder = new Responder(table, 1232);
    const apexes = Array.from({ length: 200 }, (_, i) => (i % 10 === 9 ? `sub.z${i - 1}.test` : `z${i}.test`));
    const served = new Map<string, number>();
    const rand = mulberry32(4);
    const questions = apexes.flatMap((apex) => ['', 'WwW.', 'nothing.', 'ns.', 'a.b.'].map((p) => p + apex));

    const check = (): void => {
      // The table serves exactly the zones installed and not removed since.
      assert.deepEqual([...table.allZones()].map((z) => z.apexKey).sort(), [...served.keys()].map((a) => nameKey(parseName(a))).sort());

      // The same zones installed once each, in another order, give the same bytes for every question
      // (DS at a child's apex comes from the parent when both are served, RFC 4035 §3.1.4.1).
      const fresh = new AnswerTable();
      for (const [apex, version] of [...served].sort(() => rand() - 0.5)) fresh.install(zone(apex, version));
      const freshResponder = new Responder(fresh, 1232);
      for (const name of questions) {
        for (const type of ['A', 'TXT', 'NS', 'DS', 'SOA']) {
          assert.deepEqual(respond(responder, name, type), respond(freshResponder, name, type), `${name} ${type}`);
        }
      }

      // And what that means for a client.
      for (const apex of apexes) {
        const version = served.get(apex);
        const r = ask(responder, `WwW.${apex}`, 'A');
        assert.equal(r.questions?.[0]?.name, `WwW.${apex}`, 'the question as asked');
        if (version !== undefined) {
          assert.deepEqual(r.answers?.map((a) => (a as { data: string }).data), [`192.0.2.${version}`], `www.${apex}`);
        } else if (![...served.keys()].some((a) => apex.endsWith(`.${a}`))) {
          assert.equal(r.rcode, 'REFUSED', `${apex} is not served`);
        }
        const child = childOf(apex);
        // A delegating parent (odd versions) answers DS for its child, as NSD does.
        if (version !== undefined && version % 2 === 1 && child !== undefined && served.has(child)) {
          const ds = ask(responder, child, 'DS');
          assert.deepEqual([ds.rcode, ds.authorities?.[0]?.name], ['NOERROR', apex], `${child} DS from the parent`);
        }
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
      if (step % 50 === 0) check();
    }
    assert.equal(table.zoneCount, served.size);
  });
});
