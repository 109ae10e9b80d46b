import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { answerData, untilAnswer } from '../helpers/answers.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { S3Server } from '../helpers/s3rver.js';
import { pollUntil, startServer, type ServerProcess } from '../helpers/server.js';
import { SqsDouble } from '../helpers/sqs-double.js';

const BUCKET = 'evented';
const PREFIX = 'dns/';
/** Far beyond the test's length: only an event can bring a change, unless a test sets its own period. */
const NO_SYNC = '86400';

function zone(domain: string, address: string): string {
  return `version = 1.0\n\n[domain]\ndomain = "${domain}"\n\n[[records]]\ndomain = "www"\ntype = "A"\naddress = "${address}"\n`;
}

/** S3's own notification record (event structure 2.1). */
function record(key: string, eventName: string, sequencer: string, eTag?: string, bucket = BUCKET): object {
  return { eventVersion: '2.1', eventSource: 'aws:s3', eventName, s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key), ...(eTag ? { eTag } : {}), sequencer } } };
}
const direct = (...records: object[]): string => JSON.stringify({ Records: records });
const viaSns = (...records: object[]): string => JSON.stringify({ Type: 'Notification', MessageId: 'm', Message: direct(...records) });
const eventBridge = (key: string, type: 'Object Created' | 'Object Deleted', sequencer: string): string =>
  JSON.stringify({ version: '0', source: 'aws.s3', 'detail-type': type, detail: { bucket: { name: BUCKET }, object: { key, sequencer } } });

function loaded(server: ServerProcess, domain: string): number {
  return server.logs.filter((l) => l.msg === 'zone loaded' && l.zone === `${domain}.`).length;
}

