import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextSerial, serialAdd, serialGreater } from '../../src/transfer/serial.js';

describe('RFC 1982 serial arithmetic', () => {
  it('compares serials in a space that wraps around at 2^32', () => {
    const cases: [number, number, boolean][] = [
      [2, 1, true],
      [1, 2, false],
      [1, 1, false],
      [0, 4294967295, true], // 0 follows 2^32 - 1 (§3.1: addition wraps)
      [4294967295, 0, false],
      [2 ** 31 - 1, 0, true], // the farthest ahead a serial can be
      [2 ** 31, 0, false], // exactly half way: undefined, neither greater nor less (§3.2)
      [0, 2 ** 31, false],
      [2 ** 31 + 1, 0, false], // past half way it is behind
      [100, 2 ** 31 + 101, true],
    ];
    for (const [a, b, greater] of cases) assert.equal(serialGreater(a, b), greater, `${a} > ${b}`);
  });

  it('adds modulo 2^32', () => {
    assert.equal(serialAdd(4294967295, 1), 0);
    assert.equal(serialAdd(7, 1), 8);
  });
});

describe('serials that only grow', () => {
  const mtime = 1_800_000_000; // 2027-01-15
  const cases: { why: string; previous?: number; explicit?: number; modified: number; serial: number; warns?: RegExp }[] = [
    { why: 'first load: the modification time', modified: mtime, serial: mtime },
    { why: 'fractional seconds (a file mtime) are cut', modified: mtime + 0.75, serial: mtime },
    { why: 'a later change: its later time', previous: mtime, modified: mtime + 60, serial: mtime + 60 },
    { why: 'two changes in one second: the previous plus one', previous: mtime, modified: mtime, serial: mtime + 1 },
    { why: 'bumped before, changed again in the same second', previous: mtime + 1, modified: mtime, serial: mtime + 2 },
    { why: 'a clock set back, or an old file restored', previous: mtime, modified: mtime - 86400, serial: mtime + 1 },
    { why: 'an explicit serial wins', previous: mtime, explicit: 2026112701, modified: mtime, serial: 2026112701 },
    { why: 'an explicit serial on first load', explicit: 7, modified: mtime, serial: 7 },
    { why: 'an explicit serial across the wrap is greater', previous: 4294967000, explicit: 5, modified: mtime, serial: 5 },
    {
      why: 'a lower explicit serial wins, with a warning', previous: 2026112702, explicit: 2026112701, modified: mtime, serial: 2026112701,
      warns: /^serial 2026112701 is not greater than 2026112702, the serial served for the zone's previous content \(RFC 1982\): secondaries keep the zone they have; write serial = 2026112703 or more, or leave serial out/,
    },
    { why: 'an unchanged explicit serial on new content warns too', previous: 5, explicit: 5, modified: mtime, serial: 5, warns: /not greater than 5/ },
    { why: 'after 2106 the time wraps, and still grows', previous: 4294967290, modified: 2 ** 32 + 10, serial: 10 },
    { why: 'the previous at the top of the space wraps to 0', previous: 4294967295, modified: 4294967295, serial: 0 },
  ];
  for (const c of cases) {
    it(c.why, () => {
      const r = nextSerial(c.previous, c.explicit, c.modified);
      assert.equal(r.serial, c.serial);
      if (c.warns) assert.match(r.warning ?? '(no warning)', c.warns);
      else assert.equal(r.warning, undefined);
      if (c.previous !== undefined && c.explicit === undefined) assert.ok(serialGreater(r.serial, c.previous), 'a derived serial always grows');
    });
  }
});
