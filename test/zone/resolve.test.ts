import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TYPE, rcodeName, typeName } from '../../src/wire/constants.js';
import { formatName, parseName } from '../../src/wire/name.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { resolve, type Resolution } from '../../src/zone/resolve.js';
import { ZoneTree, type RRset } from '../../src/zone/tree.js';

const ZONE = `
[domain]
domain = "example.com"
[[records]]
type = "NS"
address = "ns.example.com."
[[records]]
domain = "ns"
address = "192.0.2.53"
[[records]]
type = "MX"
address = "mail.example.com."
[[records]]
domain = "mail"
type = "AAAA"
address = "2001:db8::25"
[[records]]
domain = "mail"
address = "192.0.2.25"
[[records]]
domain = "www"
type = "CNAME"
address = "mail.example.com."
[[records]]
domain = "*.w"
type = "TXT"
address = "wild"
[[records]]
domain = "sub"
type = "NS"
address = "ns.sub.example.com."
[[records]]
domain = "ns.sub"
address = "192.0.2.54"
`;

const file = parseZoneFile(ZONE, 'example.com.toml', 'example.com.toml');
assert.ok(file.active);
const tree = new ZoneTree(file.zone);

const sets = (list: readonly RRset[]): string[] => list.map((s) => `${formatName(s.owner)} ${typeName(s.type)}`);
const shape = (r: Resolution): object => ({
  rcode: rcodeName(r.rcode), aa: r.aa, answer: sets(r.answer), authority: sets(r.authority), additional: sets(r.additional),
});

/** RFC 1034 §4.3.2 step 3, question by question: the RRsets of each section (additional: A before AAAA, as NSD). */
const CASES: [string, string, object][] = [
  ['example.com', 'MX', { rcode: 'NOERROR', aa: true, answer: ['example.com. MX'], authority: ['example.com. NS'], additional: ['mail.example.com. A', 'ns.example.com. A', 'mail.example.com. AAAA'] }],
  ['www.example.com', 'A', { rcode: 'NOERROR', aa: true, answer: ['www.example.com. CNAME', 'mail.example.com. A'], authority: ['example.com. NS'], additional: ['ns.example.com. A'] }],
  ['x.w.example.com', 'TXT', { rcode: 'NOERROR', aa: true, answer: ['x.w.example.com. TXT'], authority: ['example.com. NS'], additional: ['ns.example.com. A'] }],
  ['x.w.example.com', 'A', { rcode: 'NOERROR', aa: true, answer: [], authority: ['example.com. SOA'], additional: [] }],
  ['nope.example.com', 'A', { rcode: 'NXDOMAIN', aa: true, answer: [], authority: ['example.com. SOA'], additional: [] }],
  ['host.sub.example.com', 'A', { rcode: 'NOERROR', aa: false, answer: [], authority: ['sub.example.com. NS'], additional: ['ns.sub.example.com. A'] }],
  ['sub.example.com', 'DS', { rcode: 'NOERROR', aa: true, answer: [], authority: ['example.com. SOA'], additional: [] }],
  ['example.com', 'ANY', { rcode: 'NOERROR', aa: true, answer: ['example.com. SOA'], authority: [], additional: [] }],
];

describe('resolve: one question over one zone', () => {
  for (const [name, type, expected] of CASES) {
    it(`${name} ${type}`, () => assert.deepEqual(shape(resolve(tree, parseName(name), TYPE[type as keyof typeof TYPE])), expected));
  }
});