describe('S3 changes pushed through SQS (S3_EVENTS_QUEUE), against s3rver and an SQS test double', () => {
  const s3 = new S3Server([BUCKET]);
  const sqs = new SqsDouble('replica-1', { visibilityTimeoutSeconds: 1 });
  const servers: ServerProcess[] = [];
  let ops = 0;
  const start = async (env: Record<string, string>): Promise<ServerProcess> => {
    const metrics = servers.length === 0 ? ['--metrics-port', String(ops = await freePort()), '--metrics-host', '127.0.0.1'] : [];
    const server = await startServer(`s3://${BUCKET}/${PREFIX}`, { args: metrics, env: { ...s3.env(), S3_EVENTS_QUEUE: sqs.url, SHUTDOWN_GRACE: '0', ...env } });
    servers.push(server);
    await server.waitFor((l) => l.msg === 'following S3 event notifications');
    return server;
  };
  const drained = (what: string): Promise<void> => pollUntil(() => sqs.remaining === 0, `every message to be deleted (${what}; ${sqs.remaining} left)`);

  before(async () => {
    await s3.start();
    await sqs.start();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await sqs.stop();
    await s3.cleanup();
  });

  it('applies created and removed objects from direct, SNS and EventBridge messages, and deletes the messages', async () => {
    await s3.put(BUCKET, `${PREFIX}alpha.test.toml`, zone('alpha.test', '192.0.2.1'));
    const server = await start({ S3_SYNC_RETRY: NO_SYNC });
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.1');

    sqs.send(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET }));
    await server.waitFor((l) => l.msg === 'S3 test event received: notifications reach this server');

    await s3.put(BUCKET, `${PREFIX}beta.test.toml`, zone('beta.test', '192.0.2.2'));
    sqs.send(direct(record(`${PREFIX}beta.test.toml`, 'ObjectCreated:Put', '0055AED6DCD90281E5')));
    await untilAnswer(server.port, 'www.beta.test', '192.0.2.2');

    await s3.put(BUCKET, `${PREFIX}alpha.test.toml`, zone('alpha.test', '192.0.2.11'));
    sqs.send(viaSns(record(`${PREFIX}alpha.test.toml`, 'ObjectCreated:Put', '0055AED6DCD9028200')));
    await untilAnswer(server.port, 'www.alpha.test', '192.0.2.11');

    await s3.delete(BUCKET, `${PREFIX}beta.test.toml`);
    sqs.send(eventBridge(`${PREFIX}beta.test.toml`, 'Object Deleted', '0055AED6DCD9028300'));
    await untilAnswer(server.port, 'www.beta.test', 'REFUSED');

    // Keys that are no zone file, outside the prefix, or in another bucket change nothing, and go.
    sqs.send(direct(
      record(`${PREFIX}README.md`, 'ObjectCreated:Put', '01'),
      record('alpha.test.toml', 'ObjectCreated:Put', '01'),
      record(`${PREFIX}alpha.test.toml`, 'ObjectRemoved:Delete', 'FF', undefined, 'another-bucket'),
    ));
    await drained('ignored keys');
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.11');
    assert.equal(loaded(server, 'alpha.test'), 2);
  });

  it('never installs an older version from late, duplicated or reordered events', async () => {
    const server = servers[0];
    sqs.duplicate = true;
    sqs.reorder = true; // the newest message is delivered first: the late one comes after it
    await s3.put(BUCKET, `${PREFIX}gamma.test.toml`, zone('gamma.test', '192.0.2.3'));
    await s3.put(BUCKET, `${PREFIX}gamma.test.toml`, zone('gamma.test', '192.0.2.33'));
    sqs.send(direct(record(`${PREFIX}gamma.test.toml`, 'ObjectCreated:Put', '0060')));
    sqs.send(direct(record(`${PREFIX}gamma.test.toml`, 'ObjectCreated:Put', '0061')));
    await drained('two events, each delivered twice');
    await untilAnswer(server.port, 'www.gamma.test', '192.0.2.33');
    // One fetch and one build: the duplicate and the late event were skipped by their sequencers.
    assert.equal(loaded(server, 'gamma.test'), 1);
    assert.equal(server.logs.filter((l) => l.msg === 'S3 event skipped: a newer one was applied' && String(l.file).endsWith('gamma.test.toml')).length, 3);

    // Deleted, then a late creation event of the old object: the zone stays removed.
    await s3.delete(BUCKET, `${PREFIX}gamma.test.toml`);
    sqs.send(direct(record(`${PREFIX}gamma.test.toml`, 'ObjectRemoved:Delete', '0070')));
    await untilAnswer(server.port, 'www.gamma.test', 'REFUSED');
    sqs.send(direct(record(`${PREFIX}gamma.test.toml`, 'ObjectCreated:Put', '0062')));
    await drained('the late creation');
    assert.equal(await answerData(server.port, 'www.gamma.test'), 'REFUSED');
    sqs.duplicate = false;
    sqs.reorder = false;
  });

  it('leaves a message it cannot process for redelivery: bad bodies, and S3 down', async () => {
    const server = servers[0];
    sqs.send('this is not an S3 event');
    await server.waitFor((l) => l.msg.startsWith('an S3 event message could not be processed') && String(l.error).includes('not JSON'));
    await pollUntil(() => sqs.receiveCount('this is not an S3 event') >= 2, 'the bad message to be delivered again after its visibility timeout');
    sqs.purge();

    await s3.put(BUCKET, `${PREFIX}delta.test.toml`, zone('delta.test', '192.0.2.4'));
    await s3.stop();
    const body = direct(record(`${PREFIX}delta.test.toml`, 'ObjectCreated:Put', '0080'));
    sqs.send(body);
    await server.waitFor((l) => l.msg.startsWith('an S3 event message could not be processed') && !String(l.error).includes('not JSON'));
    assert.equal(sqs.remaining, 1, 'the message stays in the queue');
    await s3.start();
    await untilAnswer(server.port, 'www.delta.test', '192.0.2.4');
    await drained('the redelivered message');
    assert.ok(sqs.deliveries.filter((b) => b === body).length >= 2, 'processed on a later delivery');
  });

  it('waits out an SQS outage with backoff, counting each failed receive, then takes the messages queued meanwhile', async () => {
    const server = servers[0];
    const from = server.logs.length;
    const errorsCounted = async (): Promise<number> => parseMetrics((await httpGet(ops, '/metrics')).body).get('eclipso_source_errors_total{source="s3"}')!;
    const before = await errorsCounted();
    await sqs.stop();
    await server.waitFor((l) => server.logs.indexOf(l) >= from && l.msg.startsWith('cannot receive from the S3 event queue'));
    await s3.put(BUCKET, `${PREFIX}zeta.test.toml`, zone('zeta.test', '192.0.2.6'));
    sqs.send(direct(record(`${PREFIX}zeta.test.toml`, 'ObjectCreated:Put', '0090')));
    await sqs.start();
    await untilAnswer(server.port, 'www.zeta.test', '192.0.2.6');
    await server.waitFor((l) => server.logs.indexOf(l) >= from && l.msg === 'the S3 event queue answers again');
    assert.ok(await errorsCounted() > before, 'eclipso_source_errors_total counts the queue\'s failed requests');
    assert.equal(await answerData(server.port, 'www.alpha.test'), '192.0.2.11', 'the outage dropped nothing');
  });

  it('with events lost, the periodic sync still brings the change', async () => {
    const server = await start({ S3_SYNC_RETRY: '1' });
    await s3.put(BUCKET, `${PREFIX}epsilon.test.toml`, zone('epsilon.test', '192.0.2.5'));
    await untilAnswer(server.port, 'www.epsilon.test', '192.0.2.5');
    await server.stop();
  });
});
