import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { query } from '../helpers/dns.js';
import { S3Server } from '../helpers/s3rver.js';
import { spawnServer, startServer, WAIT_MS, type ServerProcess } from '../helpers/server.js';
import { ThrottleProxy } from '../helpers/throttle-proxy.js';

const BUCKET = 'zones';
const BIG_BUCKET = 'many-zones';
const PREFIX = 'dns/';

/** A zone with one A record at www; `address` "broken" makes a file the parser rejects. */
function zone(domain: string, address: string): string {
  return `version = 1.0\n\n[domain]\ndomain = "${domain}"\n\n[[records]]\ndomain = "www"\ntype = "A"\naddress = "${address}"\n`;
}

/** What www.<domain> A answers: the address, or the rcode when there is none. */
async function www(port: number, domain: string): Promise<string> {
  const r = await query(port, `www.${domain}`, 'A');
  const a = (r.answers ?? []).find((x) => x.type === 'A');
  return a ? String((a as { data: unknown }).data) : (r.rcode ?? 'no answer');
}

/** Polls until www.<domain> answers `want`; S3 sync runs every second in these tests. */
async function eventually(port: number, domain: string, want: string, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  let got = '';
  while (Date.now() < end) {
    got = await www(port, domain);
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`www.${domain} A: wanted ${want} within ${ms} ms, still ${got}`);
}

function loaded(server: ServerProcess, domain: string): number {
  return server.logs.filter((l) => l.msg === 'zone loaded' && l.zone === `${domain}.`).length;
}

