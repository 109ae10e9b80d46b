import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { makeQuery, udpRaw } from '../helpers/dns.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { startServer, ZoneDir, type ServerProcess } from '../helpers/server.js';

/**
 * TCP abuse (RFC 7766 §10): clients that dribble bytes, hold many connections from one address,
 * or send queries without reading the answers must not lock out other clients or grow the
 * server's memory without bound.
 */

/** A TXT RRset of about 8 KiB: 40 strings of 200 octets. */
const ZONE = `
[domain]
domain = "example.com"
[[records]]
address = "192.0.2.1"
[[records]]
domain = "big"
type = "TXT"
address = [${Array.from({ length: 40 }, (_, i) => `"${String(i % 10).repeat(200)}"`).join(', ')}]
`;

/** Every wait in these tests: generous, so a busy machine only makes them slower. */
const DEADLINE_MS = 30_000;

/** RFC 1035 §4.2.2: a two-octet length, then the message. */
function frame(q: Buffer): Buffer {
  const b = Buffer.alloc(2 + q.length);
  b.writeUInt16BE(q.length, 0);
  q.copy(b, 2);
  return b;
}

/** Every socket a test opened, destroyed after it. */
const open = new Set<Socket>();

/** Connects from `localAddress` (any address of 127/8 works on Linux loopback). */
function connectFrom(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress });
    open.add(sock);
    sock.on('error', () => {}); // a connection the server closes may end in ECONNRESET; 'close' follows
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

/** Resolves when `sock` has closed; rejects after `ms` saying what was awaited. */
function closed(sock: Socket, what: string, ms = DEADLINE_MS): Promise<void> {
  if (sock.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Sends one framed query and resolves with its reply, or 'closed' when the server closes first. */
function ask(sock: Socket, q: Buffer, what: string, ms = DEADLINE_MS): Promise<Buffer | 'closed'> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const done = (v: Buffer | 'closed'): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      resolve(v);
    };
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(got.subarray(2, 2 + got.readUInt16BE(0)));
    };
    const onClose = (): void => done('closed');
    const timer = setTimeout(() => {
      sock.off('data', onData);
      sock.off('close', onClose);
      reject(new Error(`${what}: neither a reply nor a close in ${ms} ms`));
    }, ms);
    sock.on('data', onData);
    sock.once('close', onClose);
    if (sock.closed) return done('closed');
    sock.write(frame(q));
  });
}

/** Asks over a fresh connection from `localAddress` and expects an answer with the query's ID. */
async function answered(port: number, what: string, localAddress = '127.0.0.1'): Promise<void> {
  const sock = await connectFrom(port, localAddress);
  const q = makeQuery('example.com', 'A');
  const reply = await ask(sock, q, what);
  assert.ok(reply !== 'closed', `${what}: the server closed the connection without answering`);
  assert.equal(reply.readUInt16BE(0), q.readUInt16BE(0), `${what}: reply to another query`);
  sock.destroy();
}

/** The server's resident memory now (VmRSS) or at its peak so far (VmHWM), from /proc. */
function memory(server: ServerProcess, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) * 1024;
}

