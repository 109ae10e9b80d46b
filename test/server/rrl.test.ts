import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as packet from 'dns-packet';
import { ANSWER_MS, makeQuery } from '../helpers/dns.js';
import { burst, loopback, manySources } from '../helpers/load.js';
import { httpGet, parseMetrics } from '../helpers/ops.js';
import { NEEDS_DNS_THREADS, withServer } from '../helpers/server.js';

const ZONES = fileURLToPath(new URL('../../../zones', import.meta.url));

async function metrics(ops: number): Promise<Map<string, number>> {
  return parseMetrics((await httpGet(ops, '/metrics')).body);
}

const decode = (b: Buffer) => packet.decode(b) as unknown as packet.Packet & { rcode: string; flag_tc: boolean };
/** Replies that are whole answers: not truncated, not cut to BADCOOKIE. */
const whole = (replies: Buffer[]): Buffer[] => replies.filter((r) => (r[2] & 0x02) === 0 && (r[3] & 0x0f) !== 7);
const names = (n: number, f: (i: number) => string): Buffer[] => Array.from({ length: n }, (_, i) => makeQuery(f(i), 'A', { id: i }));

/**
 * How many responses a key may get in `seconds` at `rate` a second: a full bucket (one second's
 * worth) and what refills meanwhile. `seconds` is the client's measure, longer than the server's:
 * a slow machine only loosens the bound.
 */
const allowed = (rate: number, seconds: number): number => Math.floor(rate * (1 + seconds));

