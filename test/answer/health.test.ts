import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile } from '../../src/answer/compile-file.js';
import { readCached, writeCached } from '../../src/answer/compiled-cache.js';
import { swapHealth } from '../../src/answer/health.js';
import { Responder } from '../../src/answer/respond.js';
import { QueryResult } from '../../src/answer/result.js';
import { TableTarget } from '../../src/serving/table-target.js';
import { makeQuery, type Decoded } from '../helpers/dns.js';

const ZONE = `
[domain]
domain = "example.com"

[[health_checks]]
name = "web"
type = "tcp"
port = 80

[[health_checks]]
name = "strict"
type = "tcp"
port = 80
fail = "closed"

[[records]]
domain = "www"
address = "192.0.2.1"
health_check = "web"
ttl = 300

[[records]]
domain = "www"
address = "192.0.2.2"
health_check = "web"

[[records]]
domain = "www"
address = "192.0.2.3"

[[records]]
domain = "open"
address = "192.0.2.11"
health_check = "web"

[[records]]
domain = "open"
address = "192.0.2.12"
health_check = "web"

[[records]]
domain = "closed"
address = "192.0.2.21"
health_check = "strict"

[[records]]
domain = "fo"
address = "192.0.2.31"
health_check = "web"

[[records]]
domain = "fo"
address = "192.0.2.32"
health_check = "web"
failover = "secondary"

[[records]]
domain = "fo"
address = "192.0.2.33"
failover = "secondary"
health_check = "web"
check_address = "192.0.2.99"

[[records]]
domain = "*.wild"
address = "192.0.2.41"
health_check = "web"

[[records]]
domain = "*.wild"
address = "192.0.2.42"
health_check = "web"

[[records]]
domain = "alias"
type = "CNAME"
address = "open.example.com."

[[records]]
domain = "mx"
type = "MX"
address = "open.example.com."
`;

/**
 * The zone compiled and served in this thread, with its health states set by hand. `viaCache`: as
 * a restart reads it back from the compiled cache.
 */
