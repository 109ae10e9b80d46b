import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, dig, digStatus, startApiServer } from '../helpers/api.js';
import { Dynalite } from '../helpers/dynalite.js';
import { pollUntil, startServer, type ServerProcess } from '../helpers/server.js';

const TABLE = 'api-zones';
const TOKEN = 'an-api-token-for-dynamodb';

const zone = (address: string): string =>
  `version = 1.0\n\n[domain]\ndomain = "ddb.test"\n\n[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns1.ddb.test."\n\n[[records]]\ndomain = "ns1"\ntype = "A"\naddress = "192.0.2.53"\n\n[[records]]\ndomain = "www"\ntype = "A"\naddress = "${address}"\n`;

describe('HTTP zone API on a DynamoDB table (dynalite): conditional writes, served here at once, by other replicas at their next sync', () => {
  const db = new Dynalite();
  const servers: ServerProcess[] = [];
  let api: ApiClient;
  let writer: ServerProcess;
  let replica: ServerProcess;

  before(async () => {
    await db.start();
    await db.createZoneTable(TABLE);
    const env = { ...db.env(), S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0' };
    const started = await startApiServer(`dynamodb://${TABLE}`, { env: { ...env, API_TOKEN: TOKEN } });
    writer = started.server;
    servers.push(writer);
    replica = await startServer(`dynamodb://${TABLE}`, { env });
    servers.push(replica);
    api = new ApiClient(`http://127.0.0.1:${started.api}/api/v1`);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db.cleanup();
  });

  it('PUT creates the zone in the table; this server answers at once, the other replica after its sync', async () => {
    const r = await api.call('PUT', '/zones/ddb.test', { token: TOKEN, toml: zone('192.0.2.1'), headers: { 'if-none-match': '*' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.change.status, 'INSYNC');
    assert.deepEqual(dig(writer.port, 'www.ddb.test', 'A'), ['www.ddb.test. 3600 IN A 192.0.2.1']);
    await pollUntil(() => dig(replica.port, 'www.ddb.test', 'A').length === 1, 'the replica to load ddb.test from the table');
    const again = await api.call('PUT', '/zones/ddb.test', { token: TOKEN, toml: zone('192.0.2.9'), headers: { 'if-none-match': '*' } });
    assert.equal(again.status, 412, 'If-None-Match: * on a zone the table holds');
  });

  it('PATCH is written through and the replica converges', async () => {
    const r = await api.call('PATCH', '/zones/ddb.test', { token: TOKEN, json: { rrsets: [{ name: 'www.ddb.test.', type: 'A', ttl: 120, changetype: 'REPLACE', records: [{ content: '192.0.2.2' }] }] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(dig(writer.port, 'www.ddb.test', 'A'), ['www.ddb.test. 120 IN A 192.0.2.2']);
    await pollUntil(() => dig(replica.port, 'www.ddb.test', 'A').join() === 'www.ddb.test. 120 IN A 192.0.2.2', 'the replica to serve the PATCH');
  });

  it('two writers with the same If-Match at once: exactly one wins, the other gets 412', async () => {
    const etag = (await api.call('GET', '/zones/ddb.test', { token: TOKEN })).headers.get('etag')!;
    const write = (address: string) => api.call('PATCH', '/zones/ddb.test', {
      token: TOKEN, headers: { 'if-match': etag },
      json: { rrsets: [{ name: 'race.ddb.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: address }] }] },
    });
    const results = await Promise.all([write('192.0.2.101'), write('192.0.2.102')]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 412]);
  });

  it('DELETE removes the zone: both servers stop serving it', async () => {
    const r = await api.call('DELETE', '/zones/ddb.test', { token: TOKEN });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(digStatus(writer.port, 'www.ddb.test', 'A'), 'REFUSED');
    await pollUntil(() => digStatus(replica.port, 'www.ddb.test', 'A') === 'REFUSED', 'the replica to drop ddb.test');
    assert.equal((await api.call('GET', '/zones', { token: TOKEN })).body.zones.length, 0);
  });
});
