import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, dig, digStatus, startApiServer } from '../helpers/api.js';
import { S3Server } from '../helpers/s3rver.js';
import { pollUntil, startServer, type ServerProcess } from '../helpers/server.js';

const BUCKET = 'api-zones';
const TOKEN = 'an-api-token-for-s3';

const zone = (address: string): string =>
  `version = 1.0\n\n[domain]\ndomain = "s3.test"\n\n[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns1.s3.test."\n\n[[records]]\ndomain = "ns1"\ntype = "A"\naddress = "192.0.2.53"\n\n[[records]]\ndomain = "www"\ntype = "A"\naddress = "${address}"\n`;

describe('HTTP zone API on an S3 bucket (s3rver): written through, served here at once, by other replicas at their next sync', () => {
  const s3 = new S3Server([BUCKET]);
  const servers: ServerProcess[] = [];
  let api: ApiClient;
  let writer: ServerProcess;
  let replica: ServerProcess;

  before(async () => {
    await s3.start();
    const env = { ...s3.env(), S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0' };
    // Debug lines: every S3 sync is logged, with what it fetched.
    const started = await startApiServer(`s3://${BUCKET}/dns/`, { env: { ...env, API_TOKEN: TOKEN, ECLIPSO_LOG_DEBUG: '1' } });
    writer = started.server;
    servers.push(writer);
    replica = await startServer(`s3://${BUCKET}/dns/`, { env });
    servers.push(replica);
    api = new ApiClient(`http://127.0.0.1:${started.api}/api/v1`);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await s3.cleanup();
  });

  it('PUT creates the object; this server answers at once, the other replica after its sync', async () => {
    const r = await api.call('PUT', '/zones/s3.test', { token: TOKEN, toml: zone('192.0.2.1'), headers: { 'if-none-match': '*' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.change.status, 'INSYNC');
    assert.deepEqual(dig(writer.port, 'www.s3.test', 'A'), ['www.s3.test. 3600 IN A 192.0.2.1']);
    await pollUntil(() => dig(replica.port, 'www.s3.test', 'A').length === 1, 'the replica to load s3.test from the bucket');
    const got = await api.call('GET', '/zones/s3.test', { token: TOKEN, headers: { accept: 'application/toml' } });
    assert.equal(got.body, zone('192.0.2.1'), 'the object holds the text sent');
  });

  it('PATCH is written through and the replica converges; the S3 sync reading it back does not load it again', async () => {
    const from = writer.logs.length;
    const r = await api.call('PATCH', '/zones/s3.test', { token: TOKEN, json: { rrsets: [{ name: 'www.s3.test.', type: 'A', ttl: 120, changetype: 'REPLACE', records: [{ content: '192.0.2.2' }] }] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(dig(writer.port, 'www.s3.test', 'A'), ['www.s3.test. 120 IN A 192.0.2.2']);
    await pollUntil(() => dig(replica.port, 'www.s3.test', 'A').join() === 'www.s3.test. 120 IN A 192.0.2.2', 'the replica to serve the PATCH');
    // The writer's next sync fetches the new object: the text it serves already, so no second load (and no serial change).
    await writer.waitFor((l) => l.msg === 'S3 sync' && Number(l.fetched) >= 1 && writer.logs.indexOf(l) > from, undefined, 'a sync of the writer fetching the patched object');
    const loads = writer.logs.filter((l) => l.msg === 'zone loaded' && l.zone === 's3.test.').length;
    assert.equal(loads, 2, 'one load per API write');
  });

  it('two writers with the same If-Match at once: exactly one wins (s3rver ignores If-Match: the store\'s per-zone order decides)', async () => {
    const etag = (await api.call('GET', '/zones/s3.test', { token: TOKEN })).headers.get('etag')!;
    const write = (address: string) => api.call('PATCH', '/zones/s3.test', {
      token: TOKEN, headers: { 'if-match': etag },
      json: { rrsets: [{ name: 'race.s3.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: address }] }] },
    });
    const results = await Promise.all([write('192.0.2.101'), write('192.0.2.102')]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 412]);
  });

  it('a zone in an object the API does not address (Mixed.S3.toml, Bücher.S3.toml: both rejected, so served by no one): PUT answers 409 with what to rename, nothing is written', async () => {
    const broken = (domain: string): string => `[domain]\ndomain = "${domain}"\n\n[[records]]\ndomain = "www"\naddress = "not an address"\n`;
    const cases = [
      { key: 'Mixed.S3.toml', zone: 'mixed.s3' },
      { key: 'Bücher.S3.toml', zone: 'xn--bcher-kva.s3' },
    ];
    for (const c of cases) {
      await s3.put(BUCKET, `dns/${c.key}`, broken(c.zone));
      await writer.waitFor((l) => String(l.file ?? '').endsWith(`/dns/${c.key}`) && l.level === 'error', undefined, `the writer's sync to reject ${c.key}`);
      const r = await api.call('PUT', `/zones/${c.zone}`, { token: TOKEN, toml: broken(c.zone).replace('not an address', '192.0.2.9') });
      assert.equal(r.status, 409, `${c.key}: ${JSON.stringify(r.body)}`);
      assert.ok(r.body.error.includes(`is in ${c.key}, `) && r.body.error.includes(`rename the file to ${c.zone}.toml`), r.body.error);
      const keys = await s3.keys(BUCKET);
      assert.ok(keys.includes(`dns/${c.key}`) && !keys.includes(`dns/${c.zone}.toml`), `a second object for the zone: ${keys.join(', ')}`);
      await s3.delete(BUCKET, `dns/${c.key}`);
    }
  });

  it('DELETE removes the object: both servers stop serving the zone', async () => {
    const r = await api.call('DELETE', '/zones/s3.test', { token: TOKEN });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(digStatus(writer.port, 'www.s3.test', 'A'), 'REFUSED');
    await pollUntil(() => digStatus(replica.port, 'www.s3.test', 'A') === 'REFUSED', 'the replica to drop s3.test');
    assert.equal((await api.call('GET', '/zones', { token: TOKEN })).body.zones.length, 0);
  });
});
