import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { RCODE } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { parseTsigKeys, KeyFormatError } from '../../src/transfer/keys.js';
import { readMessage } from '../../src/transfer/message.js';
import { findTsig, TSIG_ERROR, TsigSigner, tsigErrorResponse, verifyReply, verifyRequest, type TsigVerdict } from '../../src/transfer/tsig.js';
import { python } from '../helpers/python.js';

const SECRET = Buffer.from('eclipso transfer test secret, 32').toString('base64');
const KEYS = parseTsigKeys(`xfr-key:hmac-sha256:${SECRET}, big-key:hmac-sha512:${SECRET}, old-key:hmac-sha1:${SECRET}`);

/** dnspython's keyring for the same keys, and a query it signs: printed as wire hex, MAC hex, time. */
const PY_KEYRING = `
import sys, dns.message, dns.tsigkeyring, dns.tsig, dns.rcode
kr = dns.tsigkeyring.from_text({'xfr-key.': ('hmac-sha256', '${SECRET}'), 'big-key.': ('hmac-sha512', '${SECRET}'), 'old-key.': ('hmac-sha1', '${SECRET}')})
`;

async function signedQuery(key: string, fudge = 300): Promise<{ wire: Buffer; mac: Buffer; time: number }> {
  const out = await python(`${PY_KEYRING}
q = dns.message.make_query('example.com.', 'AXFR')
q.use_tsig(kr, keyname='${key}.', fudge=${fudge})
w = q.to_wire()
print(w.hex(), q.mac.hex(), q.tsig[0].time_signed)
`);
  const [wire, mac, time] = out.trim().split(' ');
  return { wire: Buffer.from(wire, 'hex'), mac: Buffer.from(mac, 'hex'), time: Number(time) };
}

function verify(wire: Buffer, now: number): TsigVerdict {
  const tsig = findTsig(wire, readMessage(wire));
  assert.ok(tsig, 'the query carries a TSIG');
  return verifyRequest(wire, tsig, KEYS, now);
}

/** A response to `query` with one A record, encoded by dns-packet. */
function response(query: Buffer, address = '192.0.2.1'): Buffer {
  const q = packet.decode(query);
  return packet.encode({
    type: 'response', id: q.id, flags: packet.AUTHORITATIVE_ANSWER,
    questions: q.questions, answers: [{ name: 'example.com', type: 'A', ttl: 300, data: address }],
  });
}

/** Has dnspython read the responses as the replies to the query with `mac`; prints "ok" or the exception's class. */
async function dnspythonVerifies(mac: Buffer, responses: Buffer[]): Promise<string> {
  return (await python(`${PY_KEYRING}
mac = bytes.fromhex(sys.argv[1])
ctx = None
try:
    for h in sys.argv[2:]:
        m = dns.message.from_wire(bytes.fromhex(h), keyring=kr, request_mac=mac, xfr=len(sys.argv) > 3, tsig_ctx=ctx, multi=len(sys.argv) > 3)
        ctx = m.tsig_ctx
    print('ok')
except Exception as e:
    print(type(e).__name__)
`, [mac.toString('hex'), ...responses.map((r) => r.toString('hex'))])).trim();
}