/** Polls /metrics until `sample` reaches `atLeast`; fails after `ms` with its last value. */
async function metricReaches(ops: number, sample: string, atLeast: number, ms = DEADLINE_MS): Promise<number> {
  const deadline = Date.now() + ms;
  let value = 0;
  for (;;) {
    value = parseMetrics((await httpGet(ops, '/metrics')).body).get(sample) ?? 0;
    if (value >= atLeast) return value;
    if (Date.now() > deadline) assert.fail(`${sample} is ${value} after ${ms} ms, expected at least ${atLeast}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('TCP connection limits (RFC 7766 §10)', () => {
  const dir = new ZoneDir();
  dir.write('example.com.toml', ZONE);
  let running: ServerProcess | null = null;
  /** A server of its own for each test, with /metrics on and no lame-duck wait at its stop. */
  async function start(env: Record<string, string>): Promise<{ server: ServerProcess; ops: number }> {
    const ops = await freePort();
    running = await startServer(dir.path, {
      env: { ECLIPSO_LOG_IGNORE: '1', ...env },
      args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--shutdown-grace', '0'],
    });
    return { server: running, ops };
  }
  afterEach(async () => {
    for (const s of open) s.destroy();
    open.clear();
    await running?.stop();
    running = null;
  });
  after(() => dir.cleanup());

  it('answers a new client while every slot is held by clients sending one byte a second, and closes those', async () => {
    const max = 8;
    const { server, ops } = await start({ TCP_MAX_CONNECTIONS: String(max) });
    const slow: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < max; i++) {
        const sock = await connectFrom(server.port);
        // One answered query first: the server has taken this connection into its table.
        assert.notEqual(await ask(sock, makeQuery('example.com', 'A'), `slow client ${i}: first query`), 'closed');
        // Then a message announced as 300 octets, sent one octet a second (it would take 5 minutes).
        const dribble = Buffer.concat([Buffer.from([0x01, 0x2c]), Buffer.alloc(300, 0x41)]);
        let at = 0;
        const timer = setInterval(() => {
          if (sock.closed || at >= dribble.length) return clearInterval(timer);
          sock.write(dribble.subarray(at, ++at));
        }, 1000);
        timers.push(timer);
        slow.push(sock);
      }
      await answered(server.port, 'a new client while the table is full of slow ones');
      await Promise.all(slow.map((s, i) => closed(s, `slow client ${i}`)));
      await metricReaches(ops, 'eclipso_tcp_connections_closed_total{reason="message_timeout"}', 1);
      await metricReaches(ops, 'eclipso_tcp_connections_closed_total{reason="table_full"}', 1);
    } finally {
      for (const t of timers) clearInterval(t);
    }
  });

  it('closes connections over the per-client cap while other addresses still connect', async () => {
    const perClient = 4;
    const { server, ops } = await start({ TCP_MAX_CONNECTIONS: '50', TCP_MAX_CONNECTIONS_PER_CLIENT: String(perClient) });
    const held: Socket[] = [];
    for (let i = 0; i < perClient; i++) {
      const sock = await connectFrom(server.port);
      assert.notEqual(await ask(sock, makeQuery('example.com', 'A'), `connection ${i + 1} from 127.0.0.1`), 'closed');
      held.push(sock);
    }
    const extra = await connectFrom(server.port);
    assert.equal(await ask(extra, makeQuery('example.com', 'A'), `connection ${perClient + 1} from 127.0.0.1`), 'closed',
      `connection ${perClient + 1} from one address was answered; expected it closed`);
    await answered(server.port, 'a connection from 127.0.0.2', '127.0.0.2');
    // The connections within the cap are untouched.
    assert.notEqual(await ask(held[0], makeQuery('example.com', 'A'), 'a held connection, asked again'), 'closed');
    await metricReaches(ops, 'eclipso_tcp_connections_closed_total{reason="per_client_limit"}', 1);
    // Once one closes, the address may connect again.
    held[0].destroy();
    await closed(held[0], 'a held connection');
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const sock = await connectFrom(server.port);
      if (await ask(sock, makeQuery('example.com', 'A'), 'a new connection after one closed') !== 'closed') break;
      // The server may see the new connection before the old one's close: try again.
      assert.ok(Date.now() < deadline, `no connection from 127.0.0.1 answered in ${DEADLINE_MS} ms after one of ${perClient} closed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  /**
   * Opens `count` connections that each send `queries` queries for the 8 KiB TXT and read nothing;
   * resolves once every one has answers waiting, or was closed: the server has taken in what it will.
   */
  async function nonReaders(port: number, count: number, queries: number): Promise<Socket[]> {
    const burst = Buffer.concat(Array.from({ length: queries }, () => frame(makeQuery('big.example.com', 'TXT'))));
    const socks: Socket[] = [];
    for (let i = 0; i < count; i++) {
      const sock = await connectFrom(port);
      sock.pause();
      sock.write(burst);
      socks.push(sock);
    }
    await Promise.all(socks.map((sock, i) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client ${i} not reading: no answer arrived in ${DEADLINE_MS} ms`)), DEADLINE_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      sock.once('readable', done);
      sock.once('close', done);
    })));
    return socks;
  }

  it('keeps memory bounded and UDP answered while clients pipeline queries and never read', async () => {
    const { server } = await start({});
    for (let i = 0; i < 3; i++) await answered(server.port, `warm-up query ${i}`);
    const before = memory(server, 'VmRSS');
    // Each asks for 16 MB of answers; before the fix, about 11 MB of them were held per connection.
    await nonReaders(server.port, 20, 2000);
    for (let i = 0; i < 20; i++) {
      const reply = await udpRaw(server.port, makeQuery('example.com', 'A'), 5000);
      assert.ok(reply, `UDP query ${i} unanswered in 5 s while TCP clients do not read`);
    }
    const grown = memory(server, 'VmHWM') - before;
    assert.ok(grown < 100 * 2 ** 20, `server RSS grew by ${Math.round(grown / 2 ** 20)} MiB with 20 clients not reading`);
    await answered(server.port, 'a new client while 20 do not read');
  });

  it('closes the connection holding the most unsent answers when their total passes its bound', async () => {
    // 8 connections may hold 8 × 16 KiB of unsent answers together; one not reading holds 64 KiB.
    const { server, ops } = await start({ TCP_MAX_CONNECTIONS: '8' });
    await nonReaders(server.port, 4, 1000);
    await metricReaches(ops, 'eclipso_tcp_connections_closed_total{reason="unsent_limit"}', 1);
    assert.ok(await udpRaw(server.port, makeQuery('example.com', 'A'), 5000), 'a UDP query went unanswered');
    await answered(server.port, 'a new client after the worst non-reader was closed');
  });

  it('answers every pipelined query in order for a client that reads late, then half-closes', async () => {
    const { server } = await start({});
    const count = 1500; // 12 MB of answers: more than the kernel's socket buffers take, so reading stops and restarts
    const queries = Array.from({ length: count }, (_, i) => makeQuery('big.example.com', 'TXT', { id: i }));
    const sock = await connectFrom(server.port);
    sock.pause();
    sock.end(Buffer.concat(queries.map(frame)));
    // A UDP round trip: by then the server has read the queries and answered what the sockets take.
    assert.ok(await udpRaw(server.port, makeQuery('example.com', 'A'), 5000), 'a UDP query went unanswered');
    const ids = await new Promise<number[]>((resolve, reject) => {
      const seen: number[] = [];
      let got = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error(`${seen.length} of ${count} replies in ${DEADLINE_MS} ms`)), DEADLINE_MS);
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
          seen.push(got.readUInt16BE(2));
          got = got.subarray(2 + got.readUInt16BE(0));
        }
      });
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(seen);
      });
      sock.resume();
    });
    assert.equal(ids.length, count, `${ids.length} of ${count} pipelined queries answered`);
    assert.deepEqual(ids, queries.map((_, i) => i));
  });
});
