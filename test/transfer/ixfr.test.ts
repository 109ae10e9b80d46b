/**
 * IXFR from a journal of differences (RFC 1995): what changed between two versions of a zone, the
 * journal's bounds, and the messages a client reads, decoded by dns-packet and applied to the
 * records of the version it had: the result must be the records of the new version.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { TYPE } from '../../src/wire/constants.js';
import { parseName } from '../../src/wire/name.js';
import { zoneDifference, type ZoneDifference } from '../../src/transfer/difference.js';
import { ixfrMessages, ixfrRecordCount, planIxfr } from '../../src/transfer/ixfr.js';
import { ZoneJournal } from '../../src/transfer/journal.js';
import type { ResponseHead } from '../../src/transfer/response.js';
import type { Zone } from '../../src/zone/model.js';
import { expectedRecords, recordLine, zoneOf } from '../helpers/xfr.js';

const head = (edns = false): ResponseHead => ({ id: 0x1234, rd: false, qname: parseName('example.com'), qtype: TYPE.IXFR, qclass: 1, edns });

const BASE = `[domain]
domain = "example.com"
serial = 100

[defaults]
ttl = 300

[[records]]
type = "NS"
address = "ns1.example.com."

[[records]]
domain = "ns1"
address = "192.0.2.53"

[[records]]
domain = "www"
address = "192.0.2.1"

[[records]]
domain = "www"
address = "192.0.2.2"

[[records]]
type = "MX"
address = "mail.example.com."
`;

/** The zone with serial `serial`, its text changed by `edit`. */
function version(serial: number, edit: (t: string) => string = (t) => t): Zone {
  return zoneOf('example.com.toml', edit(BASE).replace('serial = 100', `serial = ${serial}`));
}

/** Every record of the messages of a transfer, in order, as comparable lines; checks the question is in the first only. */
function recordsOf(messages: Buffer[]): string[] {
  return messages.flatMap((m, i) => {
    const d = packet.decode(m);
    assert.equal(d.questions!.length, i === 0 ? 1 : 0, 'the question in the first message only');
    return d.answers!.map(recordLine);
  });
}

/**
 * Applies an incremental answer (RFC 1995 §4) to the records a client has: the current SOA, then
 * per step the old SOA, its deletions, the new SOA, its additions; the current SOA last.
 */
function apply(had: string[], answer: string[]): string[] {
  const isSoa = (l: string): boolean => l.split(' ')[2] === 'SOA';
  const records = new Set(had.filter((l) => !isSoa(l)));
  let soa = had.find(isSoa)!;
  assert.ok(isSoa(answer[0]) && answer[answer.length - 1] === answer[0], 'the current SOA first and last');
  let i = 1;
  while (i < answer.length - 1) {
    assert.equal(answer[i++], soa, 'each step starts from the version before');
    for (; !isSoa(answer[i]); i++) assert.ok(records.delete(answer[i]), `deleted record ${answer[i]} was there`);
    soa = answer[i++];
    for (; i < answer.length - 1 && !isSoa(answer[i]); i++) records.add(answer[i]);
  }
  assert.equal(soa, answer[0], 'the steps end at the current version');
  return [soa, ...records].sort();
}

const EDITS: [string, (t: string) => string, number, number][] = [
  // what changed, the edit, records deleted, records added
  ['nothing but the serial', (t) => t, 0, 0],
  ['a record added', (t) => `${t}\n[[records]]\ndomain = "new"\naddress = "192.0.2.9"\n`, 0, 1],
  ['a record removed', (t) => t.replace('[[records]]\ndomain = "www"\naddress = "192.0.2.2"\n', ''), 1, 0],
  ['an address changed', (t) => t.replace('192.0.2.1', '192.0.2.7'), 1, 1],
  ['a TTL changed (the RRset deleted and added again)', (t) => t.replace('domain = "www"\naddress = "192.0.2.1"', 'domain = "www"\naddress = "192.0.2.1"\nttl = 60'), 2, 2],
  ['a name in RDATA changed', (t) => t.replace('mail.example.com.', 'mx.example.com.'), 1, 1],
  ['an owner written in other letter case (the same name, RFC 4343)', (t) => t.replace('domain = "www"\naddress = "192.0.2.2"', 'domain = "WWW"\naddress = "192.0.2.2"'), 0, 0],
  ['a record written twice (the same record)', (t) => `${t}\n[[records]]\ndomain = "www"\naddress = "192.0.2.2"\n`, 0, 0],
];

