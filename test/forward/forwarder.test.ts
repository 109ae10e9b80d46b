import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as packet from 'dns-packet';
import { ANSWER_MS, makeQuery, tcpRaw, udpRaw, type Decoded } from '../helpers/dns.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { DNS_THREADS, NEEDS_DNS_THREADS, pollUntil, startServer, type ServerProcess } from '../helpers/server.js';
import {
  SPOOFED_ADDRESS, startFakeUpstream, startKnotZone, startNsdZone, TCP_ONLY_ADDRESS, type FakeUpstream, type Upstream,
} from '../helpers/upstreams.js';

/** Our own zones: the seed's examples. */
const ZONES = fileURLToPath(new URL('../../../zones', import.meta.url));

/** NSD's zone: a name, a wildcard for names of our choosing, and an SOA whose MINIMUM (30) is below its TTL. */
const NSD_ZONE = `$ORIGIN nsd.test.
@ 300 IN SOA ns.nsd.test. hostmaster.nsd.test. 1 3600 600 86400 30
@ 300 IN NS ns
ns 300 IN A 127.0.0.1
www 300 IN A 192.0.2.10
*.many 300 IN A 192.0.2.11
`;
const KNOT_ZONE = `$ORIGIN knot.test.
@ 300 IN SOA ns.knot.test. hostmaster.knot.test. 1 3600 600 86400 30
@ 300 IN NS ns
ns 300 IN A 127.0.0.1
www 300 IN A 192.0.2.20
`;

type Fwd = { server: ServerProcess; ops: number };

/** Eclipso on the seed's zones, with these settings and its metrics on a free port. */
async function eclipso(env: Record<string, string>): Promise<Fwd> {
  const ops = await freePort();
  const server = await startServer(ZONES, { env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', ...env }, args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1'] });
  return { server, ops };
}

async function metrics(f: Fwd): Promise<Map<string, number>> {
  return parseMetrics((await httpGet(f.ops, '/metrics')).body);
}

async function ask(port: number, name: string, type = 'A', opts: { rd?: boolean; edns?: number } = {}): Promise<Decoded> {
  const reply = await udpRaw(port, makeQuery(name, type, opts));
  if (!reply) throw new Error(`no UDP reply for ${name} ${type} from port ${port} in ${ANSWER_MS / 1000} s`);
  return packet.decode(reply) as Decoded;
}

/** Sends `query` over UDP from `from` (a loopback address) and resolves with the raw reply. */
function udpFrom(from: string, port: number, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => (s.close(), reject(new Error(`no reply from port ${port} to ${from} in ${ANSWER_MS / 1000} s`))), ANSWER_MS);
    s.on('message', (m) => (clearTimeout(timer), s.close(), resolve(m)));
    s.bind(0, from, () => s.send(query, port, '127.0.0.1'));
  });
}

const addresses = (d: Decoded): string[] => (d.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data));
const ttlOf = (d: Decoded, section: 'answers' | 'authorities'): number => (d[section] as { ttl: number }[])[0].ttl;