function serve(text: string, viaCache = false) {
  let compiled = compileFile(text, 'example.com.toml', 'example.com.toml');
  if (viaCache) {
    const dir = mkdtempSync(join(tmpdir(), 'eclipso-cache-'));
    try {
      writeCached(dir, 'k', compiled as Extract<typeof compiled, { kind: 'zone' }>);
      compiled = readCached(dir, 'k')!;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.equal(compiled.kind, 'zone', JSON.stringify(compiled));
  if (compiled.kind !== 'zone') throw new Error('not a zone');
  const target = new TableTarget();
  target.put({ origin: 'example.com.toml', fileName: 'example.com.toml', text }, compiled);
  const responder = new Responder(target.table, 1232);
  const plan = compiled.health!;
  const probe = (address: string): number => plan.probes.findIndex((p) => p.address === address);
  return {
    plan,
    down(...addresses: string[]): void {
      const ids = new Set(addresses.map(probe));
      swapHealth(compiled.image.ints, plan, (p) => ids.has(p));
    },
    ask(name: string, type = 'A'): Decoded {
      const out = Buffer.alloc(65535);
      const q = makeQuery(name, type, {});
      const n = responder.respond(q, q.length, out, false, new QueryResult());
      return packet.decode(out.subarray(0, n)) as Decoded;
    },
  };
}

type Rr = { name: string; type: string; ttl: number; data: unknown };
const records = (d: Decoded): Rr[] => (d.answers ?? []) as Rr[];
const addresses = (d: Decoded, type = 'A'): string[] => records(d).filter((a) => a.type === type).map((a) => String(a.data)).sort();
/** The A records of `owner` in the additional section. */
const additional = (d: Decoded, owner: string): string[] => ((d.additionals ?? []) as Rr[]).filter((a) => a.type === 'A' && a.name === owner).map((a) => String(a.data)).sort();

/** A zone whose mail host and name server have health-checked addresses. */
const HOSTS_ZONE = `
[domain]
domain = "example.com"

[[health_checks]]
name = "smtp"
type = "tcp"
port = 25

[[records]]
domain = ""
type = "NS"
address = "ns1.example.com."

[[records]]
domain = "ns1"
address = "192.0.2.53"
health_check = "smtp"

[[records]]
domain = "ns1"
address = "192.0.2.54"
health_check = "smtp"

[[records]]
domain = ""
type = "MX"
address = "mail.example.com."

[[records]]
domain = "_submission._tcp"
type = "SRV"
port = 587
address = "mail.example.com."

[[records]]
domain = "mail"
address = "192.0.2.25"
health_check = "smtp"

[[records]]
domain = "mail"
address = "192.0.2.26"
health_check = "smtp"
failover = "secondary"

[[records]]
domain = "www"
address = "192.0.2.80"
`;

describe('health-checked answers, compiled per health state', () => {
  it('leaves a down record out, keeps records without a check, and caps the TTL at health_ttl', () => {
    const z = serve(ZONE);
    assert.deepEqual(addresses(z.ask('www.example.com')), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    assert.ok(records(z.ask('www.example.com')).every((a) => a.ttl === 30), 'TTL capped at the default health_ttl, 30');
    z.down('192.0.2.1');
    assert.deepEqual(addresses(z.ask('www.example.com')), ['192.0.2.2', '192.0.2.3']);
    z.down('192.0.2.1', '192.0.2.2');
    assert.deepEqual(addresses(z.ask('www.example.com')), ['192.0.2.3']);
    z.down();
    assert.deepEqual(addresses(z.ask('www.example.com')), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  });

  it('fails open when every record is down, closed (NODATA) when the check says so', () => {
    const z = serve(ZONE);
    z.down('192.0.2.11');
    assert.deepEqual(addresses(z.ask('open.example.com')), ['192.0.2.12']);
    z.down('192.0.2.11', '192.0.2.12', '192.0.2.21');
    assert.deepEqual(addresses(z.ask('open.example.com')), ['192.0.2.11', '192.0.2.12']);
    const closed = z.ask('closed.example.com');
    assert.equal(closed.rcode, 'NOERROR');
    assert.deepEqual(closed.answers, []);
    assert.equal(closed.authorities?.[0]?.type, 'SOA', 'NODATA carries the SOA');
  });

  it('serves failover secondaries only while no primary is up; check_address is what is probed', () => {
    const z = serve(ZONE);
    assert.deepEqual(addresses(z.ask('fo.example.com')), ['192.0.2.31']);
    z.down('192.0.2.31');
    assert.deepEqual(addresses(z.ask('fo.example.com')), ['192.0.2.32', '192.0.2.33']);
    z.down('192.0.2.31', '192.0.2.99');
    assert.deepEqual(addresses(z.ask('fo.example.com')), ['192.0.2.32']);
    z.down('192.0.2.31', '192.0.2.32', '192.0.2.99');
    assert.deepEqual(addresses(z.ask('fo.example.com')), ['192.0.2.32', '192.0.2.33'], 'secondaries fail open');
    assert.equal(z.plan.probes.some((p) => p.address === '192.0.2.33'), false, 'the record address is not probed when check_address is set');
  });

  it('keeps the health plan in the compiled cache', () => {
    const z = serve(ZONE, true);
    z.down('192.0.2.1', '192.0.2.31');
    assert.deepEqual(addresses(z.ask('www.example.com')), ['192.0.2.2', '192.0.2.3']);
    assert.deepEqual(addresses(z.ask('fo.example.com')), ['192.0.2.32', '192.0.2.33']);
  });

  it('applies to the addresses of the hosts an answer names (MX, SRV, NS) in its additional section', () => {
    const z = serve(HOSTS_ZONE);
    const cases: { down: string[]; mail: string[]; ns1: string[] }[] = [
      { down: [], mail: ['192.0.2.25'], ns1: ['192.0.2.53', '192.0.2.54'] },
      { down: ['192.0.2.25'], mail: ['192.0.2.26'], ns1: ['192.0.2.53', '192.0.2.54'] },
      { down: ['192.0.2.25', '192.0.2.26'], mail: ['192.0.2.26'], ns1: ['192.0.2.53', '192.0.2.54'] },
      { down: ['192.0.2.53'], mail: ['192.0.2.25'], ns1: ['192.0.2.54'] },
    ];
    for (const c of cases) {
      z.down(...c.down);
      const state = `with ${c.down.join(', ') || 'nothing'} down`;
      assert.deepEqual(additional(z.ask('example.com', 'MX'), 'mail.example.com'), c.mail, `MX, ${state}`);
      assert.deepEqual(additional(z.ask('_submission._tcp.example.com', 'SRV'), 'mail.example.com'), c.mail, `SRV, ${state}`);
      assert.deepEqual(additional(z.ask('example.com', 'NS'), 'ns1.example.com'), c.ns1, `NS, ${state}`);
      assert.deepEqual(additional(z.ask('ns1.example.com'), 'ns1.example.com'), [], `the answer's own records are not repeated, ${state}`);
      // The zone's name servers that every positive answer carries in its authority section: their
      // addresses stay as when every check is up.
      assert.deepEqual(additional(z.ask('www.example.com'), 'ns1.example.com'), ['192.0.2.53', '192.0.2.54'], `www's authority NS, ${state}`);
    }
  });

  it('compiles at most 2^8 states an answer: past 8 probes, a named host\'s addresses stay as when up', () => {
    // Two mail hosts of five checked addresses each: the first host's 5 probes fit, the second's would make 10.
    const host = (h: string, i: number): string => `[[records]]\ndomain = "${h}"\naddress = "192.0.2.${h === 'mx1' ? 100 + i : 200 + i}"\nhealth_check = "smtp"\n`;
    const text = `[domain]\ndomain = "example.com"\n\n[[health_checks]]\nname = "smtp"\ntype = "tcp"\nport = 25\n\n`
      + ['mx1', 'mx2'].map((h) => `[[records]]\ndomain = ""\ntype = "MX"\naddress = "${h}.example.com."\n\n${[0, 1, 2, 3, 4].map((i) => host(h, i)).join('\n')}`).join('\n');
    const z = serve(text);
    z.down('192.0.2.100', '192.0.2.200');
    const mx = z.ask('example.com', 'MX');
    assert.deepEqual(additional(mx, 'mx1.example.com'), ['192.0.2.101', '192.0.2.102', '192.0.2.103', '192.0.2.104']);
    assert.deepEqual(additional(mx, 'mx2.example.com'), ['192.0.2.200', '192.0.2.201', '192.0.2.202', '192.0.2.203', '192.0.2.204']);
    assert.deepEqual(addresses(z.ask('mx2.example.com')), ['192.0.2.201', '192.0.2.202', '192.0.2.203', '192.0.2.204'], 'its own answer still follows its checks');
  });

  it('applies to wildcard synthesis, CNAME chains and ANY', () => {
    const z = serve(ZONE);
    z.down('192.0.2.41', '192.0.2.11');
    assert.deepEqual(addresses(z.ask('x.wild.example.com')), ['192.0.2.42']);
    assert.deepEqual(addresses(z.ask('alias.example.com')), ['192.0.2.12']);
    assert.deepEqual(addresses(z.ask('open.example.com', 'ANY')), ['192.0.2.12']);
    z.down();
    assert.deepEqual(addresses(z.ask('y.wild.example.com')), ['192.0.2.41', '192.0.2.42']);
    assert.deepEqual(addresses(z.ask('alias.example.com')), ['192.0.2.11', '192.0.2.12']);
  });
});
