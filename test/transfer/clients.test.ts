/**
 * Zone transfers from the real server (dist/main.js) to independent clients: dnspython's transfer
 * client and kdig, without and with TSIG.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { python } from '../helpers/python.js';
import { WAIT_MS, withServer } from '../helpers/server.js';
import { recordMessages, zoneOf } from '../helpers/xfr.js';

const SECRET = Buffer.from('a secret shared with secondaries').toString('base64');
const KEY = `xfr-key:hmac-sha256:${SECRET}`;

const zone = zoneOf('example.com.toml');
const ZONES = { 'example.com.toml': readFileSync(new URL('../../../zones/example.com.toml', import.meta.url), 'utf8') };
const SERIAL = zone.soa.data.serial;

/**
 * dnspython transfers the zone (AXFR, or IXFR from `serial`) and prints every record of it as
 * `name ttl type rdata`; it checks each message's TSIG when given a key. The expected records,
 * each in a message of its own, are printed the same way first, then a line "--".
 */
const TRANSFER = `
import sys, dns.query, dns.message, dns.tsigkeyring, dns.rdatatype
port, zone, key, rdtype, serial = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
show = lambda rrset: [f'{rrset.name} {rrset.ttl} {dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text()}' for rd in rrset]
for h in sys.argv[6:]:
    print('\\n'.join(show(dns.message.from_wire(bytes.fromhex(h)).answer[0])))
print('--')
kw = {}
if key != '-':
    name, alg, secret = key.split(':')
    kw = dict(keyring=dns.tsigkeyring.from_text({name: (alg, secret)}), keyname=name, keyalgorithm=alg)
try:
    for m in dns.query.xfr('127.0.0.1', zone, rdtype=rdtype, serial=serial, port=port, lifetime=30, relativize=False, **kw):
        for rrset in m.answer:
            print('\\n'.join(show(rrset)))
except Exception as e:
    print(f'failed: {type(e).__name__}: {e}')
`;

async function dnspythonTransfer(port: number, key: string | null, rdtype = 'AXFR', serial = 0): Promise<{ expected: string[]; got: string[] }> {
  const out = await python(TRANSFER, [String(port), 'example.com', key ?? '-', rdtype, String(serial), ...recordMessages(zone).map((m) => m.toString('hex'))]);
  const [expected, got] = out.trim().split('\n--\n');
  return { expected: expected.split('\n'), got: got ? got.split('\n') : [] };
}

/**
 * dnspython as a secondary that keeps its copy in a file: \`axfr\` transfers the whole zone into
 * \`path\`; \`ixfr\` reads it back, applies an IXFR from its serial (dnspython's inbound_xfr),
 * transfers the zone afresh by AXFR and prints whether the two copies are equal, then the serial.
 */
const SECONDARY = `
import sys, dns.query, dns.xfr, dns.zone, dns.rdatatype
step, port, origin, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def axfr():
    z = dns.zone.Zone(origin, relativize=False)
    dns.query.inbound_xfr('127.0.0.1', z, port=port, lifetime=30)
    return z
if step == 'axfr':
    axfr().to_file(path, relativize=False)
else:
    z = dns.zone.from_file(path, origin, relativize=False)
    query, serial = dns.xfr.make_query(z, serial=0)
    dns.query.inbound_xfr('127.0.0.1', z, query, port=port, lifetime=30)
    fresh = axfr()
    print('equal' if z == fresh else 'different')
    print(z.get_soa().serial)
`;

