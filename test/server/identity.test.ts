import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ANSWER_MS } from '../helpers/dns.js';
import { withServer } from '../helpers/server.js';

const ZONES = fileURLToPath(new URL('../../../zones', import.meta.url));

function run(tool: 'dig' | 'kdig', port: number, ...args: string[]): string {
  const retry = tool === 'dig' ? '+tries=1' : '+retry=0';
  return execFileSync(tool, ['@127.0.0.1', '-p', String(port), `+time=${ANSWER_MS / 1000}`, retry, ...args], { encoding: 'utf8' });
}

describe('an unknown opcode with every flag set (ISC genreport "opcodeflg")', () => {
  const fx = withServer(ZONES, { env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0' } });

  it('gets NOTIMP echoing the opcode and no flag but QR: RD, AA, AD, CD, RA are QUERY\'s (as BIND; NSD and Knot echo RD)', () => {
    const out = run('dig', fx.server.port, '+noedns', '+header-only', '+opcode=15', '+tcflag', '+rec', '+raflag', '+cd', '+ad', '+aaflag', '+zflag');
    assert.match(out, /opcode: RESERVED15, status: NOTIMP/);
    assert.match(out, /;; flags: qr; QUERY: 0, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0/);
  });

  it('a server without NSID or IDENTITY gives neither (both off by default)', () => {
    assert.doesNotMatch(run('dig', fx.server.port, '+nsid', 'hello_a.net', 'A'), /NSID/);
    assert.match(run('dig', fx.server.port, 'id.server', 'CH', 'TXT'), /status: REFUSED/);
    assert.match(run('dig', fx.server.port, 'version.bind', 'CH', 'TXT'), /status: REFUSED/);
  });
});

describe('NSID (RFC 5001) and CHAOS TXT identity', () => {
  const fx = withServer(ZONES, { env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', NSID: 'eclipso-fra-1', IDENTITY: 'ns1.fra.example', VERSION_BIND: 'Eclipso' } });

  it('dig +nsid and kdig +nsid see the NSID, over UDP and TCP; a query not asking gets none', () => {
    assert.match(run('dig', fx.server.port, '+nsid', 'hello_a.net', 'A'), /; NSID: 65 63 6c 69 70 73 6f 2d 66 72 61 2d 31 \("eclipso-fra-1"\)/);
    assert.match(run('dig', fx.server.port, '+nsid', '+tcp', 'hello_a.net', 'A'), /\("eclipso-fra-1"\)/);
    assert.match(run('kdig', fx.server.port, '+nsid', 'missing.hello_a.net', 'A'), /;; NSID: 65636C6970736F2D6672612D31 "eclipso-fra-1"[\s\S]*status: NXDOMAIN|status: NXDOMAIN[\s\S]*;; NSID: 65636C6970736F2D6672612D31 "eclipso-fra-1"/);
    assert.match(run('dig', fx.server.port, '+nsid', 'example.org', 'A'), /status: REFUSED[\s\S]*\("eclipso-fra-1"\)/);
    assert.doesNotMatch(run('dig', fx.server.port, 'hello_a.net', 'A'), /NSID/);
  });

  it('CHAOS TXT id.server, hostname.bind, version.bind and version.server are answered, with AA', () => {
    for (const [name, text] of [['id.server', 'ns1.fra.example'], ['hostname.bind', 'ns1.fra.example'], ['version.bind', 'Eclipso'], ['VERSION.server', 'Eclipso']]) {
      const out = run('dig', fx.server.port, name, 'CH', 'TXT');
      assert.match(out, /status: NOERROR/);
      assert.match(out, /flags: qr aa rd;/);
      assert.match(out, new RegExp(`^${name}\\.\\s+0\\s+CH\\s+TXT\\s+"${text.replace(/\./g, '\\.')}"$`, 'm'));
    }
    assert.match(run('dig', fx.server.port, 'id.server', 'CH', 'A'), /status: NOERROR[\s\S]*ANSWER: 0/);
    assert.match(run('dig', fx.server.port, 'other.bind', 'CH', 'TXT'), /status: REFUSED/);
  });
});

describe('NSID given in hex', () => {
  const fx = withServer(ZONES, { env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0', NSID: '0x00ff10' } });

  it('is sent as those octets', () => {
    assert.match(run('dig', fx.server.port, '+nsid', 'hello_a.net', 'A'), /; NSID: 00 ff 10 /);
  });
});
