/**
 * A zone file's own transfer settings in [domain]: `allow_transfer` (as XFR_ALLOW) and `notify`
 * (as XFR_NOTIFY). Read through compileFile, which passes the settings' readers to the parser, as
 * the server reads every file; a bad entry rejects the file with file, line, field and what to write.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileFile } from '../../src/answer/compile-file.js';
import { readCached, writeCached } from '../../src/answer/compiled-cache.js';
import { formatProblem } from '../../src/zone/problem.js';

const FILE = 'example.com.toml';
const ORIGIN = `zones/${FILE}`;

/** A zone file whose [domain] table has `lines` after `domain = ...` (lines 1–2), then one record. */
const text = (lines: string): string => `[domain]\ndomain = "example.com"\n${lines}\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n`;

describe('[domain] allow_transfer and notify', () => {
  const good: { lines: string; allowTransfer?: string[]; notify?: string[] }[] = [
    { lines: '' },
    { lines: 'allow_transfer = ["127.0.0.1", "192.0.2.0/24", "2001:db8::/32", "::1"]', allowTransfer: ['127.0.0.1', '192.0.2.0/24', '2001:db8::/32', '::1'] },
    { lines: 'allow_transfer = []', allowTransfer: [] },
    { lines: 'allow_transfer = [ " 192.0.2.1 " ]', allowTransfer: ['192.0.2.1'] },
    { lines: 'notify = ["192.0.2.1", "192.0.2.2:5353", "[2001:db8::1]:5300", "2001:db8::2"]', notify: ['192.0.2.1', '192.0.2.2:5353', '[2001:db8::1]:5300', '2001:db8::2'] },
    { lines: 'notify = []', notify: [] },
    { lines: 'allow_transfer = [\n  "192.0.2.1",\n]\nnotify = ["192.0.2.1:53"]', allowTransfer: ['192.0.2.1'], notify: ['192.0.2.1:53'] },
  ];
  for (const c of good) {
    it(`accepts ${c.lines || 'neither'}, and the compiled zone carries the lists`, () => {
      const r = compileFile(text(c.lines), ORIGIN, FILE);
      assert.equal(r.kind, 'zone', JSON.stringify(r));
      assert.deepEqual(r.facts.allowTransfer, c.allowTransfer);
      assert.deepEqual(r.facts.notify, c.notify);
    });
  }

  const bad: { lines: string; problems: string[] }[] = [
    {
      lines: 'allow_transfer = "127.0.0.1"',
      problems: [`${ORIGIN}:3: [domain] allow_transfer: must be a list of quoted strings; write e.g. allow_transfer = ["192.0.2.1", "2001:db8::/32"] (or [] for no transfers of this zone)`],
    },
    {
      lines: 'allow_transfer = [127]',
      problems: [`${ORIGIN}:3: [domain] allow_transfer: must be a list of quoted strings; write e.g. allow_transfer = ["192.0.2.1", "2001:db8::/32"] (or [] for no transfers of this zone)`],
    },
    {
      lines: 'serial = 1\nallow_transfer = ["192.0.2.1", "ns1.example.net"]',
      problems: [`${ORIGIN}:4: [domain] allow_transfer: entry 2 ("ns1.example.net") is not an address or address/prefix; write e.g. 192.0.2.1, 192.0.2.0/24 or 2001:db8::/32`],
    },
    {
      lines: 'allow_transfer = ["192.0.2.1/24"]',
      problems: [`${ORIGIN}:3: [domain] allow_transfer: entry 1 ("192.0.2.1/24") has bits set past /24; write the network, 192.0.2.0/24`],
    },
    {
      lines: 'allow_transfer = ["192.0.2.1,192.0.2.2"]',
      problems: [`${ORIGIN}:3: [domain] allow_transfer: entry 1 ("192.0.2.1,192.0.2.2") is not an address or address/prefix; write e.g. 192.0.2.1, 192.0.2.0/24 or 2001:db8::/32`],
    },
    {
      lines: 'notify = ["192.0.2.1:0"]',
      problems: [`${ORIGIN}:3: [domain] notify: entry 1 ("192.0.2.1:0"): the port must be a whole number from 1 to 65535`],
    },
    {
      lines: 'notify = "192.0.2.1"',
      problems: [`${ORIGIN}:3: [domain] notify: must be a list of quoted strings; write e.g. notify = ["192.0.2.1", "[2001:db8::1]:5353"]`],
    },
    {
      // Every problem of the file at once: both lists, and a record's.
      lines: 'allow_transfer = ["10.0.0.0/33"]\nnotify = ["ns2.example.net"]\n\n[[records]]\ndomain = "x"\naddress = "not-an-address"',
      problems: [
        `${ORIGIN}:3: [domain] allow_transfer: entry 1 ("10.0.0.0/33"): the prefix must be a whole number from 0 to 32`,
        `${ORIGIN}:4: [domain] notify: entry 1 ("ns2.example.net") is not an address[:port]; write e.g. 192.0.2.1, 192.0.2.1:5353 or [2001:db8::1]:5353`,
      ],
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.lines.split('\n').join('; ')} with file, line, field and the fix`, () => {
      const r = compileFile(text(c.lines), ORIGIN, FILE);
      assert.equal(r.kind, 'rejected', JSON.stringify(r));
      const shown = r.problems.map(formatProblem);
      for (const p of c.problems) assert.ok(shown.includes(p), `expected ${p}\namong\n${shown.join('\n')}`);
    });
  }

  it('keeps the lists through the compiled cache (a restart serves them as they were)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eclipso-lists-'));
    try {
      const r = compileFile(text('allow_transfer = ["192.0.2.0/24"]\nnotify = ["[2001:db8::1]:5353"]'), ORIGIN, FILE);
      assert.equal(r.kind, 'zone');
      writeCached(dir, 'k', r);
      const back = readCached(dir, 'k');
      assert.equal(back?.kind, 'zone');
      assert.deepEqual([back.facts.allowTransfer, back.facts.notify], [['192.0.2.0/24'], ['[2001:db8::1]:5353']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
