import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDynamoZoneStore } from '../../src/sources/dynamodb.js';
import { StoreConflict, type ZoneStore } from '../../src/sources/zone-store.js';
import { answerData, untilAnswer } from '../helpers/answers.js';
import { Dynalite } from '../helpers/dynalite.js';
import { pollUntil, startServer, type ServerProcess } from '../helpers/server.js';
import { ThrottleProxy } from '../helpers/throttle-proxy.js';

const TABLE = 'eclipso-zones';

function zone(domain: string, address: string, extra = ''): string {
  return `version = 1.0\n\n[domain]\ndomain = "${domain}"\n\n[defaults]\nttl = 300\n\n[[records]]\ndomain = "www"\ntype = "A"\naddress = "${address}"\n${extra}`;
}

describe('DynamoDB engine (ZONE_DIR=dynamodb://table) against dynalite', () => {
  const db = new Dynalite();
  const cache = mkdtempSync(join(tmpdir(), 'eclipso-dynamo-cache-'));
  /** The server under test reaches dynalite through it, so that a test can throttle it. */
  const proxy = new ThrottleProxy(() => db.port);
  let store: ZoneStore;
  let server: ServerProcess;
  let restarted: ServerProcess | undefined;

  before(async () => {
    await db.start();
    await proxy.start();
    await db.createZoneTable(TABLE);
    store = await createDynamoZoneStore(`dynamodb://${TABLE}`, db.env());
  });
  after(async () => {
    await server?.stop();
    await restarted?.stop();
    await proxy.stop();
    await db.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });

  it('loads every zone at start, then follows added, changed and deleted zones', async () => {
    const alpha = await store.put('alpha.test', zone('alpha.test', '192.0.2.1'), 'absent');
    await store.put('beta.test', zone('beta.test', '192.0.2.2'), 'absent');
    server = await startServer(`dynamodb://${TABLE}`, { env: { ...db.env(), AWS_ENDPOINT_URL: proxy.endpoint, S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0', ZONE_CACHE_DIR: cache } });
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.1');
    assert.equal(await answerData(server.port, 'www.beta.test'), '192.0.2.2');

    await store.put('gamma.test', zone('gamma.test', '192.0.2.3'), 'absent');
    await untilAnswer(server.port, 'www.gamma.test', '192.0.2.3');

    const changed = await store.put('alpha.test', zone('alpha.test', '192.0.2.11', '\n[[records]]\ndomain = "mail"\naddress = "192.0.2.25"\n'), alpha);
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.11');
    assert.equal(await answerData(server.port, 'mail.alpha.test'), '192.0.2.25');
    assert.equal(await answerData(server.port, 'www.beta.test'), '192.0.2.2');
    assert.equal(server.logs.filter((l) => l.msg === 'zone loaded' && l.zone === 'beta.test.').length, 1, 'an unchanged zone is not rebuilt');

    // Fewer records than before: the old generation's items do not come back.
    await store.put('alpha.test', zone('alpha.test', '192.0.2.12'), changed);
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.12');
    assert.equal(await answerData(server.port, 'mail.alpha.test'), 'NXDOMAIN');

    await store.delete('beta.test', 'any');
    await untilAnswer(server.port, 'www.beta.test', 'REFUSED');

    // The repository's fuller example (empty names, maps, every record type) goes through too.
    await store.put('example.com', readFileSync(new URL('../../../zones/example.com.toml', import.meta.url), 'utf8'), 'absent');
    await untilAnswer(server.port, 'example.com', '192.0.2.1');
    await store.delete('example.com', 'any');
  });

  it('writes through the ZoneStore are conditional (ConditionExpression on the zone item\'s revision)', async () => {
    const now = await store.get('gamma.test');
    assert.ok(now);
    assert.match(now.text, /192\.0\.2\.3/);
    await assert.rejects(store.put('gamma.test', zone('gamma.test', '192.0.2.9'), 'absent'), StoreConflict);
    const next = await store.put('gamma.test', zone('gamma.test', '192.0.2.33'), { version: now.version });
    assert.equal(next.text, (await store.get('gamma.test'))?.text, 'a write gives back the text a read will');
    await assert.rejects(store.put('gamma.test', zone('gamma.test', '192.0.2.99'), { version: now.version }), StoreConflict, 'a stale version is refused');
    await assert.rejects(store.delete('gamma.test', { version: now.version }), StoreConflict);
    assert.equal((await store.get('gamma.test'))?.version, next.version);
    assert.deepEqual(await store.list(), ['alpha.test', 'gamma.test']);
    await untilAnswer(server.port, 'www.gamma.test', '192.0.2.33');
  });

  it('reads a zone larger than one 1 MB Query page and than a 400 KB item', async () => {
    const pad = 'x'.repeat(240);
    let extra = '';
    for (let i = 0; i < 5000; i++) extra += `\n[[records]]\ndomain = "t${i}"\ntype = "TXT"\naddress = "${i} ${pad}"\n`;
    await store.put('big.test', zone('big.test', '192.0.2.50', extra), 'absent');
    const first = await db.client().send(new QueryCommand({
      TableName: TABLE, KeyConditionExpression: '#z = :z', ExpressionAttributeNames: { '#z': 'zone' }, ExpressionAttributeValues: { ':z': { S: 'big.test' } },
    }));
    assert.ok(first.LastEvaluatedKey && (first.Items?.length ?? 0) < 5001, 'the zone takes more than one Query page');
    await untilAnswer(server.port, 't4999.big.test', `4999 ${pad}`, 'TXT');
    assert.equal(await answerData(server.port, 't0.big.test', 'TXT'), `0 ${pad}`);
  });

  it('each sync scans the zone index (one entry per zone), never the record items', async () => {
    const from = proxy.calls.length;
    const scans = (): typeof proxy.calls => proxy.calls.slice(from).filter((c) => c.target === 'DynamoDB_20120810.Scan');
    await pollUntil(() => scans().length >= 2, 'two periodic syncs (Scan requests) through the proxy');
    const zones = (await store.list()).length;
    for (const scan of scans()) {
      assert.equal(scan.request.IndexName, 'zone-index', 'the sync scans the zone index, not the table');
      // big.test alone holds 5,000 record items: a Scan of the table would read them all.
      assert.equal(scan.answer?.ScannedCount, zones, `a sync reads the ${zones} zone items only`);
    }
  });

  it('keeps answering while DynamoDB throttles, backing off, and catches up after', async () => {
    const from = server.logs.length;
    proxy.throttling = true;
    await store.put('alpha.test', zone('alpha.test', '192.0.2.13'), { version: (await store.get('alpha.test'))!.version });
    await server.waitFor((l) => server.logs.indexOf(l) >= from && l.msg === 'DynamoDB sync failed; the loaded zones stay in service'
      && String(l.error).includes('ProvisionedThroughputExceededException'));
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.12', 'a throttled sync drops nothing and changes nothing');
    proxy.throttling = false;
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.13');
    await server.waitFor((l) => server.logs.indexOf(l) >= from && l.msg === 'DynamoDB answers again; zones are in sync');
    await store.put('alpha.test', zone('alpha.test', '192.0.2.12'), { version: (await store.get('alpha.test'))!.version });
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.12');
  });

  it('keeps answering while DynamoDB is down, and catches up when it is back', async () => {
    await db.stop();
    await server.waitFor((l) => l.msg === 'DynamoDB sync failed; the loaded zones stay in service');
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.12', 'a failed sync drops nothing');
    assert.equal(server.exitCode, null);

    // A server that starts meanwhile serves the last good zones from its snapshot (a copy of the first one's).
    const copy = `${cache}-copy`;
    cpSync(cache, copy, { recursive: true });
    restarted = await startServer(`dynamodb://${TABLE}`, { env: { ...db.env(), S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0', ZONE_CACHE_DIR: copy } });
    await restarted.waitFor((l) => l.msg === 'serving zones from the local snapshot until DynamoDB answers');
    assert.equal(await answerData(restarted.port, 'www.alpha.test'), '192.0.2.12');
    assert.equal(await answerData(restarted.port, 'www.beta.test'), 'REFUSED');
    await restarted.stop();
    rmSync(copy, { recursive: true, force: true });

    await db.start();
    await store.put('delta.test', zone('delta.test', '192.0.2.4'), 'absent');
    await untilAnswer(server.port, 'www.delta.test', '192.0.2.4');
    await server.waitFor((l) => l.msg === 'DynamoDB answers again; zones are in sync');
    assert.equal(await answerData(server.port, 'www.gamma.test'), '192.0.2.33');
  });

  it('without the zone index, says what to create and scans the whole table meanwhile; then uses the index', async () => {
    const name = 'unindexed-zones';
    await db.createZoneTable(name, { zoneIndex: false });
    const plain = await createDynamoZoneStore(`dynamodb://${name}`, db.env());
    await plain.put('one.test', zone('one.test', '192.0.2.61'), 'absent');
    const unindexed = await startServer(`dynamodb://${name}`, { env: { ...db.env(), AWS_ENDPOINT_URL: proxy.endpoint, S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0' } });
    try {
      const missing = await unindexed.waitFor((l) => l.msg.startsWith('the DynamoDB table has no usable zone index'));
      assert.match(String(missing.todo), /aws dynamodb update-table --table-name unindexed-zones --attribute-definitions AttributeName=zoneIndex,AttributeType=S --global-secondary-index-updates '.*"IndexName":"zone-index".*"NonKeyAttributes":\["revision","generation"\]/);
      assert.match(missing.msg, /scans the whole table instead, and is charged for every record item/);
      assert.equal(await answerData(unindexed.port, 'www.one.test'), '192.0.2.61', 'the zones are served all the same');
      await plain.put('two.test', zone('two.test', '192.0.2.62'), 'absent');
      await untilAnswer(unindexed.port, 'www.two.test', '192.0.2.62');
      assert.equal(unindexed.logs.filter((l) => l.msg === missing.msg).length, 1, 'said once, not every period');

      // The index comes: here the table is made again with it (dynalite cannot add an index to a
      // table), while the server's requests are refused, so that no sync sees the empty table.
      proxy.throttling = true;
      await db.deleteTable(name);
      await db.createZoneTable(name);
      await plain.put('two.test', zone('two.test', '192.0.2.62'), 'absent');
      // one.test written by hand without the zoneIndex attribute: the index never lists it, as a
      // zone just written looks to a lagging index.
      const client = db.client();
      await client.send(new PutItemCommand({ TableName: name, Item: { zone: { S: 'one.test' }, item: { S: 'r#g1#000000000' }, domain: { S: 'www' }, type: { S: 'A' }, address: { S: '192.0.2.61' } } }));
      await client.send(new PutItemCommand({
        TableName: name,
        Item: {
          zone: { S: 'one.test' }, item: { S: '#zone' }, revision: { N: '1' }, generation: { S: 'g1' }, recordCount: { N: '1' },
          version: { N: '1' }, domain: { M: { domain: { S: 'one.test' } } }, defaults: { M: { ttl: { N: '300' } } },
        },
      }));
      const from = unindexed.logs.length;
      proxy.throttling = false;
      await unindexed.waitFor((l) => unindexed.logs.indexOf(l) >= from && l.msg.startsWith('the DynamoDB zone index is in use'));
      const warned = await unindexed.waitFor((l) => l.msg.startsWith('a zone item has no zoneIndex attribute'));
      assert.equal(warned.zone, `dynamodb://${name}/one.test`);
      assert.match(String(warned.todo), /set zoneIndex = "one.test"/);
      // A zone the index does not list is read from the table before it is dropped.
      assert.equal(await answerData(unindexed.port, 'www.one.test'), '192.0.2.61', 'a zone loaded before is not dropped while the index does not list it');
      assert.equal(await answerData(unindexed.port, 'www.two.test'), '192.0.2.62');
      await plain.delete('one.test', 'any');
      await untilAnswer(unindexed.port, 'www.one.test', 'REFUSED');
    } finally {
      proxy.throttling = false;
      await unindexed.stop();
    }
  });

  it('does not trust an index made without revision and generation: says so, and scans the table', async () => {
    const name = 'keys-only-zones';
    await db.createZoneTable(name, { keysOnly: true });
    const keysOnly = await createDynamoZoneStore(`dynamodb://${name}`, db.env());
    await keysOnly.put('three.test', zone('three.test', '192.0.2.63'), 'absent');
    const misindexed = await startServer(`dynamodb://${name}`, { env: { ...db.env(), S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0' } });
    try {
      const said = await misindexed.waitFor((l) => l.msg.startsWith('the DynamoDB table has no usable zone index'));
      assert.match(String(said.error), /does not project revision and generation; delete it/);
      assert.equal(await answerData(misindexed.port, 'www.three.test'), '192.0.2.63');
      // A change shows in the zone item's revision, which only the table scan sees here.
      await keysOnly.put('three.test', zone('three.test', '192.0.2.64'), { version: (await keysOnly.get('three.test'))!.version });
      await untilAnswer(misindexed.port, 'www.three.test', '192.0.2.64');
    } finally {
      await misindexed.stop();
    }
  });
});
