import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { query } from '../helpers/dns.js';
import { startServer, ZoneDir } from '../helpers/server.js';

const ZONE = '[domain]\ndomain = "log.test"\n[[records]]\naddress = "192.0.2.1"\n';

describe('per-query logs', () => {
  it('write one line per query, with client, transport, name, type and RCODE', async () => {
    const dir = new ZoneDir();
    dir.write('log.test.toml', ZONE);
    const server = await startServer(dir.path);
    try {
      await query(server.port, 'LOG.test', 'A');
      await query(server.port, 'missing.log.test', 'MX');
      const a = await server.waitFor((l) => l.msg === 'query' && l.qname === 'LOG.test.');
      assert.match(String(a.client), /^127\.0\.0\.1:\d+$/);
      assert.deepEqual([a.proto, a.qtype, a.rcode], ['udp', 'A', 'NOERROR']);
      const nx = await server.waitFor((l) => l.msg === 'query' && l.qname === 'missing.log.test.');
      assert.deepEqual([nx.qtype, nx.rcode], ['MX', 'NXDOMAIN']);
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });

  it('are off with ECLIPSO_LOG_IGNORE=1, as in the seed', async () => {
    const dir = new ZoneDir();
    dir.write('log.test.toml', ZONE);
    const server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1' } });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await query(server.port, 'log.test', 'A')).rcode, 'NOERROR');
    } finally {
      // A stopped server has flushed every batched line, so what it logged is all there.
      await server.stop();
      dir.cleanup();
    }
    assert.equal(server.exitCode, 0);
    assert.ok(server.logs.some((l) => l.msg === 'stopped'));
    assert.equal(server.logs.filter((l) => l.msg === 'query').length, 0);
  });
});
