import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { freePort, httpGet } from '../helpers/ops.js';
import { ServerProcess, ZoneDir } from '../helpers/server.js';

const MAIN = new URL('../../../dist/main.js', import.meta.url).pathname;

/** Enough zone data that the first load takes a noticeable time (~0.5 s here). */
function writeBigZones(dir: ZoneDir): void {
  const records = Array.from({ length: 2000 }, (_, i) => `[[records]]\ndomain = "h${i}"\naddress = "10.0.${i >> 8}.${i & 255}"\n`).join('');
  for (let z = 0; z < 40; z++) dir.write(`z${z}.test.toml`, `version = 1.0\n[domain]\ndomain = "z${z}.test"\nactive = true\n${records}`);
}

describe('readiness at start', () => {
  const dir = new ZoneDir();
  after(() => dir.cleanup());

  it('/readyz is 503 until every zone is loaded, /healthz is 200 meanwhile', async () => {
    writeBigZones(dir);
    const ops = await freePort();
    const server = new ServerProcess(spawn(process.execPath, [MAIN, '--zone-dir', dir.path, '--port', '0', '--host', '127.0.0.1',
      '--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--log-ignore'], {
      env: { ...process.env, LOG_FORMAT: 'json', WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    try {
      await server.waitFor((l) => l.msg === 'ops listening', 5000);
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
      assert.ok(server.logs.some((l) => l.msg === 'listening'), 'ready only once the DNS sockets listen');
    } finally {
      await server.stop();
    }
    assert.equal(server.exitCode, 0);
  });
});
