import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeQuery, query, queryTcp, tcpRaw, udpRaw } from '../helpers/dns.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { spawnServer, startServer, ZoneDir, type ServerProcess } from '../helpers/server.js';

/** A zone with an answer too big for 512 octets, to see TC=1 counted. */
function zone(address: string): string {
  const txt = Array.from({ length: 8 }, (_, i) => `[[records]]\ndomain = "big"\ntype = "TXT"\naddress = "${String(i).repeat(100)}"\n`).join('\n');
  return `version = 1.0\n[domain]\ndomain = "ops.test"\nactive = true\n\n[[records]]\ndomain = ""\naddress = "${address}"\n\n${txt}`;
}

describe('ops listener: /metrics, /healthz, /readyz', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let ops: number;

  before(async () => {
    dir.write('ops.test.toml', zone('192.0.2.1'));
    ops = await freePort();
    server = await startServer(dir.path, { args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--log-ignore'] });
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('answers the probes: alive and, with the zones loaded, ready', async () => {
    assert.deepEqual(await httpGet(ops, '/healthz'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
    const ready = await httpGet(ops, '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body, 'ready\n');
  });

  it('says what exists for an unknown path, and refuses other methods', async () => {
    const missing = await httpGet(ops, '/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /\/metrics/);
    assert.equal((await httpGet(ops, '/metrics', 'POST')).status, 405);
    assert.equal((await httpGet(ops, '/readyz', 'HEAD')).status, 200);
  });

  it('counts queries by transport, type and rcode, truncation and malformed messages', async () => {
    assert.equal((await query(server.port, 'ops.test', 'A')).rcode, 'NOERROR');
    assert.equal((await query(server.port, 'ops.test', 'A')).rcode, 'NOERROR');
    assert.equal((await query(server.port, 'missing.ops.test', 'MX')).rcode, 'NXDOMAIN');
    assert.equal((await query(server.port, 'example.org', 'A')).rcode, 'REFUSED');
    assert.equal((await query(server.port, 'big.ops.test', 'TXT')).flag_tc, true);
    assert.equal((await queryTcp(server.port, 'big.ops.test', 'TXT')).flag_tc, false);
    assert.equal(await udpRaw(server.port, Buffer.from([1, 2, 3]), 300), null, 'three octets are not a query');
    // A response (QR=1) sent to the server is never answered: that would let two servers loop.
    const response = makeQuery('ops.test', 'A');
    response[2] |= 0x80;
    assert.equal(await udpRaw(server.port, response, 300), null);
    await tcpRaw(server.port, [makeQuery('ops.test', 'AAAA')]);

    const reply = await httpGet(ops, '/metrics');
    assert.equal(reply.status, 200);
    assert.match(reply.type, /^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(reply.body);
    assert.equal(m.get('eclipso_dns_requests_total{proto="udp",type="A"}'), 3);
    assert.equal(m.get('eclipso_dns_requests_total{proto="udp",type="MX"}'), 1);
    assert.equal(m.get('eclipso_dns_requests_total{proto="udp",type="TXT"}'), 1);
    assert.equal(m.get('eclipso_dns_requests_total{proto="tcp",type="TXT"}'), 1);
    assert.equal(m.get('eclipso_dns_requests_total{proto="tcp",type="AAAA"}'), 1);
    assert.equal(m.get('eclipso_dns_responses_total{proto="udp",rcode="NOERROR"}'), 3);
    assert.equal(m.get('eclipso_dns_responses_total{proto="udp",rcode="NXDOMAIN"}'), 1);
    assert.equal(m.get('eclipso_dns_responses_total{proto="udp",rcode="REFUSED"}'), 1);
    assert.equal(m.get('eclipso_dns_truncated_responses_total{proto="udp"}'), 1);
    assert.equal(m.get('eclipso_dns_truncated_responses_total{proto="tcp"}'), 0);
    assert.equal(m.get('eclipso_dns_dropped_requests_total{proto="udp"}'), 2);
    assert.equal(m.get('eclipso_zones_loaded'), 1);
    assert.equal(m.get('eclipso_records_loaded'), 10, 'A, 8 TXT and the SOA');
    assert.equal(m.get('eclipso_reload_total{source="folder"}'), 1);
    assert.ok(Math.abs(m.get('eclipso_reload_last_success_timestamp_seconds{source="folder"}')! - Date.now() / 1000) < 60);
    assert.ok(m.get('process_resident_memory_bytes')! > 0);
    assert.ok(m.get('process_cpu_seconds_total')! > 0);
    assert.ok(m.has(`eclipso_build_info{version="${JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')).version}",nodejs="${process.versions.node}"}`));
  });

  it('labels unknown query types "other", so random types cannot grow the series without bound', async () => {
    for (const type of [4000, 4001, 4002]) await udpRaw(server.port, queryOfType(type));
    const m = parseMetrics((await httpGet(ops, '/metrics')).body);
    assert.equal(m.get('eclipso_dns_requests_total{proto="udp",type="other"}'), 3);
  });

  it('counts reloads and rejected zone files', async () => {
    dir.write('ops.test.toml', zone('192.0.2.2'));
    await server.next('zone loaded');
    dir.write('ops.test.toml', zone('not an address'));
    await server.next('zone rejected');
    const m = parseMetrics((await httpGet(ops, '/metrics')).body);
    assert.equal(m.get('eclipso_reload_total{source="folder"}'), 2);
    assert.equal(m.get('eclipso_reload_errors_total{source="folder"}'), 1);
    assert.equal(m.get('eclipso_zones_loaded'), 1, 'the last good version stays');
  });
});

describe('ops listener port taken', () => {
  it('stops start-up with exit 1 and says which setting to change', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    const dir = new ZoneDir();
    dir.write('ops.test.toml', zone('192.0.2.1'));
    try {
      const server = spawnServer(dir.path, { args: ['--metrics-port', String(port), '--metrics-host', '127.0.0.1'] });
      assert.equal(await server.exited, 1);
      const error = server.logs.find((l) => l.level === 'error');
      assert.match(String(error?.msg), new RegExp(`cannot listen for metrics on 127\\.0\\.0\\.1:${port}`));
      assert.match(String(error?.todo), /METRICS_PORT/);
    } finally {
      blocker.close();
      dir.cleanup();
    }
  });
});

describe('ops listener off', () => {
  it('METRICS_PORT=0 starts no HTTP listener', async () => {
    const dir = new ZoneDir();
    dir.write('ops.test.toml', zone('192.0.2.1'));
    const server = await startServer(dir.path, { env: { METRICS_PORT: '0' } });
    try {
      assert.equal((await query(server.port, 'ops.test', 'A')).rcode, 'NOERROR');
      assert.equal(server.logs.some((l) => l.msg === 'ops listening'), false);
    } finally {
      await server.stop();
      dir.cleanup();
    }
    assert.equal(server.exitCode, 0);
  });
});

function queryOfType(type: number): Buffer {
  const q = makeQuery('ops.test', 'A');
  q.writeUInt16BE(type, q.length - 4);
  return q;
}
