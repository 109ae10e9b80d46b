import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createDynamoZoneStore } from '../../src/sources/dynamodb.js';
import { Dynalite } from '../helpers/dynalite.js';
import { S3Server } from '../helpers/s3rver.js';
import { ZoneDir } from '../helpers/server.js';

const MAIN = new URL('../../../dist/main.js', import.meta.url).pathname;
const ZONES = new URL('../../../zones', import.meta.url).pathname;

function check(...args: string[]) {
  return checkWith({}, ...args);
}

function checkWith(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [MAIN, 'check', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

const GOOD = '[domain]\ndomain = "good.test"\n[[records]]\naddress = "192.0.2.1"\n';
const BAD = '[domain]\ndomain = "bad.test"\n\n[[records]]\ntype = "MX"\npreference = "ten"\naddress = "mail.bad.test."\n';

describe('eclipso check: zone files checked without serving', () => {
  it('passes the shipped example zones, exit 0', () => {
    const r = check(ZONES);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /hello_a\.net\.toml: ok \(hello_a\.net\., \d+ records\)/);
    assert.match(r.stdout, /files checked: all good\n$/);
  });

  it('prints every problem as the server logs it (file:line: record: field), exit 1', () => {
    const dir = new ZoneDir();
    try {
      dir.write('good.test.toml', GOOD);
      dir.write('bad.test.toml', BAD);
      dir.write('GOOD.test.toml', GOOD.replace('good.test', 'GOOD.test'));
      // Served, with a warning: an MX target that is a CNAME (RFC 2181 §10.3).
      dir.write('warn.test.toml', '[domain]\ndomain = "warn.test"\n[[records]]\ntype = "NS"\naddress = "ns.warn.test."\n[[records]]\ndomain = "ns"\naddress = "192.0.2.53"\n[[records]]\ntype = "MX"\naddress = "alias.warn.test."\n[[records]]\ndomain = "alias"\ntype = "CNAME"\naddress = "warn.test."\n');
      const r = check(dir.path);
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`${dir.path}/bad\\.test\\.toml:6: record 1: preference: "ten" is not a whole number from 0 to 65535; write e\\.g\\. preference = 10`));
      // The same verdict as the server: one file per zone, the first in sorted order keeps it.
      assert.match(r.stdout, /\/good\.test\.toml: zone good\.test\. is already served from GOOD\.test\.toml; remove one of the two files/);
      assert.match(r.stdout, /warn\.test\.toml: ok \(warn\.test\., \d+ records\)\nwarning: .*warn\.test\.toml:\d+: record 3: .*CNAME/);
      assert.match(r.stdout, /4 files checked: 2 with problems\n$/);
    } finally {
      dir.cleanup();
    }
  });

  it('rejects a file that is not UTF-8, naming the line, as the server does', () => {
    const dir = new ZoneDir();
    try {
      dir.write('latin.test.toml', Buffer.concat([Buffer.from('[domain]\ndomain = "latin.test"\n[[records]]\ntype = "TXT"\naddress = "b'), Buffer.from([0xfc]), Buffer.from('cher"\n')]));
      const r = check(dir.path);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, /\/latin\.test\.toml:5: not UTF-8: bytes that are no character/);
    } finally {
      dir.cleanup();
    }
  });

  it('--format json: one object for CI, problems with their fields', () => {
    const dir = new ZoneDir();
    try {
      const bad = dir.write('bad.test.toml', BAD);
      const good = dir.write('good.test.toml', GOOD);
      const r = check('--format', 'json', bad, good);
      assert.equal(r.status, 1);
      const out = JSON.parse(r.stdout) as { ok: boolean; files: { origin: string; accepted: boolean; problems: { line: number; record: number; field: string }[] }[] };
      assert.equal(out.ok, false);
      assert.deepEqual(out.files.map((f) => [f.origin, f.accepted]), [[bad, false], [good, true]]);
      assert.deepEqual(out.files[0].problems.map((p) => [p.line, p.record, p.field]), [[6, 1, 'preference']]);
    } finally {
      dir.cleanup();
    }
  });

  it('says what is wrong with its own arguments, exit 2', () => {
    assert.equal(check('--format', 'yaml').status, 2);
    assert.match(check('--format', 'yaml').stdout, /--format "yaml": must be text or json/);
    const missing = check('/nonexistent/zones');
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /\/nonexistent\/zones: cannot read: ENOENT/);
  });
});

describe('eclipso check on a bucket and a table: read as the server reads them (s3rver, dynalite)', () => {
  const BUCKET = 'check-zones';
  const TABLE = 'check-zones';
  const s3 = new S3Server([BUCKET]);
  const db = new Dynalite();

  before(async () => {
    await Promise.all([s3.start(), db.start()]);
    await s3.put(BUCKET, 'dns/good.test.toml', GOOD);
    await s3.put(BUCKET, 'dns/bad.test.toml', BAD);
    // Not a zone file, and in a deeper folder: skipped, as the server skips them.
    await s3.put(BUCKET, 'dns/README.md', 'not a zone');
    await s3.put(BUCKET, 'dns/old/good.test.toml', GOOD);
    await db.createZoneTable(TABLE);
    const store = await createDynamoZoneStore(`dynamodb://${TABLE}`, db.env());
    await store.put('good.test', GOOD, 'absent');
  });
  after(async () => {
    await Promise.all([s3.cleanup(), db.cleanup()]);
  });

  it('s3://bucket/prefix/: every <domain>.toml object checked, problems named by object URL, exit 1', () => {
    const r = checkWith(s3.env(), `s3://${BUCKET}/dns/`);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`s3://${BUCKET}/dns/bad\\.test\\.toml:6: record 1: preference: "ten" is not a whole number`));
    assert.match(r.stdout, new RegExp(`s3://${BUCKET}/dns/good\\.test\\.toml: ok \\(good\\.test\\., \\d+ records\\)`));
    assert.match(r.stdout, /2 files checked: 1 with problems\n$/);
  });

  it('ZONE_DIR=dynamodb://table with no argument: the table\'s zones checked, exit 0', () => {
    const r = checkWith({ ...db.env(), ZONE_DIR: `dynamodb://${TABLE}` });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`dynamodb://${TABLE}/good\\.test: ok \\(good\\.test\\., \\d+ records\\)`));
    assert.match(r.stdout, /1 file checked: all good\n$/);
  });

  it('a bucket that cannot be listed is a problem of its own, exit 1; a bad URL is a bad argument, exit 2', () => {
    const missing = checkWith(s3.env(), 's3://no-such-bucket/');
    assert.equal(missing.status, 1, missing.stdout + missing.stderr);
    assert.match(missing.stdout, /s3:\/\/no-such-bucket\/: cannot list: /);
    const bad = checkWith(s3.env(), 's3://');
    assert.equal(bad.status, 2, bad.stdout + bad.stderr);
  });
});
