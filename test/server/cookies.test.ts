import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as packet from 'dns-packet';
import { ANSWER_MS, udpRaw } from '../helpers/dns.js';
import { freePort } from '../helpers/ops.js';
import { pollUntil, startServer, withServer, type ServerProcess } from '../helpers/server.js';

const ZONES = fileURLToPath(new URL('../../../zones', import.meta.url));
const SECRET = '000102030405060708090a0b0c0d0e0f';
const OTHER_SECRET = 'f0e0d0c0b0a090807060504030201000';
const CLIENT = Buffer.from('0102030405060708', 'hex');

function run(tool: 'dig' | 'kdig', port: number, ...args: string[]): string {
  const retry = tool === 'dig' ? '+tries=1' : '+retry=0';
  return execFileSync(tool, ['@127.0.0.1', '-p', String(port), `+time=${ANSWER_MS / 1000}`, retry, ...args], { encoding: 'utf8' });
}

/** A query carrying a COOKIE option (RFC 7873 §4) of these octets. */
function cookieQuery(name: string, cookie: Buffer, id = 7): Buffer {
  return packet.encode({
    type: 'query', id, flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: 'A', class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [{ code: 10, data: cookie }] } as unknown as packet.Answer],
  });
}

interface CookieReply { rcode: string; cookie: Buffer | null }

/** Asks `port` with `cookie`; the RCODE (extended, from the OPT) and the COOKIE option sent back. */
async function ask(port: number, name: string, cookie: Buffer): Promise<CookieReply> {
  const reply = await udpRaw(port, cookieQuery(name, cookie));
  assert.ok(reply, `no reply from port ${port}`);
  const header = reply.readUInt16BE(2) & 0xf;
  const r = packet.decode(reply);
  const opt = (r.additionals ?? []).find((a) => a.type === 'OPT') as unknown as { extendedRcode?: number; options: { code: number; data: Buffer }[] } | undefined;
  const rcode = ((opt?.extendedRcode ?? 0) << 4) | header;
  const names: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 3: 'NXDOMAIN', 5: 'REFUSED', 23: 'BADCOOKIE' };
  const option = opt?.options.find((o) => o.code === 10);
  return { rcode: names[rcode] ?? String(rcode), cookie: option ? Buffer.from(option.data) : null };
}