describe('TSIG (RFC 8945) against dnspython', () => {
  for (const key of ['xfr-key', 'big-key', 'old-key']) {
    it(`verifies a query dnspython signed with ${key}`, async () => {
      const q = await signedQuery(key);
      const v = verify(q.wire, q.time);
      assert.equal(v.status, 'ok', JSON.stringify(v));
    });
  }

  it('answers BADSIG when a signed query was altered, BADKEY for an unknown key, BADTIME outside the fudge', async () => {
    const q = await signedQuery('xfr-key');
    const altered = Buffer.from(q.wire);
    altered[12 + 1] ^= 0x20; // the question's first letter: "Example.com"
    const bad = verify(altered, q.time);
    assert.equal(bad.status === 'error' && bad.error, TSIG_ERROR.BADSIG);
    const unknown = verifyRequest(q.wire, findTsig(q.wire, readMessage(q.wire))!, parseTsigKeys(`other:hmac-sha256:${SECRET}`), q.time);
    assert.equal(unknown.status === 'error' && unknown.error, TSIG_ERROR.BADKEY);
    // The same name with another algorithm is BADKEY too (RFC 8945 §5.2.1).
    const otherAlg = verifyRequest(q.wire, findTsig(q.wire, readMessage(q.wire))!, parseTsigKeys(`xfr-key:hmac-sha512:${SECRET}`), q.time);
    assert.equal(otherAlg.status === 'error' && otherAlg.error, TSIG_ERROR.BADKEY);
    assert.equal(verify(q.wire, q.time + 300).status, 'ok', 'at the edge of the fudge');
    assert.equal(verify(q.wire, q.time - 300).status, 'ok', 'at the other edge');
    const late = verify(q.wire, q.time + 301);
    assert.equal(late.status === 'error' && late.error, TSIG_ERROR.BADTIME);
    assert.ok(late.status === 'error' && late.key, 'a BADTIME response is signed, so the verdict keeps the key');
  });

  it('takes the time window from the request\'s own fudge (RFC 8945 §5.2.3)', async () => {
    const q = await signedQuery('xfr-key', 600);
    assert.equal(verify(q.wire, q.time + 600).status, 'ok');
    const late = verify(q.wire, q.time + 601);
    assert.equal(late.status === 'error' && late.error, TSIG_ERROR.BADTIME);
  });

  it('treats a TSIG that is not the last record as malformed, and a MAC of the wrong size as FORMERR', async () => {
    const q = await signedQuery('xfr-key');
    // Append an A record after the TSIG and count it: the TSIG is no longer last.
    const extra = packet.encode({ type: 'query', id: 0, answers: [{ name: 'x.example.com', type: 'A', ttl: 1, data: '192.0.2.9' }] }).subarray(12);
    const misplaced = Buffer.concat([q.wire, extra]);
    misplaced.writeUInt16BE(misplaced.readUInt16BE(10) + 1, 10);
    assert.throws(() => findTsig(misplaced, readMessage(misplaced)), WireError);
    // Cut the MAC to 8 octets (below RFC 8945 §5.2.2.1's minimum of 16 for SHA-256).
    const tsig = findTsig(q.wire, readMessage(q.wire))!;
    const short = verifyRequest(q.wire, { ...tsig, mac: tsig.mac.subarray(0, 8) }, KEYS, q.time);
    assert.equal(short.status, 'formerr');
    // A truncated MAC within the RFC's bounds is refused by our policy: BADTRUNC (§5.2.4)... once it verifies.
    const truncated = verifyRequest(q.wire, { ...tsig, mac: tsig.mac.subarray(0, 16) }, KEYS, q.time);
    assert.equal(truncated.status === 'error' && truncated.error, TSIG_ERROR.BADTRUNC);
  });

  for (const key of ['xfr-key', 'big-key', 'old-key']) {
    it(`signs a response dnspython accepts as the reply to its query (${key})`, async () => {
      const q = await signedQuery(key);
      const v = verify(q.wire, q.time);
      assert.ok(v.status === 'ok');
      const signed = new TsigSigner(v.key, v.tsig.mac).sign(response(q.wire), Math.floor(Date.now() / 1000));
      assert.equal(await dnspythonVerifies(q.mac, [signed]), 'ok');
      // One octet changed after signing: dnspython must refuse it.
      const forged = Buffer.from(signed);
      forged[forged.indexOf(Buffer.from([192, 0, 2, 1]))] = 198;
      assert.equal(await dnspythonVerifies(q.mac, [forged]), 'BadSignature');
    });
  }

  it('signs every message of a multi-message response, each MAC chained to the one before (RFC 8945 §5.3.1)', async () => {
    const q = await signedQuery('xfr-key');
    const v = verify(q.wire, q.time);
    assert.ok(v.status === 'ok');
    const signer = new TsigSigner(v.key, v.tsig.mac);
    const now = Math.floor(Date.now() / 1000);
    const msgs = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((a) => signer.sign(response(q.wire, a), now));
    assert.equal(await dnspythonVerifies(q.mac, msgs), 'ok');
    // The same messages out of order break the chain.
    assert.notEqual(await dnspythonVerifies(q.mac, [msgs[0], msgs[2], msgs[1]]), 'ok');
  });

  it('answers BADSIG and BADKEY unsigned and BADTIME signed, each as dnspython understands it', async () => {
    const q = await signedQuery('xfr-key');
    const tsig = findTsig(q.wire, readMessage(q.wire))!;
    const refused = (): Buffer => {
      const r = response(q.wire);
      r[3] = (r[3] & 0xf0) | RCODE.NOTAUTH;
      return r;
    };
    const now = Math.floor(Date.now() / 1000);
    const badsig = tsigErrorResponse(refused(), tsig, TSIG_ERROR.BADSIG, null, now);
    assert.equal(await dnspythonVerifies(q.mac, [badsig]), 'PeerBadSignature');
    const badkey = tsigErrorResponse(refused(), tsig, TSIG_ERROR.BADKEY, null, now);
    assert.equal(await dnspythonVerifies(q.mac, [badkey]), 'PeerBadKey');
    const badtime = tsigErrorResponse(refused(), tsig, TSIG_ERROR.BADTIME, KEYS.get('\x07xfr-key\0')!, now);
    assert.equal(await dnspythonVerifies(q.mac, [badtime]), 'PeerBadTime');
  });

  it('signs a request dnspython verifies, and verifies the reply dnspython signs to it', async () => {
    const key = KEYS.get('\x07xfr-key\0')!;
    const signer = new TsigSigner(key, null);
    const query = packet.encode({ type: 'query', id: 4321, flags: packet.AUTHORITATIVE_ANSWER | (4 << 11), questions: [{ name: 'example.com', type: 'SOA', class: 'IN' }] });
    const now = Math.floor(Date.now() / 1000);
    const signed = signer.sign(query, now);
    const reply = (await python(`${PY_KEYRING}
q = dns.message.from_wire(bytes.fromhex(sys.argv[1]), keyring=kr)
r = dns.message.make_response(q)
print(r.to_wire().hex())
`, [signed.toString('hex')])).trim();
    const wire = Buffer.from(reply, 'hex');
    assert.equal(verifyReply(wire, readMessage(wire), signer, now), null);
    const altered = Buffer.from(wire);
    altered[3] ^= 0x05;
    assert.match(verifyReply(altered, readMessage(altered), signer, now) ?? '', /does not match/);
    assert.match(verifyReply(query, readMessage(query), signer, now) ?? '', /not signed/);
  });
});