describe('response rate limiting: the limit per client prefix and response kind (RRL_RATE=2, no slip)', () => {
  const RATE = 2;
  const fx = withServer(ZONES, { ops: true, env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', RRL_RATE: String(RATE), RRL_SLIP: '0', RRL_ALLOW: '127.0.6.0/24' } });
  /** A burst's queries are accounted for once each is answered or counted as dropped. */
  const send = async (from: string, queries: Buffer[]) => {
    const before = (await metrics(fx.ops)).get('eclipso_rrl_dropped_total')!;
    return burst(fx.server.port, from, queries, async (n) => n + (await metrics(fx.ops)).get('eclipso_rrl_dropped_total')! - before >= queries.length);
  };

  it('holds answers to one question from one /24 to the rate, shared by its addresses; another /24 has its own', async () => {
    const q = names(50, () => 'www.example.com');
    const first = await send('127.0.1.1', q);
    const second = await send('127.0.1.2', q);
    const answered = whole(first.replies).length + whole(second.replies).length;
    assert.ok(answered <= allowed(RATE, first.seconds + second.seconds), `${answered} answers in ${first.seconds + second.seconds} s`);
    const other = await send('127.0.2.1', q);
    assert.ok(whole(other.replies).length >= RATE, `another /24 got ${whole(other.replies).length} answers: its own bucket`);
    const m = await metrics(fx.ops);
    assert.equal(m.get('eclipso_rrl_limited_total'), m.get('eclipso_rrl_dropped_total'));
    assert.equal(m.get('eclipso_rrl_slipped_total'), 0);
  });

  it('accounts positive answers per name and type: different questions are not limited together', async () => {
    const qs = [['example.com', 'A'], ['example.com', 'AAAA'], ['example.com', 'MX'], ['example.com', 'NS'], ['ns1.example.com', 'A'], ['ns2.example.com', 'A']]
      .map(([n, t], i) => makeQuery(n, t, { id: i }));
    const { replies } = await send('127.0.3.1', qs);
    assert.equal(whole(replies).length, qs.length);
  });

  it('accounts NXDOMAIN per zone: random names do not escape the limit', async () => {
    const { replies, seconds } = await send('127.0.4.1', names(60, (i) => `nx${i}-${Math.random().toString(36).slice(2)}.example.com`));
    assert.ok(replies.every((r) => decode(r).rcode === 'NXDOMAIN'));
    assert.ok(replies.length <= allowed(RATE, seconds), `${replies.length} NXDOMAIN answers in ${seconds} s`);
  });

  it('accounts wildcard answers per wildcard', async () => {
    const { replies, seconds } = await send('127.0.7.1', names(60, (i) => `host${i}.apps.example.com`));
    assert.ok(replies.every((r) => decode(r).answers!.length > 0), 'wildcard answers');
    assert.ok(replies.length <= allowed(RATE, seconds), `${replies.length} wildcard answers in ${seconds} s`);
  });

  it('accounts referrals per delegation', async () => {
    const { replies, seconds } = await send('127.0.9.1', names(60, (i) => `h${i}.lab.example.com`));
    assert.ok(replies.every((r) => decode(r).authorities!.some((a) => a.type === 'NS' && a.name === 'lab.example.com')), 'referrals');
    assert.ok(replies.length <= allowed(RATE, seconds), `${replies.length} referrals in ${seconds} s`);
  });

  it('never limits the prefixes of RRL_ALLOW', async () => {
    const { replies } = await send('127.0.6.9', names(50, () => 'www.example.com'));
    assert.equal(whole(replies).length, 50);
  });
});

describe('response rate limiting: slip (RRL_RATE=1, RRL_SLIP=1, cookies on)', () => {
  const fx = withServer(ZONES, { env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', RRL_RATE: '1', RRL_SLIP: '1', COOKIE_SECRET: '000102030405060708090a0b0c0d0e0f' } });

  it('a limited answer is sent truncated (TC=1, question only), and the same question over TCP from that client is answered', async () => {
    const q = names(20, () => 'www.example.com');
    const { replies, seconds } = await burst(fx.server.port, '127.0.5.1', q, async (n) => n >= q.length);
    const truncated = replies.filter((r) => decode(r).flag_tc);
    assert.ok(q.length - truncated.length <= allowed(1, seconds), `${q.length - truncated.length} whole answers in ${seconds} s`);
    for (const r of truncated) {
      const d = decode(r);
      assert.deepEqual([d.rcode, d.answers!.length, d.questions![0].name], ['NOERROR', 0, 'www.example.com']);
    }
    const answers = await tcpFrom('127.0.5.1', fx.server.port, q.slice(0, 20));
    assert.equal(answers.filter((r) => decode(r).answers!.length > 0).length, 20, 'TCP is never limited');
  });

  it('dig, limited, gets TC=1 and retries over TCP on its own', async () => {
    // Whether dig's query comes while the bucket is empty depends on timing: drain it and ask, until it does.
    const deadline = Date.now() + 60_000;
    for (;;) {
      await burst(fx.server.port, '127.0.5.2', names(5, () => 'example.com'), async (n) => n >= 5);
      const out = execFileSync('dig', ['-b', '127.0.5.2', '@127.0.0.1', '-p', String(fx.server.port), `+time=${ANSWER_MS / 1000}`, '+tries=1', '+nocookie', 'example.com', 'A'], { encoding: 'utf8' });
      if (/Truncated, retrying in TCP mode/.test(out)) {
        assert.match(out, /status: NOERROR/);
        assert.match(out, /^example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1$/m);
        assert.match(out, /\(TCP\)/);
        return;
      }
      assert.ok(Date.now() < deadline, `dig was never limited in 60 s; last output:\n${out}`);
    }
  });

  it('a limited query with a client cookie gets BADCOOKIE and a server cookie (RFC 7873 §5.2.3); with that cookie, it is not limited', async () => {
    const client = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
    const q = (id: number, cookie: Buffer): Buffer => packet.encode({
      type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ name: 'www.example.com', type: 'A', class: 'IN' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [{ code: 10, data: cookie }] } as unknown as packet.Answer],
    });
    const { replies, seconds } = await burst(fx.server.port, '127.0.8.1', Array.from({ length: 20 }, (_, i) => q(i, client)), async (n) => n >= 20);
    const bad = replies.filter((r) => (r[3] & 0x0f) === 7);
    assert.ok(20 - bad.length <= allowed(1, seconds), `${20 - bad.length} whole answers in ${seconds} s`);
    let cookie: Buffer | null = null;
    for (const r of bad) {
      const d = decode(r);
      const opt = d.additionals!.find((a) => a.type === 'OPT') as unknown as { extendedRcode: number; options: { code: number; data: Buffer }[] };
      assert.equal(opt.extendedRcode, 1, 'BADCOOKIE is 23: 1 in the OPT, 7 in the header');
      assert.equal(d.answers!.length, 0);
      cookie = opt.options.find((o) => o.code === 10)!.data;
      assert.deepEqual(cookie.subarray(0, 8), client);
    }
    assert.ok(cookie);
    const again = await burst(fx.server.port, '127.0.8.1', Array.from({ length: 20 }, (_, i) => q(100 + i, cookie!)), async (n) => n >= 20);
    assert.equal(whole(again.replies).length, 20);
  });
});

describe('response rate limiting: memory bounded under 100,000 sources (RRL_IPV4_PREFIX=32)', () => {
  const fx = withServer(ZONES, { ops: true, env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', RRL_RATE: '1', RRL_IPV4_PREFIX: '32' } });

  it('keeps a fixed table and its memory while 100,000 addresses ask once each', async () => {
    const before = await metrics(fx.ops);
    const { answered, missing } = await manySources(fx.server.port, 100_000, (i) => makeQuery('www.example.com', 'A', { id: i & 0xffff }));
    assert.equal(missing, 0, `${missing} of 100,000 sources got no answer (a source's first query is never limited)`);
    assert.equal(answered, 100_000);
    const after = await metrics(fx.ops);
    const entries = after.get('eclipso_rrl_table_entries')!;
    assert.ok(entries <= 65_536 && entries > 32_768, `${entries} table entries: the table is full, and no larger`);
    const grown = after.get('process_resident_memory_bytes')! - before.get('process_resident_memory_bytes')!;
    assert.ok(grown < 100 * 2 ** 20, `RSS grew by ${Math.round(grown / 2 ** 20)} MiB`);
    assert.equal(loopback(99_999), '127.2.143.250');
  });
});

describe('response rate limiting and cookies in DNS threads (WORKERS=2)', { skip: NEEDS_DNS_THREADS }, () => {
  const fx = withServer(ZONES, {
    ops: true, readyMsg: 'workers ready',
    env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', WORKERS: '2', RRL_RATE: '1', RRL_SLIP: '0', COOKIE_SECRET: '000102030405060708090a0b0c0d0e0f', NSID: 'threads' },
  });

  it('each thread limits, and /metrics sums what they limited', async () => {
    const before = (await metrics(fx.ops)).get('eclipso_rrl_dropped_total')!;
    const q = names(40, () => 'www.example.com');
    const { replies, seconds } = await burst(fx.server.port, '127.0.10.1', q, async (n) => n + (await metrics(fx.ops)).get('eclipso_rrl_dropped_total')! - before >= q.length);
    assert.ok(replies.length <= allowed(1, seconds), `${replies.length} answers in ${seconds} s from one port (one thread)`);
    const m = await metrics(fx.ops);
    assert.equal(m.get('eclipso_rrl_limited_total'), m.get('eclipso_rrl_dropped_total'));
    assert.ok(m.get('eclipso_rrl_table_entries')! >= 1);
  });

  it('every thread reads the settings: NSID and cookies from any of them', () => {
    for (let i = 0; i < 4; i++) {
      const out = execFileSync('dig', ['-b', `127.0.${11 + i}.1`, '@127.0.0.1', '-p', String(fx.server.port), `+time=${ANSWER_MS / 1000}`, '+tries=1', '+nsid', '+cookie', 'example.com', 'A'], { encoding: 'utf8' });
      assert.match(out, /\("threads"\)/);
      assert.match(out, /; COOKIE: [0-9a-f]{48} \(good\)/);
    }
  });
});

/** Sends queries over one TCP connection from `from` and resolves with the replies. */
function tcpFrom(from: string, port: number, queries: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const sock = connect({ port, host: '127.0.0.1', localAddress: from });
    const timer = setTimeout(() => (sock.destroy(), reject(new Error(`TCP from ${from}: ${replies.length} of ${queries.length} replies in ${ANSWER_MS} ms`))), ANSWER_MS);
    sock.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length === queries.length) {
        clearTimeout(timer);
        sock.end();
        resolve(replies);
      }
    });
    sock.on('error', reject);
    sock.write(Buffer.concat(queries.map((q) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]))));
  });
}
