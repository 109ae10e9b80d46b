import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lines, query, queryTcp, type Decoded } from '../helpers/dns.js';
import { startServer, ZoneDir, type ServerProcess } from '../helpers/server.js';

const EXAMPLE = `
[domain]
domain = "example.com"
soa = "ns1.example.com."
rname = "hostmaster.example.com."
serial = 7
minimum = 30

[defaults]
ttl = 300

[[records]]
type = "NS"
address = "ns1.example.com."
[[records]]
domain = "ns1"
address = "192.0.2.53"
[[records]]
address = "192.0.2.1"
[[records]]
type = "MX"
preference = 10
address = "mail.example.com."
[[records]]
domain = "mail"
address = "192.0.2.25"
[[records]]
domain = "mail"
type = "AAAA"
address = "2001:db8::25"
[[records]]
domain = "www"
type = "CNAME"
address = "alias.example.com."
[[records]]
domain = "alias"
type = "CNAME"
address = "example.com."
[[records]]
domain = "loop1"
type = "CNAME"
address = "loop2.example.com."
[[records]]
domain = "loop2"
type = "CNAME"
address = "loop1.example.com."
[[records]]
domain = "dangling"
type = "CNAME"
address = "nowhere.example.com."
[[records]]
domain = "outside"
type = "CNAME"
address = "www.example.net."
[[records]]
domain = "*.wild"
address = "192.0.2.99"
[[records]]
domain = "*.wild"
type = "MX"
preference = 5
address = "mail.example.com."
[[records]]
domain = "a.b.c"
type = "TXT"
address = "deep"
[[records]]
domain = "lab"
type = "NS"
address = "ns.lab.example.com."
[[records]]
domain = "ns.lab"
address = "192.0.2.100"
[[records]]
domain = "_sip._tcp"
type = "SRV"
priority = 1
weight = 2
port = 5060
address = "mail.example.com."
[[records]]
domain = "tolab"
type = "CNAME"
address = "host.lab.example.com."
[[records]]
domain = "big"
type = "TXT"
address = [${Array.from({ length: 8 }, (_, i) => `"${String(i).repeat(200)}"`).join(', ')}]
`;

/** A wildcard at the apex, and a name with a literal "*" label (RFC 4592 §2.1.1 example). */
const WILD = `
[domain]
domain = "wild.test"
serial = 9
[[records]]
domain = "*"
type = "TXT"
address = "any name"
[[records]]
domain = "x.*.y"
address = "192.0.2.7"
`;
const WILD_SOA = 'wild.test 60 SOA ns.wild.test hostmaster.wild.test 9';

const SUB = `
[domain]
domain = "sub.example.com"
serial = 3
[[records]]
address = "198.51.100.1"
[[records]]
domain = "www"
address = "198.51.100.2"
`;

interface Case {
  q: [string, string];
  /** A positive answer: the zone's NS in authority and its address in additional, as NSD gives. */
  ns?: boolean;
  rcode: string;
  aa: boolean;
  answer?: string[];
  authority?: string[];
  additional?: string[];
}

const SOA = 'example.com 30 SOA ns1.example.com hostmaster.example.com 7';
const NS = 'example.com 300 NS ns1.example.com';
const NS_GLUE = 'ns1.example.com 300 A 192.0.2.53';

/** RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 8482 — what NSD and Knot answer for this zone. */
const CASES: Record<string, Case> = {
  'an exact A answer is authoritative': { ns: true, q: ['example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['example.com 300 A 192.0.2.1'] },
  'MX answers carry the exchange addresses in additional': { ns: true,
    q: ['example.com', 'MX'], rcode: 'NOERROR', aa: true, answer: ['example.com 300 MX 10 mail.example.com'],
    additional: ['mail.example.com 300 A 192.0.2.25', 'mail.example.com 300 AAAA 2001:db8::25'],
  },
  'NS answers carry glue': { q: ['example.com', 'NS'], rcode: 'NOERROR', aa: true, answer: ['example.com 300 NS ns1.example.com'], additional: ['ns1.example.com 300 A 192.0.2.53'] },
  'SRV answers carry target addresses': { ns: true,
    q: ['_sip._tcp.example.com', 'SRV'], rcode: 'NOERROR', aa: true, answer: ['_sip._tcp.example.com 300 SRV 1 2 5060 mail.example.com'],
    additional: ['mail.example.com 300 A 192.0.2.25', 'mail.example.com 300 AAAA 2001:db8::25'],
  },
  'SOA at the apex': { ns: true, q: ['example.com', 'SOA'], rcode: 'NOERROR', aa: true, answer: ['example.com 300 SOA ns1.example.com hostmaster.example.com 7'] },
  'a CNAME chain is followed inside the zone': { ns: true,
    q: ['www.example.com', 'A'], rcode: 'NOERROR', aa: true,
    answer: ['www.example.com 300 CNAME alias.example.com', 'alias.example.com 300 CNAME example.com', 'example.com 300 A 192.0.2.1'],
  },
  'a CNAME query gets the CNAME alone': { ns: true, q: ['www.example.com', 'CNAME'], rcode: 'NOERROR', aa: true, answer: ['www.example.com 300 CNAME alias.example.com'] },
  'a CNAME chain ending in NODATA carries the SOA': {
    q: ['www.example.com', 'TXT'], rcode: 'NOERROR', aa: true,
    answer: ['www.example.com 300 CNAME alias.example.com', 'alias.example.com 300 CNAME example.com'], authority: [SOA],
  },
  // Without the zone's NS: the data asked for was not found (as NSD).
  'a CNAME loop is cut': { q: ['loop1.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['loop1.example.com 300 CNAME loop2.example.com', 'loop2.example.com 300 CNAME loop1.example.com'] },
  'a CNAME to a missing name is NXDOMAIN (RFC 6604)': { q: ['dangling.example.com', 'A'], rcode: 'NXDOMAIN', aa: true, answer: ['dangling.example.com 300 CNAME nowhere.example.com'], authority: [SOA] },
  'a CNAME out of the zone is not chased': { q: ['outside.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['outside.example.com 300 CNAME www.example.net'] },
  'a wildcard synthesizes the query name': { ns: true, q: ['host.wild.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['host.wild.example.com 300 A 192.0.2.99'] },
  'a wildcard matches several labels deep': { ns: true, q: ['a.b.wild.example.com', 'MX'], rcode: 'NOERROR', aa: true, answer: ['a.b.wild.example.com 300 MX 5 mail.example.com'], additional: ['mail.example.com 300 A 192.0.2.25', 'mail.example.com 300 AAAA 2001:db8::25'] },
  'a wildcard without the type is NODATA': { q: ['host.wild.example.com', 'TXT'], rcode: 'NOERROR', aa: true, authority: [SOA] },
  'the wildcard owner\'s parent is an empty non-terminal: NODATA': { q: ['wild.example.com', 'A'], rcode: 'NOERROR', aa: true, authority: [SOA] },
  'empty non-terminals answer NODATA, not NXDOMAIN': { q: ['b.c.example.com', 'A'], rcode: 'NOERROR', aa: true, authority: [SOA] },
  'a missing name is NXDOMAIN with the SOA, TTL min(SOA TTL, minimum)': { q: ['nope.example.com', 'A'], rcode: 'NXDOMAIN', aa: true, authority: [SOA] },
  'a missing name below an existing one is NXDOMAIN': { q: ['x.mail.example.com', 'A'], rcode: 'NXDOMAIN', aa: true, authority: [SOA] },
  'an existing name without the type is NODATA': { q: ['mail.example.com', 'TXT'], rcode: 'NOERROR', aa: true, authority: [SOA] },
  'a delegation gets a referral with glue, AA clear': { q: ['lab.example.com', 'A'], rcode: 'NOERROR', aa: false, authority: ['lab.example.com 300 NS ns.lab.example.com'], additional: ['ns.lab.example.com 300 A 192.0.2.100'] },
  'names under a delegation get the referral': { q: ['deep.host.lab.example.com', 'AAAA'], rcode: 'NOERROR', aa: false, authority: ['lab.example.com 300 NS ns.lab.example.com'], additional: ['ns.lab.example.com 300 A 192.0.2.100'] },
  'glue names get the referral too': { q: ['ns.lab.example.com', 'A'], rcode: 'NOERROR', aa: false, authority: ['lab.example.com 300 NS ns.lab.example.com'], additional: ['ns.lab.example.com 300 A 192.0.2.100'] },
  'DS at a delegation is the parent\'s: NODATA': { q: ['lab.example.com', 'DS'], rcode: 'NOERROR', aa: true, authority: [SOA] },
  'ANY gets one RRset (RFC 8482)': { q: ['mail.example.com', 'ANY'], rcode: 'NOERROR', aa: true, answer: ['mail.example.com 300 A 192.0.2.25'] },
  'a CNAME into a delegation ends in the referral, AA kept': {
    q: ['tolab.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['tolab.example.com 300 CNAME host.lab.example.com'],
    authority: ['lab.example.com 300 NS ns.lab.example.com'], additional: ['ns.lab.example.com 300 A 192.0.2.100'],
  },
  'an apex wildcard answers any missing name': { q: ['nope.wild.test', 'TXT'], rcode: 'NOERROR', aa: true, answer: ['nope.wild.test 3600 TXT "any name"'] },
  'an apex wildcard without the type is NODATA': { q: ['nope.wild.test', 'A'], rcode: 'NOERROR', aa: true, authority: [WILD_SOA] },
  'a literal "*" label that exists is a closest encloser, not a wildcard (RFC 4592 §2.2.1)': {
    q: ['z.*.y.wild.test', 'A'], rcode: 'NXDOMAIN', aa: true, authority: [WILD_SOA],
  },
  'a name in no zone is REFUSED': { q: ['example.org', 'A'], rcode: 'REFUSED', aa: false },
  'a nested zone answers for its own names (longest match)': { q: ['www.sub.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['www.sub.example.com 3600 A 198.51.100.2'] },
  'a nested zone\'s missing names are its NXDOMAIN': {
    q: ['nope.sub.example.com', 'A'], rcode: 'NXDOMAIN', aa: true, authority: ['sub.example.com 60 SOA ns.sub.example.com hostmaster.sub.example.com 3'],
  },
};

describe('answers over UDP and TCP', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  before(async () => {
    dir.write('example.com.toml', EXAMPLE);
    dir.write('sub.example.com.toml', SUB);
    dir.write('wild.test.toml', WILD);
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1' } });
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  const check = (r: Decoded, c: Case): void => {
    assert.equal(r.rcode, c.rcode);
    assert.equal(r.flag_aa, c.aa, 'AA');
    assert.equal(r.flag_qr, true, 'QR');
    assert.deepEqual(lines(r.answers), c.answer ?? [], 'answer');
    assert.deepEqual(lines(r.authorities), c.ns ? [NS] : c.authority ?? [], 'authority');
    // As NSD: every A RRset of the additional section before every AAAA RRset.
    const additional = [...(c.additional ?? []), ...(c.ns ? [NS_GLUE] : [])];
    const ofType = (t: string): string[] => additional.filter((l) => l.split(' ')[2] === t);
    assert.deepEqual(lines(r.additionals), [...ofType('A'), ...ofType('AAAA')], 'additional');
  };

  for (const [what, c] of Object.entries(CASES)) {
    it(`${what} (UDP)`, async () => check(await query(server.port, c.q[0], c.q[1], { edns: 1232 }), c));
    it(`${what} (TCP)`, async () => check(await queryTcp(server.port, c.q[0], c.q[1]), c));
  }
});