describe('TSIG keys as the operator writes them', () => {
  it('reads name:algorithm:secret and dig\'s algorithm:name:secret, commas or lines, case-insensitive names', () => {
    const keys = parseTsigKeys(`# transfer keys\nXfr-Key:hmac-sha256:${SECRET}\nhmac-sha512:second.example.:${SECRET}\n`);
    assert.deepEqual([...keys.values()].map((k) => [k.name.join('.'), k.algorithm.name[0], k.secret.toString()]), [
      ['Xfr-Key', 'hmac-sha256', 'eclipso transfer test secret, 32'],
      ['second.example', 'hmac-sha512', 'eclipso transfer test secret, 32'],
    ]);
    assert.ok(keys.has('\x07xfr-key\0'), 'found by the lower-cased wire name');
    assert.equal(parseTsigKeys('').size, 0);
  });

  it('reports a bad key by its position and name, never by its secret', () => {
    const cases: [string, RegExp][] = [
      ['xfr-key', /key 1 has 1 field; write name:algorithm:base64secret/],
      [`xfr-key:hmac-md5:${SECRET}`, /key 1 \("xfr-key"\): algorithm "hmac-md5" is not one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512/],
      ['xfr-key:hmac-sha256:not base64!', /key 1 \("xfr-key"\): the secret is not base64/],
      [`a:hmac-sha256:${SECRET},A.:hmac-sha1:${SECRET}`, /key 2: a key named "A\." is given twice/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseTsigKeys(text), (e: Error) => {
        assert.ok(e instanceof KeyFormatError);
        assert.match(e.message, message);
        assert.ok(!e.message.includes(SECRET) && !e.message.includes('not base64!'), `no secret in "${e.message}"`);
        return true;
      });
    }
  });
});
