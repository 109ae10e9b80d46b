import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDynamoZoneStore } from '../../src/sources/dynamodb.js';
import type { ZoneStore } from '../../src/sources/zone-store.js';
import { answerData, untilAnswer } from '../helpers/answers.js';
import { Dynalite } from '../helpers/dynalite.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { startServer, type ServerProcess } from '../helpers/server.js';
import { StreamsDouble } from '../helpers/streams-double.js';

const TABLE = 'streamed-zones';

function zone(domain: string, address: string): string {
  return `version = 1.0\n\n[domain]\ndomain = "${domain}"\n\n[[records]]\ndomain = "www"\ntype = "A"\naddress = "${address}"\n`;
}

function loaded(server: ServerProcess, domain: string): number {
  return server.logs.filter((l) => l.msg === 'zone loaded' && l.zone === `${domain}.`).length;
}

describe('DynamoDB Streams (DYNAMODB_STREAMS=1), dynalite and a Streams test double', () => {
  const db = new Dynalite();
  const stream = new StreamsDouble(TABLE);
  let store: ZoneStore;
  let server: ServerProcess;
  let ops: number;
  const errorsCounted = async (): Promise<number> => parseMetrics((await httpGet(ops, '/metrics')).body).get('eclipso_source_errors_total{source="dynamodb"}')!;
  /** A write as an application makes it, and the stream records DynamoDB would make of it. */
  const write = async (domain: string, address: string): Promise<void> => {
    const now = await store.get(domain);
    await store.put(domain, zone(domain, address), now ? { version: now.version } : 'absent');
    stream.write(domain, 'r#new#000000000', 'INSERT');
    stream.write(domain, '#zone', now ? 'MODIFY' : 'INSERT');
  };

  before(async () => {
    await db.start();
    await stream.start();
    await db.createZoneTable(TABLE);
    store = await createDynamoZoneStore(`dynamodb://${TABLE}`, db.env());
    await store.put('alpha.test', zone('alpha.test', '192.0.2.1'), 'absent');
    await store.put('beta.test', zone('beta.test', '192.0.2.2'), 'absent');
    // No periodic sync within the test: only the stream can bring a change, unless it says it lost some.
    ops = await freePort();
    server = await startServer(`dynamodb://${TABLE}`, {
      args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1'],
      env: { ...db.env(), AWS_ENDPOINT_URL_DYNAMODB_STREAMS: stream.endpoint, DYNAMODB_STREAMS: '1', S3_SYNC_RETRY: '86400', SHUTDOWN_GRACE: '0' },
    });
    await server.waitFor((l) => l.msg === 'following the DynamoDB stream');
  });
  after(async () => {
    await server?.stop();
    await stream.stop();
    await db.cleanup();
  });

  it('recompiles only the zones a change touched', async () => {
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.1');
    await write('alpha.test', '192.0.2.11');
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.11');
    await write('gamma.test', '192.0.2.3');
    await untilAnswer(server.port, 'www.gamma.test', '192.0.2.3');
    assert.equal(loaded(server, 'beta.test'), 1, 'an untouched zone is not rebuilt');

    await store.delete('gamma.test', 'any');
    stream.write('gamma.test', '#zone', 'REMOVE');
    await untilAnswer(server.port, 'www.gamma.test', 'REFUSED');
  });

  it('reads a shard\'s children only after the shard itself, across DescribeStream pages', async () => {
    const parent = stream.shardIds[0];
    await write('alpha.test', '192.0.2.12'); // recorded in the parent, before it closes
    const children = stream.split();
    await write('alpha.test', '192.0.2.13'); // in a child
    await write('beta.test', '192.0.2.22');
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.13');
    await untilAnswer(server.port, 'www.beta.test', '192.0.2.22');
    const p = stream.shard(parent);
    assert.ok(p.endedRead !== undefined, 'the parent was read to its end');
    for (const c of children) {
      const first = stream.shard(c).firstRead;
      assert.ok(first !== undefined && first > p.endedRead!, `child ${c} was read only after its parent ended`);
    }
  });

  it('renews an expired iterator after the last record read, losing nothing', async () => {
    const from = server.logs.length;
    const requested = stream.iteratorRequests.length;
    stream.expireIterators();
    await write('alpha.test', '192.0.2.14');
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.14');
    // Awaited, not counted at once: the line comes through the server's stdout, which a loaded
    // machine may hand to this process after the answer. Since the last test's split, a shard may
    // have had no record read: its iterator is renewed too (LATEST, and a full sync, which may bring
    // the change first), so the line awaited is the one of a shard read before (`after` its record).
    await server.waitFor((l) => server.logs.indexOf(l) >= from && l.msg === 'DynamoDB stream iterator renewed' && l.after !== undefined,
      undefined, 'the expired iterator of a shard with records read renewed after its last record');
    assert.ok(stream.iteratorRequests.slice(requested).includes('AFTER_SEQUENCE_NUMBER'), `iterators asked for since expiring: ${stream.iteratorRequests.slice(requested).join(', ')}`);
  });

  it('answers trimmed records with a full sync that brings what the stream lost', async () => {
    // A change the stream never shows: its records were trimmed before they were read.
    await store.put('delta.test', zone('delta.test', '192.0.2.4'), 'absent');
    stream.trim();
    await server.waitFor((l) => l.msg === 'full DynamoDB sync now: the change stream may have missed changes' && String(l.why).includes('TrimmedDataAccessException'));
    await untilAnswer(server.port, 'www.delta.test', '192.0.2.4');
    // And the stream goes on from the shards that remain.
    await write('beta.test', '192.0.2.23');
    await untilAnswer(server.port, 'www.beta.test', '192.0.2.23');
  });

  it('keeps answering while the stream is down, counts each failed read, and catches up when it is back', async () => {
    const from = server.logs.length;
    const before = await errorsCounted();
    await stream.stop();
    await server.waitFor((l) => server.logs.indexOf(l) >= from && l.msg.startsWith('cannot read the DynamoDB stream'));
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.14', 'the loaded zones stay in service');
    await write('alpha.test', '192.0.2.15');
    await stream.start();
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.15');
    await server.waitFor((l) => server.logs.indexOf(l) >= from && l.msg === 'the DynamoDB stream answers again');
    assert.ok(await errorsCounted() > before, 'eclipso_source_errors_total counts the stream\'s failed requests');
  });
});
