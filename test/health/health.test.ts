import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ANSWER_MS, query } from '../helpers/dns.js';
import { httpGet, parseMetrics } from '../helpers/ops.js';
import { eventually, NEEDS_DNS_THREADS, pollUntil, withServer, type ServerProcess } from '../helpers/server.js';

const run = promisify(execFile);

/**
 * A server to probe on a loopback address (127.0.0.2, 127.0.0.3, …: all answer on Linux's lo),
 * turned off and on, counting the connections it accepts (each probe opens one).
 */
class Backend {
  connections = 0;
  private server: Server | HttpServer | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(readonly address: string, readonly kind: 'http' | 'tcp') {}

  async on(port: number): Promise<void> {
    const server = this.kind === 'http'
      ? createHttpServer((_req, res) => res.writeHead(200).end('ok'))
      : createTcpServer((s) => s.end());
    server.on('connection', (s: Socket) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, this.address, () => resolve()));
    this.server = server;
  }

  async off(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

/** A port free on 127.0.0.2 (and, almost surely, on the other loopback addresses the tests use). */
async function freeLoopbackPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.2', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** `dig +short`'s answer lines, sorted. */
async function dig(port: number, name: string, type = 'A'): Promise<string[]> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), `+time=${ANSWER_MS / 1000}`, '+tries=1', '+short', name, type]);
  return stdout.split('\n').filter((l) => l !== '').sort();
}

/** The server's health transitions, for a failure's message. */
function transitions(server: ServerProcess): string {
  return server.logs.filter((l) => l.msg.startsWith('health check')).map((l) => JSON.stringify(l)).join('\n');
}

