import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { S3Server } from '../helpers/s3rver.js';
import { startServer, type ServerProcess } from '../helpers/server.js';

const ZONE = 'version = 1.0\n[domain]\ndomain = "s3metrics.test"\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.80"\n';

describe('S3 sync metrics', () => {
  const s3 = new S3Server(['zones']);
  let server: ServerProcess;
  let ops: number;

  before(async () => {
    await s3.start();
    await s3.put('zones', 's3metrics.test.toml', ZONE);
    ops = await freePort();
    server = await startServer('s3://zones', {
      args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--log-ignore'],
      env: { ...s3.env(), S3_SYNC_RETRY: '1', SHUTDOWN_GRACE: '0' },
    });
  });
  after(async () => {
    await server.stop();
    await s3.cleanup();
  });

  it('reports the last successful sync, per source, and no errors while S3 answers', async () => {
    const m = parseMetrics((await httpGet(ops, '/metrics')).body);
    const lastSync = m.get('eclipso_source_last_sync_timestamp_seconds{source="s3"}')!;
    assert.ok(Math.abs(lastSync - Date.now() / 1000) < 30, `last sync ${lastSync}`);
    assert.equal(m.get('eclipso_source_errors_total{source="s3"}'), 0);
    assert.equal(m.get('eclipso_reload_total{source="s3"}'), 1);
    assert.equal(m.get('eclipso_zones_loaded'), 1);
  });

  it('counts S3 errors while S3 is down; the last sync time stays, the zones stay', async () => {
    const before = parseMetrics((await httpGet(ops, '/metrics')).body);
    await s3.stop();
    await server.next('S3 sync failed; the loaded zones stay in service');
    const m = parseMetrics((await httpGet(ops, '/metrics')).body);
    assert.ok(m.get('eclipso_source_errors_total{source="s3"}')! >= 1);
    assert.ok(m.get('eclipso_source_last_sync_timestamp_seconds{source="s3"}')! >= before.get('eclipso_source_last_sync_timestamp_seconds{source="s3"}')!);
    assert.equal(m.get('eclipso_zones_loaded'), 1);
    assert.equal((await httpGet(ops, '/readyz')).status, 200, 'still ready: it serves the zones it has');
  });
});