// No suite-wide timeout: each wait has its own deadline, and says what it waited for.
describe('S3 source against s3rver', () => {
  const s3 = new S3Server([BUCKET, BIG_BUCKET]);
  const cache = mkdtempSync(join(tmpdir(), 'eclipso-cache-'));
  const servers: ServerProcess[] = [];
  const start = async (zoneDir: string, env: Record<string, string> = {}): Promise<ServerProcess> => {
    const server = await startServer(zoneDir, { env: { ...s3.env(), S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0', ...env } });
    servers.push(server);
    return server;
  };

  /**
   * Runs `test` with a snapshot folder and a proxy to s3rver (which sees, and can deny, every
   * request) of its own; the servers it started stop before the folder goes (they write there).
   */
  const withSnapshotAndProxy = async (test: (snapshot: string, proxy: ThrottleProxy) => Promise<void>): Promise<void> => {
    const snapshot = mkdtempSync(join(tmpdir(), 'eclipso-snapshot-'));
    const proxy = new ThrottleProxy(() => s3.port);
    await proxy.start();
    const before = servers.length;
    try {
      await test(snapshot, proxy);
    } finally {
      await Promise.all(servers.slice(before).map((s) => s.stop()));
      await proxy.stop();
      rmSync(snapshot, { recursive: true, force: true });
    }
  };

  before(async () => {
    await s3.start();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await s3.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });

  it('loads at start, then follows added, changed, broken and deleted objects', async () => {
    await s3.put(BUCKET, `${PREFIX}alpha.test.toml`, zone('alpha.test', '192.0.2.1'));
    await s3.put(BUCKET, 'outside-the-prefix.test.toml', zone('outside-the-prefix.test', '192.0.2.9'));
    const server = await start(`s3://${BUCKET}/${PREFIX}`, { ZONE_CACHE_DIR: cache });
    assert.equal(await www(server.port, 'alpha.test'), '192.0.2.1');
    assert.equal(await www(server.port, 'outside-the-prefix.test'), 'REFUSED');

    await s3.put(BUCKET, `${PREFIX}beta.test.toml`, zone('beta.test', '192.0.2.2'));
    await eventually(server.port, 'beta.test', '192.0.2.2');

    await s3.put(BUCKET, `${PREFIX}alpha.test.toml`, zone('alpha.test', '192.0.2.11'));
    await eventually(server.port, 'alpha.test', '192.0.2.11');
    // Only the changed object was rebuilt: beta was loaded once, however many syncs ran.
    assert.equal(loaded(server, 'beta.test'), 1);
    assert.equal(loaded(server, 'alpha.test'), 2);

    await s3.put(BUCKET, `${PREFIX}alpha.test.toml`, zone('alpha.test', 'broken'));
    const rejected = await server.waitFor((l) => l.msg.includes('record 1') && String(l.file).endsWith(`${PREFIX}alpha.test.toml`));
    assert.match(String(rejected.file), /^s3:\/\/zones\/dns\/alpha\.test\.toml$/);
    assert.equal(await www(server.port, 'alpha.test'), '192.0.2.11', 'the last good version stays in service');
    assert.match(readFileSync(join(cache, 'alpha.test.toml'), 'utf8'), /192\.0\.2\.11/, 'a broken object never reaches the snapshot');

    await s3.delete(BUCKET, `${PREFIX}beta.test.toml`);
    await eventually(server.port, 'beta.test', 'REFUSED');
    assert.equal(await www(server.port, 'alpha.test'), '192.0.2.11');
    // The snapshot holds the last good objects only.
    await server.waitFor((l) => l.msg === 'S3 sync' && l.removed === 1);
    assert.deepEqual(readdirSync(cache).filter((f) => f.endsWith('.toml')), ['alpha.test.toml']);

    // A fixed object is picked up again.
    await s3.put(BUCKET, `${PREFIX}alpha.test.toml`, zone('alpha.test', '192.0.2.12'));
    await eventually(server.port, 'alpha.test', '192.0.2.12');
  });

  it('keeps answering while S3 is down, and catches up when it is back', async () => {
    await s3.put(BUCKET, `${PREFIX}gamma.test.toml`, zone('gamma.test', '192.0.2.3'));
    const server = await start(`s3://${BUCKET}/${PREFIX}`);
    assert.equal(await www(server.port, 'gamma.test'), '192.0.2.3');

    await s3.stop();
    await server.waitFor((l) => l.msg.startsWith('S3 sync failed'));
    assert.equal(await www(server.port, 'gamma.test'), '192.0.2.3', 'a failed list drops nothing');
    assert.equal(await www(server.port, 'alpha.test'), '192.0.2.12');
    assert.equal(server.exitCode, null);
    assert.equal(server.logs.filter((l) => l.msg === 'zone removed').length, 0);

    await s3.start();
    await s3.put(BUCKET, `${PREFIX}gamma.test.toml`, zone('gamma.test', '192.0.2.33'));
    await eventually(server.port, 'gamma.test', '192.0.2.33');
    await server.waitFor((l) => l.msg === 'S3 answers again; zones are in sync');
    await s3.delete(BUCKET, `${PREFIX}gamma.test.toml`);
  });

  it('starts from the snapshot while S3 is down, then syncs when it returns', async () => {
    await s3.stop();
    const server = await start(`s3://${BUCKET}/${PREFIX}`, { ZONE_CACHE_DIR: cache });
    await server.waitFor((l) => l.msg === 'serving zones from the local snapshot until S3 answers');
    assert.equal(await www(server.port, 'alpha.test'), '192.0.2.12');
    assert.equal(await www(server.port, 'beta.test'), 'REFUSED');

    await s3.start();
    await s3.put(BUCKET, `${PREFIX}alpha.test.toml`, zone('alpha.test', '192.0.2.13'));
    await eventually(server.port, 'alpha.test', '192.0.2.13');
  });

  it('a restart with the snapshot fetches only the objects that changed since, and serves the others with the same serial', () => withSnapshotAndProxy(async (snapshot, proxy) => {
    const prefix = 'restart/';
    for (const [n, address] of [['r1', '192.0.2.1'], ['r2', '192.0.2.2'], ['r3', '192.0.2.3'], ['r5', '192.0.2.5']]) await s3.put(BUCKET, `${prefix}${n}.test.toml`, zone(`${n}.test`, address));
    const first = await start(`s3://${BUCKET}/${prefix}`, { ZONE_CACHE_DIR: snapshot });
    const written = await first.waitFor((l) => l.msg === 'wrote the first load\'s zones to the snapshot');
    assert.equal(written.files, 4);
    const serial = async (port: number, domain: string): Promise<number> =>
      ((await query(port, domain, 'SOA')).answers?.find((a) => a.type === 'SOA') as { data: { serial: number } }).data.serial;
    const r1Serial = await serial(first.port, 'r1.test');
    await first.stop();

    // A snapshot file changed since it was written (by hand, or damaged) is not taken for its object.
    writeFileSync(join(snapshot, 'r3.test.toml'), zone('r3.test', '192.0.2.99'));
    await s3.put(BUCKET, `${prefix}r2.test.toml`, zone('r2.test', '192.0.2.22'));
    await s3.put(BUCKET, `${prefix}r4.test.toml`, zone('r4.test', '192.0.2.4'));
    await s3.delete(BUCKET, `${prefix}r5.test.toml`);
    // The restarted server reaches s3rver through the proxy, which sees every request it makes.
    const restarted = await start(`s3://${BUCKET}/${prefix}`, { ZONE_CACHE_DIR: snapshot, AWS_ENDPOINT_URL: proxy.endpoint });
    const sync = await restarted.waitFor((l) => l.msg === 'S3 sync', WAIT_MS, 'the first sync\'s log line');
    const objectGets = proxy.calls.filter((c) => c.method === 'GET' && !c.path.includes('list-type')).map((c) => c.path.split('?')[0]).sort();
    assert.deepEqual(objectGets, [`/${BUCKET}/${prefix}r2.test.toml`, `/${BUCKET}/${prefix}r3.test.toml`, `/${BUCKET}/${prefix}r4.test.toml`],
      'only the changed object, the new one and the one whose snapshot file changed are fetched');
    assert.equal(await www(restarted.port, 'r1.test'), '192.0.2.1');
    assert.equal(await serial(restarted.port, 'r1.test'), r1Serial, 'the same serial: from the object\'s LastModified, kept in the snapshot');
    assert.equal(await www(restarted.port, 'r2.test'), '192.0.2.22');
    assert.equal(await www(restarted.port, 'r3.test'), '192.0.2.3', 'the object\'s data, not the changed snapshot file\'s');
    assert.equal(await www(restarted.port, 'r4.test'), '192.0.2.4');
    assert.equal(await www(restarted.port, 'r5.test'), 'REFUSED');
    assert.deepEqual([sync.listed, sync.fetched, sync.reused], [4, 3, 1]);
  }));

  it('an object that cannot be read keeps no other zone out of the snapshot, and keeps its own snapshot file', () => withSnapshotAndProxy(async (snapshot, proxy) => {
    const prefix = 'denied/';
    for (const n of ['d1', 'd2', 'd3']) await s3.put(BUCKET, `${prefix}${n}.test.toml`, zone(`${n}.test`, '192.0.2.30'));
    // The last good version of d3, from an earlier run: it stays while its object cannot be read.
    writeFileSync(join(snapshot, 'd3.test.toml'), zone('d3.test', '192.0.2.33'));
    proxy.denied.add(`/${BUCKET}/${prefix}d3.test.toml`);
    const server = await start(`s3://${BUCKET}/${prefix}`, { ZONE_CACHE_DIR: snapshot, AWS_ENDPOINT_URL: proxy.endpoint });
    const written = await server.waitFor((l) => l.msg === 'wrote the first load\'s zones to the snapshot', WAIT_MS, 'the snapshot written though one object failed');
    assert.equal(written.files, 2);
    assert.deepEqual(readdirSync(snapshot).filter((f) => f.endsWith('.toml')).sort(), ['d1.test.toml', 'd2.test.toml', 'd3.test.toml']);
    assert.match(readFileSync(join(snapshot, 'd3.test.toml'), 'utf8'), /192\.0\.2\.33/);
  }));

  it('takes an object of 64 KiB and more as a small one: served, kept in the snapshot, and served from it through the compiled cache while S3 is down; one not UTF-8 is rejected naming its line', () => withSnapshotAndProxy(async (snapshot) => {
    const prefix = 'large/';
    // Past the size from which the octets are handed to a compile thread and decoded there (src/sources/source.ts).
    const hosts = Array.from({ length: 2000 }, (_, i) => `[[records]]\ndomain = "host-${i}"\ntype = "A"\naddress = "198.51.100.${i % 250 + 1}"\n`);
    const large = `${zone('large.test', '192.0.2.40')}\n${hosts.join('\n')}`;
    // Line 3 holds 0xFC, a Latin-1 ü.
    const latin = Buffer.concat([Buffer.from(`version = 1.0\n# ${'x'.repeat(70_000)}\n[domain] # `), Buffer.from([0xfc]), Buffer.from('\ndomain = "latin.test"\n')]);
    await s3.put(BUCKET, `${prefix}large.test.toml`, large);
    await s3.put(BUCKET, `${prefix}latin.test.toml`, latin);
    const first = await start(`s3://${BUCKET}/${prefix}`, { ZONE_CACHE_DIR: snapshot });
    const rejected = await first.waitFor((l) => l.level === 'error' && /latin\.test\.toml:3: not UTF-8/.test(l.msg), WAIT_MS, 'the object that is not UTF-8 rejected');
    assert.match(String(rejected.file), /^s3:\/\/zones\/large\/latin\.test\.toml$/);
    assert.equal(await www(first.port, 'large.test'), '192.0.2.40');
    const last = (await query(first.port, 'host-1999.large.test', 'A')).answers?.find((a) => a.type === 'A') as { data: string } | undefined;
    assert.equal(last?.data, '198.51.100.250', 'the large zone\'s last record served');
    assert.equal(await www(first.port, 'latin.test'), 'REFUSED');
    await first.waitFor((l) => l.msg === 'wrote the first load\'s zones to the snapshot', WAIT_MS, 'the snapshot written');
    await first.waitFor((l) => l.msg === 'wrote the first load\'s compiled zones to the cache', WAIT_MS, 'the compiled zones written');
    assert.deepEqual(readFileSync(join(snapshot, 'large.test.toml')), Buffer.from(large), 'the snapshot keeps the object\'s octets');
    assert.deepEqual(readdirSync(snapshot).filter((f) => f.endsWith('.toml')), ['large.test.toml'], 'a rejected object is never kept');
    await first.stop();

    await s3.stop();
    try {
      const restarted = await start(`s3://${BUCKET}/${prefix}`, { ZONE_CACHE_DIR: snapshot });
      await restarted.waitFor((l) => l.msg === 'serving zones from the local snapshot until S3 answers', WAIT_MS, 'the snapshot served while S3 is down');
      assert.equal(await www(restarted.port, 'large.test'), '192.0.2.40');
      const loadedLine = restarted.logs.find((l) => l.msg === 'zone loaded' && l.zone === 'large.test.');
      assert.deepEqual([loadedLine?.file, loadedLine?.cached], [`s3://${BUCKET}/${prefix}large.test.toml`, true], 'named by its object, and read from the compiled cache, not compiled again');
    } finally {
      await s3.start();
    }
  }));

  it('lists more than 1,000 objects (pagination)', async () => {
    const names = Array.from({ length: 1200 }, (_, i) => `z${String(i).padStart(4, '0')}.test`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n, j) => s3.put(BIG_BUCKET, `${n}.toml`, zone(n, `198.51.100.${(i + j) % 250 + 1}`))));
    }
    const server = await start(`s3://${BIG_BUCKET}`, { ECLIPSO_LOG_IGNORE: '1' });
    const ready = await server.waitFor((l) => l.msg === 'zones ready');
    assert.equal(ready.zones, 1200);
    assert.equal(await www(server.port, 'z0000.test'), '198.51.100.1');
    assert.equal(await www(server.port, 'z1199.test'), `198.51.100.${1199 % 250 + 1}`);
  });

  it('fetches many objects at once, sync after sync, without piling listeners on one abort signal', async () => {
    // 40 objects fetched at once (48 at a time), more than Node's 10 listeners per AbortSignal
    // before it warns (MaxListenersExceededWarning: 11 abort listeners).
    const burst = 'burst/';
    const names = Array.from({ length: 40 }, (_, i) => `b${i}.test`);
    const putAll = (round: number): Promise<void[]> => Promise.all(names.map((n, i) => s3.put(BUCKET, `${burst}${n}.toml`, zone(n, `192.0.2.${round * 50 + i + 1}`))));
    const loads = (server: ServerProcess): number => server.logs.filter((l) => l.msg === 'zone loaded').length;
    await putAll(0);
    const server = await start(`s3://${BUCKET}/${burst}`);
    assert.equal(loads(server), 40);
    for (const round of [1, 2, 3]) {
      await putAll(round);
      await server.waitFor(() => loads(server) >= 40 * (round + 1), WAIT_MS, `${40 * (round + 1)} "zone loaded" lines (round ${round} of changed objects)`);
      assert.equal(await www(server.port, 'b39.test'), `192.0.2.${round * 50 + 40}`);
    }
    assert.doesNotMatch(server.stderr, /MaxListenersExceededWarning/);
    assert.equal(server.exitCode, null);
  });

  it('refuses a malformed s3:// URL or half-set credentials at start (exit 2)', async () => {
    for (const [zoneDir, env] of [
      ['s3://', {}],
      ['s3://Not_A_Bucket', {}],
      [`s3://${BUCKET}`, { AWS_ACCESS_KEY: 'x', AWS_SECRET_ACCESS_KEY: '' }],
      [`s3://${BUCKET}`, { S3_SYNC_RETRY: 'soon' }],
    ] as const) {
      const server = spawnServer(zoneDir, { env: { ...s3.env(), ...env } });
      assert.equal(await server.exited, 2, `${zoneDir} ${JSON.stringify(env)}`);
      assert.match(server.logs.map((l) => l.msg).join('\n'), /ZONE_DIR|AWS_SECRET_ACCESS_KEY|S3_SYNC_RETRY/);
    }
  });
});