describe('the difference between two versions of a zone', () => {
  for (const [what, edit, deleted, added] of EDITS) {
    it(`${what}: ${deleted} deleted, ${added} added; applied by a client it gives the new version`, () => {
      const [from, to] = [version(100), version(101, edit)];
      const d = zoneDifference(from, to);
      assert.deepEqual([d.fromSerial, d.toSerial, d.deletedCount, d.addedCount], [100, 101, deleted, added]);
      const answer = recordsOf([...ixfrMessages(head(), [d], 0)]);
      assert.equal(answer.length, ixfrRecordCount([d]));
      assert.deepEqual(apply(expectedRecords(from), answer), expectedRecords(to).sort());
    });
  }

  it('several steps in one answer take a client from the oldest version to the newest', () => {
    const versions = [version(100), version(101, EDITS[1][1]), version(102, (t) => EDITS[3][1](EDITS[1][1](t))), version(103, EDITS[3][1])];
    const steps = versions.slice(1).map((v, i) => zoneDifference(versions[i], v));
    const answer = recordsOf([...ixfrMessages(head(true), steps, 0)]);
    assert.deepEqual(apply(expectedRecords(versions[0]), answer), expectedRecords(versions[3]).sort());
  });

  it('a large difference fills several messages of at most the target size, an OPT in the first only', () => {
    const many = (t: string): string => t + Array.from({ length: 2000 }, (_, i) => `\n[[records]]\ndomain = "host-${i}"\naddress = "10.0.${i >> 8}.${i & 255}"\n`).join('');
    const [from, to] = [version(100), version(101, many)];
    const messages = [...ixfrMessages(head(true), [zoneDifference(from, to)], 100, 4096)];
    assert.ok(messages.length > 5, `${messages.length} messages`);
    for (const m of messages) assert.ok(m.length <= 4096 - 100, `a message of ${m.length} octets leaves room for the TSIG`);
    assert.deepEqual(messages.map((m) => packet.decode(m).additionals!.length), messages.map((_, i) => (i === 0 ? 1 : 0)));
    assert.deepEqual(apply(expectedRecords(from), recordsOf(messages)), expectedRecords(to).sort());
  });
});

/** A step from serial `from` to `to` with `changes` records deleted and as many added. */
function step(from: number, to: number, changes = 1): ZoneDifference {
  const empty = new Uint8Array(0);
  return { fromSerial: from, toSerial: to, fromSoa: empty, toSoa: empty, deleted: empty, deletedCount: changes, added: empty, addedCount: changes };
}

const serials = (steps: ZoneDifference[] | null): number[] | null => steps && [steps[0].fromSerial, ...steps.map((s) => s.toSerial)];

describe('the journal of a zone', () => {
  it('answers from any version it holds, up to the newest', () => {
    const j = new ZoneJournal(20);
    for (const [from, to] of [[100, 101], [101, 102], [102, 103]]) j.add(step(from, to), 1000);
    assert.deepEqual(serials(j.from(100)), [100, 101, 102, 103]);
    assert.deepEqual(serials(j.from(102)), [102, 103]);
    assert.equal(j.from(99), null);
    assert.equal(j.from(103), null, 'the newest version has no step after it');
  });

  const bounds: [string, number, number, [number, number, number][], number | null][] = [
    // case, versions kept, zone records, steps (from, to, changes), oldest serial answered
    ['keeps at most IXFR_VERSIONS steps', 2, 1000, [[1, 2, 1], [2, 3, 1], [3, 4, 1]], 2],
    ['keeps no more records than the zone has (a full transfer is smaller)', 20, 10, [[1, 2, 1], [2, 3, 1], [3, 4, 2]], 2],
    ['keeps nothing when one step is larger than the zone', 20, 10, [[1, 2, 1], [2, 3, 20]], null],
    ['starts again after a step that does not follow the newest', 20, 1000, [[1, 2, 1], [5, 6, 1]], 5],
    ['drops everything when the serial stays but the content changes', 20, 1000, [[1, 2, 1], [2, 2, 1]], null],
    ['keeps what it had when the same version comes again', 20, 1000, [[1, 2, 1], [2, 2, 0]], 1],
  ];
  for (const [what, versions, records, steps, oldest] of bounds) {
    it(what, () => {
      const j = new ZoneJournal(versions);
      for (const [from, to, changes] of steps) j.add(step(from, to, changes), records);
      const kept = [1, 2, 3, 4, 5].filter((s) => j.from(s) !== null);
      assert.equal(kept[0] ?? null, oldest);
    });
  }
});

describe('how an IXFR is answered with a journal (RFC 1995 §2, §4)', () => {
  const j = new ZoneJournal(20);
  j.add(step(100, 101), 1000);
  j.add(step(101, 102), 1000);
  const cases: [number, boolean, string, number[] | null][] = [
    [100, true, 'differences', [100, 101, 102]],
    [101, false, 'differences', [101, 102]], // over UDP too, when they fit (the caller checks)
    [102, true, 'current', null], // up to date
    [103, true, 'current', null], // newer than ours
    [99, true, 'full', null], // not in the journal: the whole zone, AXFR-style
    [99, false, 'current', null], // over UDP: the SOA alone sends the client to TCP
  ];
  for (const [client, tcp, kind, chain] of cases) {
    it(`client ${client} over ${tcp ? 'TCP' : 'UDP'}: ${kind}`, () => {
      const plan = planIxfr(client, 102, j, tcp);
      assert.equal(plan.kind, kind);
      assert.deepEqual(plan.kind === 'differences' ? serials(plan.steps) : null, chain);
    });
  }
});