function kdig(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kdig', args, { timeout: 30_000 }, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('transfers from the server to dnspython and kdig', () => {
  const openFixture = withServer(ZONES, { env: { XFR_ALLOW: '127.0.0.0/8' } });
  const signedFixture = withServer(ZONES, { env: { TSIG_KEY: KEY } });
  const open = { get port() { return openFixture.server.port; } };
  const signed = { get port() { return signedFixture.server.port; }, get log() { return signedFixture.server.logs; } };

  it('dnspython transfers every record of the zone by AXFR, SOA first and last', async () => {
    const { expected, got } = await dnspythonTransfer(open.port, null);
    assert.deepEqual(got.slice(0, -1), expected);
    assert.equal(got[got.length - 1], expected[0], 'the SOA closes the transfer');
  });

  it('dnspython gets the whole zone by IXFR from an older serial, and nothing from the current one', async () => {
    const full = await dnspythonTransfer(open.port, null, 'IXFR', SERIAL - 1);
    assert.deepEqual(full.got.slice(0, -1), full.expected);
    const current = await dnspythonTransfer(open.port, null, 'IXFR', SERIAL);
    assert.deepEqual(current.got, [current.expected[0]], 'the current SOA alone');
  });

  it('dnspython applies an IXFR of a change to the copy it had, and holds what an AXFR gives', async () => {
    const path = join(tmpdir(), `eclipso-dnspython-copy-${process.pid}.zone`);
    await python(SECONDARY, ['axfr', String(open.port), 'example.com.', path]);
    const serial = SERIAL + 1;
    const text = ZONES['example.com.toml'].replace(/^serial = \d+$/m, `serial = ${serial}`)
      .replace(/^address = "192\.0\.2\.1"$/m, 'address = "192.0.2.99"') + '\n[[records]]\ndomain = "added"\naddress = "192.0.2.201"\n';
    const loaded = openFixture.server.waitFor((l) => l.msg === 'zone loaded' && l.serial === serial, WAIT_MS, `example.com loaded with serial ${serial}`);
    openFixture.dir.write('example.com.toml', text);
    await loaded;
    assert.deepEqual((await python(SECONDARY, ['ixfr', String(open.port), 'example.com.', path])).trim().split('\n'), ['equal', String(serial)]);
    const transfer = openFixture.server.logs.find((l) => l.msg === 'zone transfer' && l.kind === 'IXFR' && l.serial === serial);
    assert.ok(transfer, 'the server answered with the differences, not the whole zone');
    rmSync(path, { force: true });
  });

  it('dnspython checks the TSIG of every message of a signed transfer', async () => {
    const { expected, got } = await dnspythonTransfer(signed.port, KEY);
    assert.deepEqual(got.slice(0, -1), expected);
  });

  it('refuses unsigned and wrongly signed transfers when TSIG_KEY is set', async () => {
    assert.match((await dnspythonTransfer(signed.port, null)).got.join('\n'), /^failed: TransferError: Zone transfer error: REFUSED/);
    const wrong = `xfr-key:hmac-sha256:${Buffer.from('not the secret shared with them!').toString('base64')}`;
    assert.match((await dnspythonTransfer(signed.port, wrong)).got.join('\n'), /^failed: PeerBadSignature/);
    assert.ok(signed.log.some((l) => l.msg === 'zone transfer refused' && l.why === 'the request is not signed, and TSIG_KEY requires a signature'));
    assert.ok(signed.log.some((l) => l.msg === 'zone transfer refused' && /^TSIG BADSIG: the MAC does not match/.test(String(l.why ?? ''))));
  });

  it('kdig -y transfers with TSIG, and fails without the key or with another', async () => {
    const ok = await kdig(['@127.0.0.1', '-p', String(signed.port), 'AXFR', 'example.com', '-y', `hmac-sha256:xfr-key:${SECRET}`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`;; Received \\d+ B \\(1 messages, ${recordMessages(zone).length + 1} records\\)`), 'the records and the closing SOA');
    const unsigned = await kdig(['@127.0.0.1', '-p', String(signed.port), 'AXFR', 'example.com']);
    assert.notEqual(unsigned.code, 0);
    assert.match(unsigned.stderr, /REFUSED/);
    const wrong = await kdig(['@127.0.0.1', '-p', String(signed.port), 'AXFR', 'example.com', '-y', `hmac-sha256:xfr-key:${Buffer.alloc(32).toString('base64')}`]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /BADSIG/);
  });

  it('signs the answer to a signed SOA query (a secondary\'s refresh check), over UDP and TCP', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const ok = await kdig(['@127.0.0.1', '-p', String(signed.port), 'SOA', 'example.com', transport, '-y', `hmac-sha256:xfr-key:${SECRET}`]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`example\\.com\\.\\s+3600\\s+IN\\s+SOA\\s+ns1\\.example\\.com\\. hostmaster\\.example\\.com\\. ${SERIAL} `));
      assert.match(ok.stdout, /;; TSIG PSEUDOSECTION:\nxfr-key\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR 0/);
      const wrong = await kdig(['@127.0.0.1', '-p', String(signed.port), 'SOA', 'example.com', transport, '-y', `hmac-sha256:xfr-key:${Buffer.alloc(32).toString('base64')}`]);
      assert.match(wrong.stdout + wrong.stderr, /BADSIG/);
    }
  });
});
