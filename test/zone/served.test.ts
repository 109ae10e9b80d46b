import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lines, query, queryTcp } from '../helpers/dns.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { DNS_THREADS, startServer, ZoneDir, type LogLine, type ServerProcess } from '../helpers/server.js';

/** Log lines come after start-up or a reload: generous, for a busy machine. */
const LOG_DEADLINE_MS = 30_000;

const GOOD = [
  '[domain]', 'domain = "good.test"', // 1-2
  '[[records]]', 'type = "NS"', 'address = "ns.good.test."', // 3-5, record 1
  '[[records]]', 'domain = "ns"', 'address = "192.0.2.53"', // 6-8, record 2
  '[[records]]', 'domain = "bücher"', 'address = "192.0.2.7"', // 9-11, record 3
  '[[records]]', 'domain = "shop"', 'type = "MX"', 'address = "mail.bücher.good.test."', // 12-15, record 4
  '[[records]]', 'domain = "alias"', 'type = "CNAME"', 'address = "ns.good.test."', // 16-19, record 5
  '[[records]]', 'domain = "mx"', 'type = "MX"', 'address = "alias.good.test."', // 20-23, record 6
].join('\n') + '\n';

const BIG_TXT = `[domain]\ndomain = "big.test"\n[[records]]\ndomain = "www"\ntype = "TXT"\naddress = "${'x'.repeat(70000)}"\n`;
/** Line 5 holds 0xFC, a Latin-1 ü: not UTF-8. */
const LATIN1 = Buffer.concat([
  Buffer.from('[domain]\ndomain = "latin.test"\n[[records]]\ntype = "TXT"\naddress = "b'),
  Buffer.from([0xfc]),
  Buffer.from('cher"\n'),
]);

/** The same, past 64 KiB (a comment before line 5): its octets are checked where read, decoded where compiled. */
const LATIN1_LARGE = Buffer.concat([
  Buffer.from(`[domain]\ndomain = "latin-large.test"\n# ${'x'.repeat(70_000)}\n[[records]]\naddress = "b`),
  Buffer.from([0xfc]),
  Buffer.from('cher"\n'),
]);

const errorLine = (server: ServerProcess, re: RegExp): Promise<LogLine> =>
  server.waitFor((l) => l.level === 'error' && re.test(l.msg), LOG_DEADLINE_MS);

async function rejectedCount(ops: number): Promise<number | undefined> {
  const m = parseMetrics((await httpGet(ops, '/metrics')).body);
  return [...m].find(([k]) => k.startsWith('eclipso_reload_errors_total'))?.[1];
}

describe('zone files with values the server cannot serve (WORKERS=1, at start)', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let ops: number;
  before(async () => {
    dir.write('good.test.toml', GOOD);
    dir.write('big.test.toml', BIG_TXT);
    dir.write('latin.test.toml', LATIN1);
    dir.write('latin-large.test.toml', LATIN1_LARGE);
    dir.write('a..b.toml', '[domain]\ndomain = "a.b"\n');
    ops = await freePort();
    server = await startServer(dir.path, { args: ['--metrics-port', String(ops), '--log-ignore'] });
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('starts and serves the good zone beside them', async () => {
    assert.deepEqual(lines((await query(server.port, 'ns.good.test', 'A')).answers), ['ns.good.test 3600 A 192.0.2.53']);
  });

  it('rejects a 70,000-octet TXT with file, line, record and field, and does not serve that zone', async () => {
    await errorLine(server, /big\.test\.toml:6: record 1: address: the TXT data is 70,275 octets on the wire; a record holds at most 65,535/);
    assert.equal((await query(server.port, 'www.big.test', 'TXT')).rcode, 'REFUSED');
  });

  it('rejects a file that is not UTF-8, naming the line, instead of serving U+FFFD', async () => {
    await errorLine(server, /latin\.test\.toml:5: not UTF-8/);
    assert.equal((await query(server.port, 'latin.test', 'TXT')).rcode, 'REFUSED');
    await errorLine(server, /latin-large\.test\.toml:5: not UTF-8/);
    assert.equal((await query(server.port, 'latin-large.test', 'TXT')).rcode, 'REFUSED');
  });

  it('rejects a file whose name is no domain name, instead of failing to start', async () => {
    await errorLine(server, /a\.\.b\.toml:2: \[domain\] domain: "a\.b" does not match the file name a\.\.b\.toml; rename the file to a\.b\.toml/);
  });

  it('counts the four rejected files in eclipso_reload_errors_total', async () => {
    assert.equal(await rejectedCount(ops), 4);
  });

  it('serves an internationalised owner and MX target under their A-labels', async () => {
    assert.deepEqual(lines((await query(server.port, 'xn--bcher-kva.good.test', 'A')).answers), ['xn--bcher-kva.good.test 3600 A 192.0.2.7']);
    assert.deepEqual(lines((await query(server.port, 'shop.good.test', 'MX')).answers), ['shop.good.test 3600 MX 10 mail.xn--bcher-kva.good.test']);
  });

  it('logs a warning with file, line, record and field for an MX pointing at a CNAME, and still serves the zone', async () => {
    const warning = await server.waitFor((l) => l.level === 'warn' && /good\.test\.toml:23: record 6: address: alias\.good\.test\. is an alias \(the CNAME of record 5\), and RFC 2181 §10\.3/.test(l.msg), LOG_DEADLINE_MS);
    assert.match(String(warning.file), /good\.test\.toml$/);
    assert.deepEqual(lines((await query(server.port, 'mx.good.test', 'MX')).answers), ['mx.good.test 3600 MX 10 alias.good.test']);
  });
});

describe('a 70,000-octet TXT added while serving (WORKERS=2: it used to crash every worker process in a loop)', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let ops: number;
  before(async () => {
    dir.write('good.test.toml', GOOD);
    ops = await freePort();
    server = await startServer(dir.path, { args: ['--metrics-port', String(ops), '--log-ignore'], env: { WORKERS: '2' } });
    if (DNS_THREADS) await server.waitFor((l) => l.msg === 'workers ready', LOG_DEADLINE_MS);
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('is rejected with file, line, record and field; no worker exits and the good zone keeps answering', async () => {
    dir.write('big.test.toml', BIG_TXT);
    await errorLine(server, /big\.test\.toml:6: record 1: address: the TXT data is 70,275 octets/);
    for (let i = 0; i < 20; i++) {
      const reply = i % 2 ? await queryTcp(server.port, 'ns.good.test', 'A') : await query(server.port, 'ns.good.test', 'A');
      assert.deepEqual(lines(reply.answers), ['ns.good.test 3600 A 192.0.2.53']);
    }
    assert.equal(server.logs.find((l) => l.msg === 'DNS worker exited; starting a new one'), undefined);
  });

  it('rejects a file that is not UTF-8 from the primary, counted once', async () => {
    dir.write('latin.test.toml', LATIN1);
    await errorLine(server, /latin\.test\.toml:5: not UTF-8/);
    assert.equal(await rejectedCount(ops), 2);
    assert.equal((await query(server.port, 'latin.test', 'TXT')).rcode, 'REFUSED');
  });
});