describe('DNS cookies (RFC 7873, RFC 9018) with dig and kdig', () => {
  const fx = withServer(ZONES, { env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', COOKIE_SECRET: SECRET } });

  it('dig +cookie gets a server cookie and, sending it back, keeps it (valid: "good")', () => {
    const first = run('dig', fx.server.port, '+cookie', 'hello_a.net', 'A');
    const m = /; COOKIE: ([0-9a-f]{48}) \(good\)/.exec(first);
    assert.ok(m, first);
    const again = run('dig', fx.server.port, `+cookie=${m[1]}`, 'hello_a.net', 'A');
    assert.match(again, new RegExp(`; COOKIE: ${m[1]} \\(good\\)`));
    assert.match(again, /status: NOERROR/);
  });

  it('kdig +cookie gets one too, over UDP and TCP, with the RFC 9018 version 1 layout', () => {
    for (const tcp of [[], ['+tcp']]) {
      const out = run('kdig', fx.server.port, ...tcp, '+cookie=0102030405060708', 'hello_a.net', 'A');
      assert.match(out, /;; COOKIE: 0102030405060708010000[0-9A-F]{26}\n/);
      assert.match(out, /status: NOERROR/);
    }
  });

  it('a malformed COOKIE option is FORMERR (RFC 7873 §5.2.2): client cookie not 8 octets, server cookie not 8 to 32', async () => {
    for (const length of [1, 7, 9, 15, 41]) {
      assert.equal((await ask(fx.server.port, 'hello_a.net', Buffer.alloc(length, 1))).rcode, 'FORMERR', `${length} octets`);
    }
    assert.equal((await ask(fx.server.port, 'hello_a.net', Buffer.alloc(40, 1))).rcode, 'NOERROR', '8 + 32 octets: a bad cookie, not malformed');
  });

  it('a bad or expired server cookie gets a fresh one, and the answer (not BADCOOKIE)', async () => {
    const made = (await ask(fx.server.port, 'hello_a.net', CLIENT)).cookie!;
    const forged = Buffer.from(made);
    forged[23] ^= 1;
    const r = await ask(fx.server.port, 'hello_a.net', forged);
    assert.equal(r.rcode, 'NOERROR');
    assert.notDeepEqual(r.cookie, forged);
    assert.deepEqual(r.cookie!.subarray(0, 8), CLIENT);
    const old = Buffer.from(made);
    old.writeUInt32BE(old.readUInt32BE(12) - 7200, 12);
    const aged = await ask(fx.server.port, 'hello_a.net', old);
    assert.equal(aged.rcode, 'NOERROR');
    assert.ok(aged.cookie!.readUInt32BE(12) >= made.readUInt32BE(12), 'stamped now');
  });
});

describe('cookies between two Eclipso processes and Knot sharing one secret', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let other: ServerProcess;
  let knot: { port: number; stop: () => Promise<void> };
  const zone = mkdtempSync(join(tmpdir(), 'eclipso-knot-cookies-'));

  before(async () => {
    const env = { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', COOKIE_SECRET: SECRET };
    [a, b, other] = await Promise.all([
      startServer(ZONES, { env }),
      // Rate limited to 1 a second: what a valid cookie exempts from (RFC 7873 §5.2.5).
      startServer(ZONES, { env: { ...env, RRL_RATE: '1', RRL_SLIP: '0' } }),
      startServer(ZONES, { env: { ...env, COOKIE_SECRET: OTHER_SECRET } }),
    ]);
    knot = await startKnot(zone, SECRET);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), other?.stop(), knot?.stop()]);
    rmSync(zone, { recursive: true, force: true });
  });

  it('a cookie one process made is valid at the other (sent back unchanged), not at one with another secret', async () => {
    const made = (await ask(a.port, 'hello_a.net', CLIENT)).cookie!;
    assert.equal(made.length, 24);
    assert.deepEqual((await ask(b.port, 'hello_a.net', made)).cookie, made);
    assert.notDeepEqual((await ask(other.port, 'hello_a.net', made)).cookie, made);
  });

  it('with it, a client is not rate limited; without, it is', async () => {
    const made = (await ask(a.port, 'hello_a.net', CLIENT)).cookie!;
    const withCookie = await Promise.all(Array.from({ length: 20 }, () => ask(b.port, 'www.hello_a.net', made)));
    assert.deepEqual(new Set(withCookie.map((r) => r.rcode)), new Set(['NOERROR']));
    const plain = await Promise.all(Array.from({ length: 20 }, (_, i) => udpRaw(b.port, cookieQuery('host-1.hello_a.net', Buffer.alloc(0), i), 1000)));
    assert.ok(plain.filter((r) => r !== null).length < 20, 'some of 20 queries without a cookie were dropped at 1 a second');
  });

  it('Knot\'s mod-cookies (same secret) takes our cookie, and we take Knot\'s', async () => {
    const ours = (await ask(a.port, 'hello_a.net', CLIENT)).cookie!;
    const atKnot = await ask(knot.port, 'www.example.test', ours);
    assert.equal(atKnot.rcode, 'NOERROR', 'Knot answers BADCOOKIE to a cookie it does not take');
    // Knot answers a client cookie alone with BADCOOKIE and its cookie: we take that one.
    const knots = (await ask(knot.port, 'www.example.test', CLIENT)).cookie!;
    assert.equal(knots.length, 24);
    assert.deepEqual((await ask(a.port, 'hello_a.net', knots)).cookie, knots);
    const forged = await ask(knot.port, 'www.example.test', Buffer.concat([CLIENT, Buffer.alloc(16, 1)]));
    assert.equal(forged.rcode, 'BADCOOKIE', 'and refuses a forged one: the check above means something');
  });
});

/** knotd on 127.0.0.1 with mod-cookies and `secret`, serving example.test. */
async function startKnot(dir: string, secret: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  writeFileSync(join(dir, 'example.test.zone'), `$ORIGIN example.test.
@ 3600 IN SOA ns hostmaster 1 3600 600 86400 60
@ 3600 IN NS ns
ns 3600 IN A 192.0.2.1
www 3600 IN A 192.0.2.2
`);
  writeFileSync(join(dir, 'knot.conf'), `server:
  listen: 127.0.0.1@${port}
  rundir: "${dir}"
log:
  - target: stdout
    any: info
database:
  storage: "${dir}"
mod-cookies:
  - id: shared
    secret: 0x${secret}
template:
  - id: default
    storage: "${dir}"
    global-module: mod-cookies/shared
zone:
  - domain: example.test
    file: example.test.zone
`);
  const child = spawn('knotd', ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const probe = packet.encode({ type: 'query', id: 1, questions: [{ name: 'www.example.test', type: 'A', class: 'IN' }] });
  await pollUntil(async () => (await udpRaw(port, probe, 500)) !== null, `knotd to answer on port ${port} (its log: ${log})`);
  return {
    port,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
