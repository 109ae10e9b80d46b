import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { backoffMs } from '../../src/sources/backoff.js';
import { RequestSignals } from '../../src/sources/request-signals.js';
import { clientConfig } from '../../src/sources/s3-bucket.js';
import { parseS3Url } from '../../src/sources/s3-location.js';
import { planSync } from '../../src/sources/remote-source.js';

describe('ZONE_DIR=s3://…', () => {
  for (const [url, bucket, prefix] of [
    ['s3://my-bucket', 'my-bucket', ''],
    ['s3://my-bucket/', 'my-bucket', ''],
    ['s3://my.bucket/zones', 'my.bucket', 'zones/'],
    ['s3://my-bucket/prod/zones/', 'my-bucket', 'prod/zones/'],
  ]) {
    it(`${url} → bucket ${bucket}, prefix "${prefix}"`, () => assert.deepEqual(parseS3Url(url), { bucket, prefix }));
  }
  for (const url of ['s3://', 's3:///zones', 's3://ab', 's3://My_Bucket', 's3://b-b//x', 's3://-bucket']) {
    it(`${url} is a start-up error`, () => assert.throws(() => parseS3Url(url), ConfigError));
  }
});

describe('S3 credentials from the seed names', () => {
  it('AWS_ACCESS_KEY is used when AWS_ACCESS_KEY_ID is absent', () => {
    const c = clientConfig({ AWS_ACCESS_KEY: 'k', AWS_SECRET_ACCESS_KEY: 's' }, false);
    assert.deepEqual(c.credentials, { accessKeyId: 'k', secretAccessKey: 's' });
  });
  it('AWS_ACCESS_KEY_ID wins: the SDK default chain is left alone', () => {
    assert.equal(clientConfig({ AWS_ACCESS_KEY_ID: 'id', AWS_ACCESS_KEY: 'k', AWS_SECRET_ACCESS_KEY: 's' }, false).credentials, undefined);
  });
  it('AWS_ACCESS_KEY without its secret is a start-up error', () => {
    assert.throws(() => clientConfig({ AWS_ACCESS_KEY: 'k' }, false), ConfigError);
  });
});

describe('sync plan', () => {
  const known = new Map([
    ['a.test.toml', { etag: '"1"', digest: 'a' }],
    ['b.test.toml', { etag: '"2"', digest: 'b' }],
    ['c.test.toml', { etag: '"3"', digest: null }],
  ]);
  it('fetches new and changed objects, removes missing ones, leaves the rest', () => {
    const plan = planSync(known, new Map([['a.test.toml', '"1"'], ['b.test.toml', '"22"'], ['d.test.toml', '"4"']]));
    assert.deepEqual(plan, { fetch: ['b.test.toml', 'd.test.toml'], remove: ['c.test.toml'] });
  });
  it('an unchanged bucket needs nothing', () => {
    assert.deepEqual(planSync(known, new Map([...known].map(([f, k]) => [f, k.etag]))), { fetch: [], remove: [] });
  });
});

describe('retry backoff', () => {
  it('grows from the base to the cap, with jitter in the upper half', () => {
    assert.equal(backoffMs(1, 1000, 30_000, () => 0), 500);
    assert.equal(backoffMs(1, 1000, 30_000, () => 1), 1000);
    assert.equal(backoffMs(4, 1000, 30_000, () => 1), 8000);
    assert.equal(backoffMs(50, 1000, 30_000, () => 1), 30_000);
    assert.equal(backoffMs(50, 1000, 30_000, () => 0), 15_000);
  });
});

describe('a signal per S3 request under one stop signal', () => {
  it('adds one listener to the stop signal however many requests run, and aborts them all on stop', async () => {
    const signals = new RequestSignals();
    const stop = new AbortController();
    const seen: AbortSignal[] = [];
    // 40 requests at once, each held open until its own signal aborts (as the SDK's would be).
    const requests = Array.from({ length: 40 }, () => signals.run(stop.signal, (signal) => new Promise<string>((resolve) => {
      seen.push(signal);
      signal.addEventListener('abort', () => resolve(String(signal.reason)), { once: true });
    })));
    assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
    assert.equal(new Set(seen).size, 40, 'a signal of its own per request');
    stop.abort('stopping');
    assert.deepEqual(await Promise.all(requests), Array(40).fill('stopping'));
  });

  it('drops a finished request; a request after the stop starts aborted', async () => {
    const signals = new RequestSignals();
    const stop = new AbortController();
    let first: AbortSignal | undefined;
    assert.equal(await signals.run(stop.signal, async (signal) => ((first = signal), 'done')), 'done');
    stop.abort();
    assert.equal(first?.aborted, false, 'a finished request is not aborted later');
    assert.equal(await signals.run(stop.signal, async (signal) => signal.aborted), true);
  });
});
