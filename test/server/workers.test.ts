import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { query } from '../helpers/dns.js';
import { startServer, WAIT_MS, ZoneDir, type ServerProcess } from '../helpers/server.js';

const zone = (address: string): string => `
[domain]
domain = "multi.test"

[[records]]
domain = "www"
address = "${address}"
`;

/** PIDs of a process's children (the cluster workers), from /proc. */
function children(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The A addresses `count` queries for www.multi.test get, null for a query with no reply. */
async function addresses(port: number, count: number): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    const r = await query(port, 'www.multi.test', 'A').catch(() => null);
    out.push(r ? String((r.answers?.[0] as { data?: unknown } | undefined)?.data) : null);
  }
  return out;
}

/** Queries until `count` queries in a row all get `address`; fails after `ms`. */
async function until(port: number, address: string, count: number, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  let last: (string | null)[] = [];
  while (Date.now() < deadline) {
    last = await addresses(port, count);
    if (last.every((a) => a === address)) return;
  }
  assert.fail(`still ${JSON.stringify(last)} after ${ms} ms`);
}

describe('WORKERS=2: two processes answer on one port', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;

  before(async () => {
    dir.write('multi.test.toml', zone('192.0.2.1'));
    server = await startServer(dir.path, { env: { WORKERS: '2', ECLIPSO_LOG_IGNORE: '1' }, args: ['--shutdown-grace', '0'] });
    await server.waitFor((l) => l.msg === 'workers ready');
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('runs a primary and two workers that all answer', async () => {
    assert.equal(children(server.child.pid!).length, 2);
    assert.deepEqual(await addresses(server.port, 40), Array(40).fill('192.0.2.1'));
  });

  it('logs each zone load once (from the lead worker), not once per worker', () => {
    assert.equal(server.logs.filter((l) => l.msg === 'zone loaded').length, 1);
  });

  it('reloads a changed zone in every worker', async () => {
    dir.write('multi.test.toml', zone('192.0.2.2'));
    await until(server.port, '192.0.2.2', 60);
  });

  it('replaces a worker that dies; the new one serves the current zones', async () => {
    const [victim] = children(server.child.pid!);
    const replaced = server.next('DNS worker replaced');
    process.kill(victim, 'SIGKILL');
    await replaced;
    const now = children(server.child.pid!);
    assert.equal(now.length, 2);
    assert.ok(!now.includes(victim));
    // Every answer from either worker (the new one started from the primary's texts) is current.
    assert.deepEqual(await addresses(server.port, 60), Array(60).fill('192.0.2.2'));
  });

  it('keeps reloading in the replaced worker too', async () => {
    dir.write('multi.test.toml', zone('192.0.2.3'));
    await until(server.port, '192.0.2.3', 60);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = children(server.child.pid!);
    await server.stop();
    assert.equal(server.exitCode, 0);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