describe('forwarder: names outside our zones, asked of NSD and Knot', () => {
  let nsd: Upstream;
  let knot: Upstream;
  let fwd: Fwd;
  let plain: Fwd;
  const nsdTo = (): string => `127.0.0.1:${nsd.port}`;

  before(async () => {
    nsd = await startNsdZone('nsd.test', NSD_ZONE);
    knot = await startKnotZone('knot.test', KNOT_ZONE);
    fwd = await eclipso({ FORWARD_TO: `127.0.0.1:${nsd.port},127.0.0.1:${knot.port}`, FORWARD_ALLOW: '127.0.0.1/32', FORWARD_CACHE_SIZE: '4' });
    plain = await eclipso({});
  });
  after(async () => {
    await Promise.all([fwd?.server.stop(), plain?.server.stop()]);
    await Promise.all([nsd?.stop(), knot?.stop()]);
  });

  it("answers a name of NSD's zone from NSD, with RA set and AA clear (we are no authority for it)", async () => {
    const d = await ask(fwd.server.port, 'www.nsd.test', 'A', { edns: 1232 });
    assert.equal(d.rcode, 'NOERROR');
    assert.deepEqual(addresses(d), ['192.0.2.10']);
    assert.equal(d.flag_ra, true);
    assert.equal(d.flag_aa, false);
    assert.equal(d.flag_rd, true);
  });

  it("answers a name of Knot's zone: NSD refuses it, so Knot, next in FORWARD_TO, is asked", async () => {
    const out = execFileSync('dig', ['@127.0.0.1', '-p', String(fwd.server.port), `+time=${ANSWER_MS / 1000}`, '+tries=1', 'www.knot.test', 'A'], { encoding: 'utf8' });
    assert.match(out, /status: NOERROR/);
    assert.match(out, /flags: qr rd ra;/);
    assert.match(out, /^www\.knot\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.20$/m);
    const m = await metrics(fwd);
    assert.ok((m.get(`eclipso_forward_responses_total{to="${nsdTo()}",rcode="REFUSED"}`) ?? 0) >= 1, 'NSD was asked first and refused');
    assert.equal(m.get(`eclipso_forward_responses_total{to="127.0.0.1:${knot.port}",rcode="NOERROR"}`), 1);
  });

  it('answers over TCP too', async () => {
    const [reply] = await tcpRaw(fwd.server.port, [makeQuery('x.many.nsd.test', 'A')]);
    const d = packet.decode(reply) as Decoded;
    assert.deepEqual(addresses(d), ['192.0.2.11']);
    assert.equal(d.flag_ra, true);
  });

  it('a client outside FORWARD_ALLOW (dig -b 127.0.0.2) gets REFUSED with RA clear, byte for byte what a server without the forwarder says', async () => {
    const out = execFileSync('dig', ['-b', '127.0.0.2', '@127.0.0.1', '-p', String(fwd.server.port), `+time=${ANSWER_MS / 1000}`, '+tries=1', 'www.nsd.test', 'A'], { encoding: 'utf8' });
    assert.match(out, /status: REFUSED/);
    assert.match(out, /flags: qr rd;/);
    const q = makeQuery('www.nsd.test', 'A', { edns: 1232 });
    assert.deepEqual(await udpFrom('127.0.0.2', fwd.server.port, q), await udpFrom('127.0.0.2', plain.server.port, q));
  });

  it('a query with RD clear, from an allowed client, gets the same REFUSED as without the forwarder', async () => {
    const q = makeQuery('www.nsd.test', 'A', { rd: false });
    const [withFwd, without] = [await udpRaw(fwd.server.port, q), await udpRaw(plain.server.port, q)];
    assert.ok(withFwd && without);
    assert.deepEqual(withFwd, without);
    assert.equal((packet.decode(withFwd) as Decoded).flag_ra, false);
  });

  it('answers of our own zones are byte for byte those of a server without the forwarder, over UDP and TCP', async () => {
    const queries = [
      makeQuery('hello_a.net', 'MX', { id: 1 }), makeQuery('WwW.Hello_A.net', 'A', { id: 2, edns: 1232 }), makeQuery('missing.hello_a.net', 'A', { id: 3 }),
      makeQuery('example.com', 'TXT', { id: 4, rd: false }), makeQuery('hello_a.net', 'AAAA', { id: 5, edns: 4096 }), makeQuery('hello_a.net', 'TXT', { id: 6, edns: 512 }),
    ];
    for (const q of queries) {
      assert.deepEqual(await udpRaw(fwd.server.port, q), await udpRaw(plain.server.port, q), `UDP ${packet.decode(q).questions![0].name}`);
    }
    assert.deepEqual(await tcpRaw(fwd.server.port, queries), await tcpRaw(plain.server.port, queries));
  });

  it('serves a positive answer again from the cache, its TTL counted down, without asking NSD', async () => {
    const first = await ask(fwd.server.port, 'ttl.many.nsd.test');
    assert.equal(ttlOf(first, 'answers'), 300);
    const asked = (await metrics(fwd)).get(`eclipso_forward_requests_total{to="${nsdTo()}"}`);
    let later = first;
    await pollUntil(async () => ttlOf(later = await ask(fwd.server.port, 'TTL.many.nsd.test'), 'answers') < 300, 'the cached TTL to go below 300');
    assert.deepEqual(addresses(later), ['192.0.2.11']);
    assert.equal(later.questions![0].name, 'TTL.many.nsd.test', "the question in the client's letter case");
    const m = await metrics(fwd);
    assert.equal(m.get(`eclipso_forward_requests_total{to="${nsdTo()}"}`), asked, 'NSD was not asked again');
    assert.ok(m.get('eclipso_forward_cache_hits_total')! >= 1);
  });

  it("serves NXDOMAIN again from the cache (RFC 2308), the SOA's TTL counted down from its MINIMUM", async () => {
    const first = await ask(fwd.server.port, 'missing.nsd.test');
    assert.equal(first.rcode, 'NXDOMAIN');
    assert.equal(ttlOf(first, 'authorities'), 30);
    const asked = (await metrics(fwd)).get(`eclipso_forward_requests_total{to="${nsdTo()}"}`);
    let later = first;
    await pollUntil(async () => ttlOf(later = await ask(fwd.server.port, 'missing.nsd.test'), 'authorities') < 30, 'the cached SOA TTL to go below 30');
    assert.equal(later.rcode, 'NXDOMAIN');
    assert.equal((await metrics(fwd)).get(`eclipso_forward_requests_total{to="${nsdTo()}"}`), asked, 'NSD was not asked again');
  });

  it('keeps FORWARD_CACHE_SIZE answers (4 here), the least recently used going first', async () => {
    const hitsAndMisses = async (): Promise<[number, number]> => {
      const m = await metrics(fwd);
      return [m.get('eclipso_forward_cache_hits_total')!, m.get('eclipso_forward_cache_misses_total')!];
    };
    for (const n of ['a1', 'a2', 'a3', 'a4']) await ask(fwd.server.port, `${n}.many.nsd.test`);
    const [hits, misses] = await hitsAndMisses();
    await ask(fwd.server.port, 'a1.many.nsd.test'); // a hit: a1 is now the most recently used
    await ask(fwd.server.port, 'a5.many.nsd.test'); // a miss: a2, the least recently used, goes
    assert.deepEqual(await hitsAndMisses(), [hits + 1, misses + 1]);
    await ask(fwd.server.port, 'a1.many.nsd.test');
    assert.deepEqual(await hitsAndMisses(), [hits + 2, misses + 1], 'a1 stayed');
    await ask(fwd.server.port, 'a2.many.nsd.test');
    assert.deepEqual(await hitsAndMisses(), [hits + 2, misses + 2], 'a2 was pushed out');
    assert.equal((await metrics(fwd)).get('eclipso_forward_cache_entries'), 4);
  });

  it('counts per upstream: queries, replies by RCODE, latency', async () => {
    const m = await metrics(fwd);
    const to = `to="${nsdTo()}"`;
    assert.ok(m.get(`eclipso_forward_requests_total{${to}}`)! >= 5);
    assert.ok(m.get(`eclipso_forward_responses_total{${to},rcode="NOERROR"}`)! >= 4);
    assert.equal(m.get(`eclipso_forward_responses_total{${to},rcode="NXDOMAIN"}`), 1);
    assert.equal(m.get(`eclipso_forward_timeouts_total{${to}}`), 0);
    assert.equal(m.get(`eclipso_forward_request_duration_seconds_count{${to}}`), m.get(`eclipso_forward_requests_total{${to}}`));
    assert.equal(m.get(`eclipso_forward_request_duration_seconds_bucket{${to},le="+Inf"}`), m.get(`eclipso_forward_requests_total{${to}}`));
    assert.equal(m.get('eclipso_forward_max_concurrent_rejects_total'), 0);
  });
});

