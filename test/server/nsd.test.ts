import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { makeQuery, udpRaw } from '../helpers/dns.js';
import { besideNsd, sameAnswersAsNsd, seen } from '../helpers/nsd.js';

const FILES = ['../../../zones/example.com.toml', '../../../zones/hello_a.net.toml', '../../../test/fixtures/edge.test.toml']
  .map((f) => new URL(f, import.meta.url).pathname);

/** Questions across every rule: exact, CNAME, wildcard, delegation, negative, EDNS, malformed. */
const QUESTIONS: [string, string][] = [
  ['example.com', 'A'], ['example.com', 'AAAA'], ['example.com', 'MX'], ['example.com', 'NS'], ['example.com', 'SOA'],
  ['example.com', 'TXT'], ['example.com', 'CAA'], ['example.com', 'SRV'], ['example.com', 'ANY'], ['EXAMPLE.com', 'a'],
  ['www.example.com', 'A'], ['www.example.com', 'MX'], ['www.example.com', 'CNAME'], ['www.example.com', 'TXT'],
  ['x.apps.example.com', 'A'], ['a.b.apps.example.com', 'A'], ['x.apps.example.com', 'AAAA'], ['apps.example.com', 'A'],
  ['*.apps.example.com', 'A'], ['foo.example.com', 'A'], ['foo.example.com', 'MX'], ['lab.example.com', 'A'],
  ['lab.example.com', 'NS'], ['lab.example.com', 'DS'], ['x.lab.example.com', 'A'], ['ns.lab.example.com', 'A'],
  ['_sip._tcp.example.com', 'SRV'], ['_tcp.example.com', 'SRV'], ['1.2.0.192.in-addr.example.com', 'PTR'],
  ['mail.example.com', 'A'], ['mail.example.com', 'TXT'], ['example.org', 'A'], ['com', 'NS'],
  ['hello_a.net', 'MX'], ['hello_a.net', 'TXT'], ['hello_a.net', 'A'], ['HeLLo_A.NeT', 'MX'], ['www.hello_a.net', 'A'],
  ['host-1.hello_a.net', 'AAAA'], ['nope.hello_a.net', 'A'], ['hello_a.net', 'NS'], ['hello_a.net', 'ANY'],
  ['c2w.edge.test', 'A'], ['c2w.edge.test', 'TXT'], ['foo.wild.edge.test', 'CNAME'], ['c2d.edge.test', 'A'],
  ['mx2c.edge.test', 'MX'], ['txt.edge.test', 'TXT'], ['random.edge.test', 'TXT'], ['random.edge.test', 'A'],
  ['a.b.random.edge.test', 'TXT'], ['x.*.y.edge.test', 'A'], ['z.*.y.edge.test', 'A'], ['*.y.edge.test', 'A'],
  ['y.edge.test', 'A'], ['upper.edge.test', 'A'], ['edge.test', 'NS'], ['deleg.edge.test', 'NS'],
  ['deleg.edge.test', 'DS'], ['ns1.edge.test', 'ANY'], ['wild.edge.test', 'TXT'],
];

describe('answers are the ones NSD gives for the same zones', () => {
  const both = besideNsd(FILES.map((f) => [basename(f), readFileSync(f, 'utf8')]));

  sameAnswersAsNsd(QUESTIONS, () => ({ ours: both.server.port, nsd: both.nsd.port }), [1232, 512]);

  it('for malformed and unusual queries', async () => {
    const header = (flags: number, qd: number, ar = 0, ns = 0): Buffer => Buffer.from([0, 7, flags >> 8, flags & 0xff, 0, qd, 0, 0, 0, ns, 0, ar]);
    // example.com SOA with serial 1: a pointer to the question name, then SOA IN, TTL 0 and RDATA.
    const ixfrSoa = Buffer.from('c00c0006000100000000001a0161000162000000000100000001000000010000000100000001', 'hex');
    const question = Buffer.from('076578616d706c6503636f6d0000060001', 'hex');
    const opt = (version: number, flags: number): Buffer => Buffer.from([0, 0, 41, 4, 0xd0, 0, version, flags >> 8, flags & 0xff, 0, 0]);
    const cases: [string, Buffer][] = [
      ['no question', header(0x0100, 0)],
      ['two questions', Buffer.concat([header(0x0100, 2), question, question])],
      // RD clear: NSD echoes it for an unknown opcode, we do not (RD is QUERY's; test/server/identity.test.ts).
      ['opcode 15', Buffer.concat([header(0x7800, 1), question])],
      ['EDNS version 1', Buffer.concat([header(0x0100, 1, 1), question, opt(1, 0)])],
      ['unknown EDNS flags', Buffer.concat([header(0x0100, 1, 1), question, opt(0, 0x4000)])],
      ['DO bit', Buffer.concat([header(0x0100, 1, 1), question, opt(0, 0x8000)])],
      ['Z, AD and CD bits', Buffer.concat([header(0x0170, 1), question])],
      ['a name cut short', Buffer.concat([header(0x0100, 1), Buffer.from('076578616d', 'hex')])],
      ['a pointer as question name', Buffer.concat([header(0x0100, 1), Buffer.from('c00c00060001', 'hex')])],
      ['a truncated OPT', Buffer.concat([header(0x0100, 1, 1), question, opt(0, 0).subarray(0, 7)])],
      ['two OPTs', Buffer.concat([header(0x0100, 1, 2), question, opt(0, 0), opt(0, 0)])],
      ['AXFR over UDP', Buffer.concat([header(0x0100, 1), Buffer.from('076578616d706c6503636f6d0000fc0001', 'hex')])],
      // RFC 1995 §2: IXFR over UDP, refused when transfers are off (its SOA in the authority section).
      ['IXFR over UDP', Buffer.concat([header(0x0000, 1, 0, 1), Buffer.from('076578616d706c6503636f6d0000fb0001', 'hex'), ixfrSoa])],
      ['IXFR over UDP with EDNS', Buffer.concat([header(0x0000, 1, 1, 1), Buffer.from('076578616d706c6503636f6d0000fb0001', 'hex'), ixfrSoa, opt(0, 0)])],
      ['class ANY', Buffer.concat([header(0x0100, 1), Buffer.from('076578616d706c6503636f6d00000600ff', 'hex')])],
      ['class ANY, NXDOMAIN', Buffer.concat([header(0x0100, 1), Buffer.from('046e6f7065076578616d706c6503636f6d00000100ff', 'hex')])],
      ['class ANY, referral', Buffer.concat([header(0x0100, 1), Buffer.from('036c6162076578616d706c6503636f6d00000100ff', 'hex')])],
      ['class ANY, NODATA', Buffer.concat([header(0x0100, 1), Buffer.from('076578616d706c6503636f6d00002c00ff', 'hex')])],
      ['class CH', Buffer.concat([header(0x0100, 1), Buffer.from('076578616d706c6503636f6d0000060003', 'hex')])],
    ];
    const differ: string[] = [];
    for (const [what, q] of cases) {
      const [ours, theirs] = [seen(await udpRaw(both.server.port, q)), seen(await udpRaw(both.nsd.port, q))];
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differ.push(`${what}:\n ours   ${JSON.stringify(ours)}\n theirs ${JSON.stringify(theirs)}`);
    }
    assert.deepEqual(differ, []);
  });
});
