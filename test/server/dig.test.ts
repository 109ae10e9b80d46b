import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ANSWER_MS } from '../helpers/dns.js';
import { withServer } from '../helpers/server.js';

const ZONES = fileURLToPath(new URL('../../../zones', import.meta.url));

/** dig and kdig are real clients: CI installs them (bind9-dnsutils, knot-dnsutils). */
function run(tool: 'dig' | 'kdig', port: number, ...args: string[]): string {
  // One try, waiting as long as ANSWER_MS for it: an answer comes in a millisecond, however busy the machine.
  const retry = tool === 'dig' ? '+tries=1' : '+retry=0';
  return execFileSync(tool, ['@127.0.0.1', '-p', String(port), `+time=${ANSWER_MS / 1000}`, retry, ...args], { encoding: 'utf8' });
}

describe('the seed example, asked with dig and kdig', () => {
  const fx = withServer(ZONES, { env: { ECLIPSO_LOG_IGNORE: '1' } });

  it('dig hello_a.net txt shows the seed\'s two TXT records with flags qr aa', () => {
    const out = run('dig', fx.server.port, 'hello_a.net', 'txt');
    assert.match(out, /status: NOERROR/);
    assert.match(out, /flags: qr aa rd;/);
    assert.match(out, /hello_a\.net\.\s+3600\s+IN\s+TXT\s+"v=spf1 ip:203\.100\.1\.2 ip:203\.100\.1\.3 mx a -all"/);
    assert.match(out, /hello_a\.net\.\s+3600\s+IN\s+TXT\s+"google-site-verification=3a13e1788d7a1c3b4602afc083e855de"/);
  });

  it('dig hello_a.net mx shows the seed\'s MX answer', () => {
    const out = run('dig', fx.server.port, 'hello_a.net', 'mx', '+noall', '+answer');
    assert.equal(out.trim().split('\n').map((l) => l.replace(/\s+/g, ' ')).join('\n'),
      'hello_a.net. 3600 IN MX 10 host-1.hello_a.net.\nhello_a.net. 3600 IN MX 20 host-2.hello_a.net.');
  });

  it('dig +tcp gets the same answer over TCP', () => {
    const out = run('dig', fx.server.port, '+tcp', 'www.hello_a.net', 'a', '+noall', '+answer');
    assert.match(out, /^www\.hello_a\.net\.\s+3600\s+IN\s+A\s+203\.100\.1\.1$/m);
  });

  it('kdig reads the answers the same way, with EDNS', () => {
    const out = run('kdig', fx.server.port, 'hello_a.net', 'MX', '+edns');
    assert.match(out, /status: NOERROR/);
    assert.match(out, /Flags: qr aa rd;/);
    assert.match(out, /hello_a\.net\.\s+3600\s+IN\s+MX\s+10 host-1\.hello_a\.net\./);
    assert.match(out, /EDNS PSEUDOSECTION:\n;; Version: 0; flags: ; UDP size: 1232 B/);
  });

  it('dig sees NXDOMAIN with the SOA for a missing name, REFUSED outside our zones', () => {
    const nx = run('dig', fx.server.port, 'missing.hello_a.net', 'a');
    assert.match(nx, /status: NXDOMAIN/);
    assert.match(nx, /AUTHORITY SECTION:\nhello_a\.net\.\s+60\s+IN\s+SOA\s+ns\.hello_a\.net\. hostmaster\.hello_a\.net\. \d+ 28800 7200 604800 60/);
    assert.match(run('dig', fx.server.port, 'example.org', 'a'), /status: REFUSED/);
  });
});