describe('forwarder: upstreams that do not answer, or answer wrongly', () => {
  let nsd: Upstream;
  const fakes: FakeUpstream[] = [];
  const started: Fwd[] = [];
  const start = async (env: Record<string, string>): Promise<Fwd> => {
    const f = await eclipso(env);
    started.push(f);
    return f;
  };
  const fake = async (how: Parameters<typeof startFakeUpstream>[0]): Promise<FakeUpstream> => {
    const f = await startFakeUpstream(how);
    fakes.push(f);
    return f;
  };

  before(async () => {
    nsd = await startNsdZone('nsd.test', NSD_ZONE);
  });
  after(async () => {
    await Promise.all(started.map((f) => f.server.stop()));
    await Promise.all(fakes.map((f) => f.stop()));
    await nsd?.stop();
  });

  it('drops replies with a wrong ID or from a wrong port, waits out a silent upstream, and takes the next; then skips them until they answer a probe', async () => {
    const [wrongId, wrongPort, silent] = [await fake('wrongId'), await fake('wrongPort'), await fake('silent')];
    const to = (f: { port: number }): string => `to="127.0.0.1:${f.port}"`;
    const fwd = await start({ FORWARD_TO: [wrongId, wrongPort, silent, nsd].map((f) => `127.0.0.1:${f.port}`).join(','), FORWARD_TIMEOUT: '0.3' });
    const d = await ask(fwd.server.port, 'www.nsd.test');
    assert.deepEqual(addresses(d), ['192.0.2.10'], `NSD's answer, not the spoofed ${SPOOFED_ADDRESS}`);
    for (const f of [wrongId, wrongPort, silent]) assert.equal(f.udpQueries, 1, 'each was asked once, in turn');
    let m = await metrics(fwd);
    for (const f of [wrongId, wrongPort, silent]) assert.equal(m.get(`eclipso_forward_timeouts_total{${to(f)}}`), 1);

    // A second failure in a row marks each unhealthy: from then on they are skipped.
    assert.deepEqual(addresses(await ask(fwd.server.port, 'b.many.nsd.test')), ['192.0.2.11']);
    for (const f of [wrongId, wrongPort, silent]) {
      await fwd.server.waitFor((l) => l.msg === 'upstream unhealthy; skipped until it answers a probe' && l.upstream === `127.0.0.1:${f.port}`);
    }
    m = await metrics(fwd);
    const before = [wrongId, wrongPort, silent].map((f) => m.get(`eclipso_forward_requests_total{${to(f)}}`));
    assert.deepEqual(addresses(await ask(fwd.server.port, 'c.many.nsd.test')), ['192.0.2.11']);
    m = await metrics(fwd);
    assert.deepEqual([wrongId, wrongPort, silent].map((f) => m.get(`eclipso_forward_requests_total{${to(f)}}`)), before, 'unhealthy upstreams are skipped');
    assert.equal(m.get(`eclipso_forward_requests_total{${to(nsd)}}`), 3);

    // Probed in the background: the silent one that starts answering is used again.
    await pollUntil(async () => (await metrics(fwd)).get(`eclipso_forward_healthcheck_failures_total{${to(silent)}}`)! >= 2, 'a probe of the silent upstream to go unanswered');
    silent.how = 'answers';
    await fwd.server.waitFor((l) => l.msg === 'upstream answers again; forwarding to it' && l.upstream === `127.0.0.1:${silent.port}`);
  });

  it('over TCP, answers a query whose client sent its FIN with it, once the upstream replies (here after the timeout of a silent one)', async () => {
    const silent = await fake('silent');
    const fwd = await start({ FORWARD_TO: `127.0.0.1:${silent.port},127.0.0.1:${nsd.port}`, FORWARD_TIMEOUT: '0.3' });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const q = makeQuery('fin.many.nsd.test', 'A');
      const framed = Buffer.alloc(2 + q.length);
      framed.writeUInt16BE(q.length, 0);
      q.copy(framed, 2);
      let got = Buffer.alloc(0);
      const sock = connect(fwd.server.port, '127.0.0.1', () => sock.end(framed));
      const timer = setTimeout(() => (sock.destroy(), reject(new Error(`no TCP answer in ${ANSWER_MS / 1000} s`))), ANSWER_MS);
      sock.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
      sock.on('error', reject);
      sock.on('close', () => (clearTimeout(timer), resolve(got)));
    });
    assert.ok(reply.length > 2, 'an answer came before the server closed the connection');
    assert.deepEqual(addresses(packet.decode(reply.subarray(2)) as Decoded), ['192.0.2.11']);
  });

  it('asks each upstream from a fresh port with a fresh ID, passing DO on; FORWARD_POLICY=random spreads the queries', async () => {
    const [one, two] = [await fake('answers'), await fake('answers')];
    const fwd = await start({ FORWARD_TO: `127.0.0.1:${one.port},127.0.0.1:${two.port}`, FORWARD_POLICY: 'random' });
    const QUERIES = 20;
    for (let i = 0; i < QUERIES; i++) {
      const q = packet.encode({
        type: 'query', id: 4242, flags: packet.RECURSION_DESIRED, questions: [{ name: `r${i}.example.net`, type: 'A', class: 'IN' }],
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: packet.DNSSEC_OK, options: [] } as unknown as packet.Answer],
      });
      const reply = await udpRaw(fwd.server.port, q);
      assert.ok(reply, `an answer to query ${i}`);
      assert.equal(packet.decode(reply).id, 4242);
    }
    const got = [...one.received, ...two.received];
    assert.equal(got.length, QUERIES);
    assert.ok(one.received.length > 0 && two.received.length > 0, `both were asked (${one.received.length} and ${two.received.length})`);
    // Random 16-bit IDs and ports from the kernel's ephemeral range: a repeat or two among 20 is chance, more is not.
    assert.ok(new Set(got.map((g) => g.port)).size >= QUERIES - 2, 'a fresh source port per query');
    assert.ok(new Set(got.map((g) => g.query.readUInt16BE(0))).size >= QUERIES - 2, 'a fresh ID per query');
    for (const g of got) {
      const opt = packet.decode(g.query).additionals!.find((r) => r.type === 'OPT') as unknown as { flags: number } | undefined;
      assert.equal((opt?.flags ?? 0) & packet.DNSSEC_OK, packet.DNSSEC_OK, 'DO passed on');
    }
  });

  it('asks again over TCP when the reply has TC=1', async () => {
    const truncates = await fake('truncates');
    const fwd = await start({ FORWARD_TO: `127.0.0.1:${truncates.port}` });
    const d = await ask(fwd.server.port, 'big.example.net');
    assert.deepEqual(addresses(d), [TCP_ONLY_ADDRESS]);
    assert.equal(truncates.udpQueries, 1);
    assert.equal(truncates.tcpQueries, 1);
  });

  it('answers SERVFAIL when no upstream answers, and REFUSED at once above FORWARD_MAX_CONCURRENT', async () => {
    const silent = await fake('silent');
    const fwd = await start({ FORWARD_TO: `127.0.0.1:${silent.port}`, FORWARD_TIMEOUT: '3', FORWARD_MAX_CONCURRENT: '1' });
    const first = udpRaw(fwd.server.port, makeQuery('one.example.net', 'A', { edns: 1232 }));
    await pollUntil(() => silent.udpQueries === 1, 'the first query to reach the silent upstream');
    // The first query holds the only slot until its timeout: the second is refused, not queued.
    const second = await ask(fwd.server.port, 'two.example.net');
    assert.equal(second.rcode, 'REFUSED');
    assert.equal(second.flag_ra, true, 'RA: this client may recurse');
    assert.equal(silent.udpQueries, 1, 'the second query never went upstream');
    const reply = await first;
    assert.ok(reply, 'the first query was answered');
    const d = packet.decode(reply) as Decoded;
    assert.equal(d.rcode, 'SERVFAIL');
    assert.equal(d.flag_ra, true);
    // RFC 8914: Extended DNS Error 22, No Reachable Authority.
    const opt = d.additionals!.find((a) => a.type === 'OPT') as unknown as { options: { code: number; data: Buffer }[] };
    assert.deepEqual(opt.options.map((o) => [o.code, o.data.readUInt16BE(0)]), [[15, 22]]);
    assert.equal((await metrics(fwd)).get('eclipso_forward_max_concurrent_rejects_total'), 1);
  });

  it('forwards only names under FORWARD_ZONES', async () => {
    const fwd = await start({ FORWARD_TO: `127.0.0.1:${nsd.port}`, FORWARD_ZONES: 'many.nsd.test' });
    assert.deepEqual(addresses(await ask(fwd.server.port, 'z.MANY.nsd.test')), ['192.0.2.11']);
    const other = await ask(fwd.server.port, 'www.nsd.test');
    assert.equal(other.rcode, 'REFUSED');
    assert.equal(other.flag_ra, false);
  });

  it('with DNS threads (WORKERS=2), the metrics are summed over them', { skip: NEEDS_DNS_THREADS }, async () => {
    assert.ok(DNS_THREADS);
    const fwd = await start({ FORWARD_TO: `127.0.0.1:${nsd.port}`, WORKERS: '2' });
    await fwd.server.waitFor((l) => l.msg === 'workers ready');
    // Each query from a socket of its own: the kernel spreads them over the threads by source port.
    for (let i = 0; i < 8; i++) assert.deepEqual(addresses(await ask(fwd.server.port, `w${i}.many.nsd.test`)), ['192.0.2.11']);
    const m = await metrics(fwd);
    assert.equal(m.get(`eclipso_forward_requests_total{to="127.0.0.1:${nsd.port}"}`), 8);
    assert.equal(m.get('eclipso_forward_cache_misses_total'), 8);
  });
});
