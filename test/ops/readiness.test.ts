import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freePort, httpGet } from '../helpers/ops.js';
import { spawnServer, ZoneDir, type ServerProcess } from '../helpers/server.js';

/** Enough zone data that the first load takes a noticeable time (~0.5 s here). */
function writeBigZones(dir: ZoneDir): void {
  const records = Array.from({ length: 2000 }, (_, i) => `[[records]]\ndomain = "h${i}"\naddress = "10.0.${i >> 8}.${i & 255}"\n`).join('');
  for (let z = 0; z < 40; z++) dir.write(`z${z}.test.toml`, `version = 1.0\n[domain]\ndomain = "z${z}.test"\nactive = true\n${records}`);
}

/** Starts the server without waiting for it to listen, its ops listener on `ops`. */
function start(zoneDir: string, ops: number, graceSeconds: number): ServerProcess {
  return spawnServer(zoneDir, { args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--log-ignore', '--shutdown-grace', String(graceSeconds)] });
}

describe('readiness at start', () => {
  const dir = new ZoneDir();
  writeBigZones(dir);
  after(() => dir.cleanup());

  it('/readyz is 503 until every zone is loaded, /healthz is 200 meanwhile', async () => {
    const ops = await freePort();
    const server = start(dir.path, ops, 0);
    try {
      await server.waitFor((l) => l.msg === 'ops listening');
      const statuses: number[] = [];
      let first: { status: number; body: string } | null = null;
      while (server.exitCode === null) {
        const r = await httpGet(ops, '/readyz');
        first ??= r;
        statuses.push(r.status);
        if (r.status === 200) break;
        assert.equal((await httpGet(ops, '/healthz')).status, 200);
      }
      assert.equal(first?.status, 503);
      assert.equal(first?.body, 'not ready: zones are still loading\n');
      assert.equal(statuses.at(-1), 200);
      // Logged before readiness turned 200; the line may still be on its way through the pipe.
      const listening = await server.waitFor((l) => l.msg === 'listening', undefined, 'the "listening" line, written before /readyz turned 200');
      assert.ok(listening, 'ready only once the DNS sockets listen');
    } finally {
      await server.stop();
    }
    assert.equal(server.exitCode, 0);
  });

  it('stopped while the zones load (never ready), it skips the lame duck and exits 0', async () => {
    const ops = await freePort();
    // A lame duck of 10 minutes, far beyond the wait for the exit below.
    const server = start(dir.path, ops, 600);
    try {
      await server.waitFor((l) => l.msg === 'ops listening');
      assert.equal((await httpGet(ops, '/readyz')).status, 503);
      server.child.kill('SIGTERM');
      const stopping = await server.waitFor((l) => l.msg.startsWith('shutting down'));
      assert.equal(stopping.graceSeconds, 0, 'no load balancer ever sent it queries: no lame duck');
      assert.equal(await server.waitForExit(), 0);
    } finally {
      if (server.exitCode === null) server.child.kill('SIGKILL'); // a failed test leaves nothing running
    }
  });
});