/** Retries `check` until it passes; if it never does, its last error with the server's health transitions. */
async function until(server: ServerProcess, check: () => Promise<void>): Promise<void> {
  try {
    await eventually(check);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nhealth transitions:\n${transitions(server)}`);
  }
}

/** Retries until `dig` answers `expected`, saying what it last answered. */
function digUntil(server: ServerProcess, name: string, expected: string[], what: string): Promise<void> {
  return until(server, async () => assert.deepEqual(await dig(server.port, name), expected, `${what}: ${name}`));
}

const PORT = await freeLoopbackPort();

/** Probes every 0.2 s (fractions of a second are allowed), down after 2 failures, up after 2 successes. */
const CHECK = `interval = 0.2\ntimeout = 0.2\nrise = 2\nfall = 2\nport = ${PORT}\n`;

function alphaZone(withThree = true): string {
  return `[domain]
domain = "alpha.test"

[defaults]
health_ttl = 5

[[health_checks]]
name = "web"
type = "http"
path = "/healthz"
host = "www.alpha.test"
${CHECK}
[[health_checks]]
name = "port"
type = "tcp"
fail = "closed"
${CHECK}
[[records]]
domain = "www"
address = "127.0.0.2"
health_check = "web"
${withThree ? '\n[[records]]\ndomain = "www"\naddress = "127.0.0.3"\nhealth_check = "web"\n' : ''}
[[records]]
domain = "only"
address = "127.0.0.4"
health_check = "port"

[[records]]
domain = "fo"
address = "127.0.0.5"
health_check = "web"

[[records]]
domain = "fo"
address = "192.0.2.55"
failover = "secondary"
health_check = "web"
check_address = "127.0.0.6"

[[records]]
domain = "fo"
address = "192.0.2.56"
failover = "secondary"
`;
}

/** Another zone with the same probe of 127.0.0.2 as alpha.test's (another name): one prober for both. */
const BETA = `[domain]
domain = "beta.test"

[[health_checks]]
name = "same"
type = "http"
path = "/healthz"
host = "www.alpha.test"
${CHECK}
[[records]]
domain = "www"
address = "127.0.0.2"
health_check = "same"
`;

describe('health-checked answers (real probes of servers turned off and on)', () => {
  const backends = {
    two: new Backend('127.0.0.2', 'http'),
    three: new Backend('127.0.0.3', 'http'),
    four: new Backend('127.0.0.4', 'tcp'),
    five: new Backend('127.0.0.5', 'http'),
    six: new Backend('127.0.0.6', 'http'),
  };
  before(async () => {
    for (const b of Object.values(backends)) await b.on(PORT);
  });
  after(async () => {
    for (const b of Object.values(backends)) await b.off();
  });
  const fx = withServer({ 'alpha.test.toml': alphaZone(), 'beta.test.toml': BETA }, { ops: true });
  const metrics = async (): Promise<Map<string, number>> => parseMetrics((await httpGet(fx.ops, '/metrics')).body);
  const up = (check: string, zone: string, target: string): string => `eclipso_health_check_up{check="${check}",zone="${zone}",target="${target}"}`;

  it('serves every record while its servers are up, with the TTL capped at health_ttl', async () => {
    await digUntil(fx.server, 'www.alpha.test', ['127.0.0.2', '127.0.0.3'], 'both up');
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(fx.server.port), '+noall', '+answer', 'www.alpha.test', 'A']);
    assert.match(stdout, /www\.alpha\.test\.\s+5\s+IN\s+A\s+127\.0\.0\.2/);
  });

  it('leaves a record out while its server is down, and brings it back when it is up again', async () => {
    await backends.three.off();
    await digUntil(fx.server, 'www.alpha.test', ['127.0.0.2'], '127.0.0.3 off');
    const down = await fx.server.waitFor((l) => l.msg === 'health check down' && l.target === '127.0.0.3');
    assert.equal(down.zone, 'alpha.test.');
    assert.equal(down.check, 'web');
    assert.equal(down.reason, 'ECONNREFUSED');
    assert.equal((await metrics()).get(up('web', 'alpha.test.', '127.0.0.3')), 0);
    await backends.three.on(PORT);
    await digUntil(fx.server, 'www.alpha.test', ['127.0.0.2', '127.0.0.3'], '127.0.0.3 on again');
    await fx.server.waitFor((l) => l.msg === 'health check up' && l.target === '127.0.0.3');
    const m = await metrics();
    assert.equal(m.get(up('web', 'alpha.test.', '127.0.0.3')), 1);
    assert.ok((m.get(`eclipso_health_check_transitions_total{check="web",zone="alpha.test.",target="127.0.0.3"}`) ?? 0) >= 2);
  });

  it('fails open: with every server down, every record is served', async () => {
    await backends.two.off();
    await backends.three.off();
    await pollUntil(async () => {
      const m = await metrics();
      return m.get(up('web', 'alpha.test.', '127.0.0.2')) === 0 && m.get(up('web', 'alpha.test.', '127.0.0.3')) === 0;
    }, 'both checks of www.alpha.test down in /metrics');
    assert.deepEqual(await dig(fx.server.port, 'www.alpha.test'), ['127.0.0.2', '127.0.0.3']);
    await backends.two.on(PORT);
    await digUntil(fx.server, 'www.alpha.test', ['127.0.0.2'], 'only 127.0.0.2 back');
    await backends.three.on(PORT);
    await digUntil(fx.server, 'www.alpha.test', ['127.0.0.2', '127.0.0.3'], 'both back');
  });

  it('fails closed when the check says fail = "closed": NODATA while down', async () => {
    await digUntil(fx.server, 'only.alpha.test', ['127.0.0.4'], 'tcp server up');
    await backends.four.off();
    await until(fx.server, async () => {
      const r = await query(fx.server.port, 'only.alpha.test', 'A');
      assert.equal(r.rcode, 'NOERROR');
      assert.deepEqual(r.answers, [], 'no address while the tcp check is down');
      assert.equal(r.authorities?.[0]?.type, 'SOA');
    });
    await backends.four.on(PORT);
    await digUntil(fx.server, 'only.alpha.test', ['127.0.0.4'], 'tcp server back');
  });

  it('serves failover secondaries only while no primary is up; check_address is probed in place of the address', async () => {
    await digUntil(fx.server, 'fo.alpha.test', ['127.0.0.5'], 'primary up');
    assert.ok(backends.six.connections > 0, 'check_address 127.0.0.6 is probed');
    await backends.five.off();
    await digUntil(fx.server, 'fo.alpha.test', ['192.0.2.55', '192.0.2.56'], 'primary down: the secondaries');
    await backends.six.off();
    await digUntil(fx.server, 'fo.alpha.test', ['192.0.2.56'], 'primary down, 192.0.2.55 down by its check_address');
    await backends.six.on(PORT);
    await backends.five.on(PORT);
    await digUntil(fx.server, 'fo.alpha.test', ['127.0.0.5'], 'primary back');
  });

  it('probes a target once for every zone that checks it the same way', async () => {
    const key = (zone: string, check: string): string => `eclipso_health_check_probes_total{check="${check}",zone="${zone}",target="127.0.0.2"}`;
    await pollUntil(async () => ((await metrics()).get(key('beta.test.', 'same')) ?? 0) >= 5, 'five probes of 127.0.0.2 for beta.test');
    const m = await metrics();
    const probes = m.get(key('alpha.test.', 'web'))!;
    assert.equal(m.get(key('beta.test.', 'same')), probes, 'one prober, counted for both zones');
    // Each probe is one connection; two probers would make twice as many.
    assert.ok(backends.two.connections <= probes + 2, `${backends.two.connections} connections for ${probes} probes`);
  });

  it('stops the probes of a check the zone no longer has', async () => {
    fx.dir.write('alpha.test.toml', alphaZone(false));
    await fx.server.next('zone loaded');
    await digUntil(fx.server, 'www.alpha.test', ['127.0.0.2'], 'the new version without 127.0.0.3');
    const three = backends.three.connections;
    const two = backends.two.connections;
    // While 127.0.0.2 is probed ten times more, 127.0.0.3 is not probed again (one probe may have been under way).
    await pollUntil(() => backends.two.connections >= two + 10, 'ten more probes of 127.0.0.2');
    assert.ok(backends.three.connections <= three + 1, `127.0.0.3 probed ${backends.three.connections - three} times after its check was removed`);
    assert.equal((await metrics()).has(up('web', 'alpha.test.', '127.0.0.3')), false);
  });
});

describe('health-checked answers with DNS threads (WORKERS=2)', { skip: NEEDS_DNS_THREADS }, () => {
  const backend = new Backend('127.0.0.7', 'tcp');
  before(() => backend.on(PORT));
  after(() => backend.off());
  const fx = withServer({
    'gamma.test.toml': `[domain]\ndomain = "gamma.test"\n\n[[health_checks]]\nname = "port"\ntype = "tcp"\n${CHECK}\n[[records]]\ndomain = "www"\naddress = "127.0.0.7"\nhealth_check = "port"\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.77"\n`,
  }, { env: { WORKERS: '2' }, readyMsg: 'workers ready' });

  /** Many queries, each from its own socket (the kernel spreads them over both threads): all answer `expected`. */
  const allSay = (expected: string[], what: string): Promise<void> => until(fx.server, async () => {
    for (let i = 0; i < 20; i++) {
      const r = await query(fx.server.port, 'www.gamma.test', 'A');
      assert.deepEqual((r.answers ?? []).map((a) => String((a as { data: unknown }).data)).sort(), expected, what);
    }
  });

  it('a state change reaches every DNS thread', async () => {
    await allSay(['127.0.0.7', '192.0.2.77'], 'both served');
    await backend.off();
    await allSay(['192.0.2.77'], '127.0.0.7 down, on every thread');
    await backend.on(PORT);
    await allSay(['127.0.0.7', '192.0.2.77'], '127.0.0.7 back on every thread');
  });
});
