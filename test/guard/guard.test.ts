import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config.js';
import { clientOctets } from '../../src/guard/address.js';
import { COOKIE_CHECK, CookieMaker } from '../../src/guard/cookie.js';
import { RateTable, RRL_ACTION, RRL_TABLE_SIZE } from '../../src/guard/rrl.js';
import { guardSettings } from '../../src/guard/settings.js';
import { siphash24 } from '../../src/guard/siphash.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('SipHash-2-4', () => {
  // The reference implementation's vectors (veorq/SipHash vectors.h, vectors_sip64): key 00..0f,
  // message 00..(n-1), for the lengths around the 8-octet block boundaries.
  const VECTORS: [number, string][] = [
    [0, '310e0edd47db6f72'], [1, 'fd67dc93c539f874'], [2, '5a4fa9d909806c0d'], [3, '2d7efbd796666785'],
    [4, 'b7877127e09427cf'], [5, '8da699cd64557618'], [6, 'cee3fe586e46c9cb'], [7, '37d1018bf50002ab'],
    [8, '6224939a79f5f593'], [9, 'b0e4a90bdf82009e'], [10, 'f3b9dd94c5bb5d7a'], [11, 'a7ad6b22462fb3f4'],
    [12, 'fbe50e86bc8f1e75'], [15, 'e545be4961ca29a1'],
  ];
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const message = Uint8Array.from({ length: 64 }, (_, i) => i);
  for (const [n, want] of VECTORS) {
    it(`gives the reference output for ${n} octets`, () => {
      const out = new Uint8Array(8);
      siphash24(key, message, 0, n, out, 0);
      assert.equal(Buffer.from(out).toString('hex'), want);
    });
  }

  it('hashes a part of a buffer into a part of another', () => {
    const data = Buffer.concat([Buffer.from([0xaa, 0xbb]), Buffer.from(message.subarray(0, 9))]);
    const out = Buffer.alloc(12, 0xee);
    siphash24(key, data, 2, 11, out, 2);
    assert.equal(out.toString('hex'), 'eeee' + 'b0e4a90bdf82009e' + 'eeee');
  });
});

describe('RFC 9018 server cookies', () => {
  const ip4 = (a: string): Uint8Array => Uint8Array.from(a.split('.').map(Number));

  it('makes the cookie of RFC 9018 Appendix A.1 (198.51.100.100, 2019-06-05 10:53:05 UTC)', () => {
    const maker = new CookieMaker(hex('e5e973e5a6b2a43f48e7dc849e37bfcf'), null);
    const out = Buffer.alloc(16);
    maker.make(hex('2464c4abcf10c957'), 0, ip4('198.51.100.100'), 4, 1559731985, out, 0);
    assert.equal(out.toString('hex'), '010000005cf79f111f8130c3eee29480');
  });

  // Knot DNS 3 (mod-cookies, secret 0x000102...0f) gave this cookie to client cookie 0102030405060708 from 127.0.0.1.
  const KNOT_SECRET = hex('000102030405060708090a0b0c0d0e0f');
  const KNOT_COOKIE = hex('0102030405060708' + '010000006b0d9cfa33ffb1f184d4e855');
  const KNOT_TIME = 0x6b0d9cfa;
  const LOCAL = ip4('127.0.0.1');

  it('accepts a cookie Knot made with the same secret, within the hour, from the same address only', () => {
    const maker = new CookieMaker(KNOT_SECRET, null);
    const check = (ip: Uint8Array, now: number): number => maker.check(KNOT_COOKIE, 0, 8, 16, ip, 4, now);
    assert.equal(check(LOCAL, KNOT_TIME), COOKIE_CHECK.VALID);
    assert.equal(check(LOCAL, KNOT_TIME + 1800), COOKIE_CHECK.VALID);
    assert.equal(check(LOCAL, KNOT_TIME + 1801), COOKIE_CHECK.VALID_STALE, 'over half an hour: valid, replaced');
    assert.equal(check(LOCAL, KNOT_TIME + 3601), COOKIE_CHECK.INVALID, 'over an hour');
    assert.equal(check(LOCAL, KNOT_TIME - 301), COOKIE_CHECK.INVALID, 'over five minutes ahead');
    assert.equal(check(ip4('127.0.0.2'), KNOT_TIME), COOKIE_CHECK.INVALID, 'another client');
    assert.equal(new CookieMaker(hex('ff'.repeat(16)), null).check(KNOT_COOKIE, 0, 8, 16, LOCAL, 4, KNOT_TIME), COOKIE_CHECK.INVALID, 'another secret');
  });

  it('accepts the previous secret\'s cookies during a rotation, and replaces them', () => {
    const rotated = new CookieMaker(hex('ff'.repeat(16)), KNOT_SECRET);
    assert.equal(rotated.check(KNOT_COOKIE, 0, 8, 16, LOCAL, 4, KNOT_TIME), COOKIE_CHECK.VALID_STALE);
  });

  it('refuses a server cookie of another version or size', () => {
    const maker = new CookieMaker(KNOT_SECRET, null);
    const v2 = Buffer.from(KNOT_COOKIE);
    v2[8] = 2;
    assert.equal(maker.check(v2, 0, 8, 16, LOCAL, 4, KNOT_TIME), COOKIE_CHECK.INVALID);
    assert.equal(maker.check(KNOT_COOKIE, 0, 8, 8, LOCAL, 4, KNOT_TIME), COOKIE_CHECK.INVALID);
  });

  it('round-trips its own cookies for IPv6 clients', () => {
    const maker = new CookieMaker(KNOT_SECRET, null);
    const ip = new Uint8Array(16);
    assert.equal(clientOctets('2001:db8::53', ip), 16);
    const cookie = Buffer.alloc(24);
    hex('a1a2a3a4a5a6a7a8').copy(cookie);
    maker.make(cookie, 0, ip, 16, 1000, cookie, 8);
    assert.equal(maker.check(cookie, 0, 8, 16, ip, 16, 1000), COOKIE_CHECK.VALID);
    ip[15] = 0x54;
    assert.equal(maker.check(cookie, 0, 8, 16, ip, 16, 1000), COOKIE_CHECK.INVALID);
  });
});

describe('client addresses as octets', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', '7f000001'], ['192.0.2.255', 'c00002ff'], ['::ffff:192.0.2.1', 'c0000201'],
    ['::1', '00000000000000000000000000000001'], ['2001:db8::53', '20010db8000000000000000000000053'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'], ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['::', '00000000000000000000000000000000'], ['2001:db8::', '20010db8000000000000000000000000'],
    ['64:ff9b::192.0.2.1', '0064ff9b0000000000000000c0000201'],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      const out = new Uint8Array(16);
      const n = clientOctets(text, out);
      assert.equal(Buffer.from(out.subarray(0, n)).toString('hex'), want);
    });
  }
  for (const bad of ['', '1.2.3', '1.2.3.256', '1::2::3', 'x::1', '1:2:3:4:5:6:7:8:9', '12345::1']) {
    it(`"${bad}" is not an address`, () => assert.equal(clientOctets(bad, new Uint8Array(16)), 0));
  }
});

describe('the rate limiting table', () => {
  it('sends `rate` responses a second per key, then slips every Nth, and refills with time', () => {
    const t = new RateTable(5, 2);
    const burst = Array.from({ length: 11 }, () => t.account(1, 7, 1000));
    assert.deepEqual(burst, [0, 0, 0, 0, 0, 1, 2, 1, 2, 1, 2].map((a) => [RRL_ACTION.SEND, RRL_ACTION.DROP, RRL_ACTION.SLIP][a]));
    assert.equal(t.account(1, 7, 1200), RRL_ACTION.SEND, 'a fifth of a second later: one more');
    assert.notEqual(t.account(1, 7, 1200), RRL_ACTION.SEND);
    assert.equal(t.account(1, 8, 1200), RRL_ACTION.SEND, 'another key has its own bucket');
  });

  it('drops all with slip 0', () => {
    const t = new RateTable(1, 0);
    t.account(3, 3, 0);
    assert.deepEqual([t.account(3, 3, 0), t.account(3, 3, 0), t.account(3, 3, 0)], [RRL_ACTION.DROP, RRL_ACTION.DROP, RRL_ACTION.DROP]);
  });

  it('holds a fixed number of entries under 200,000 keys, reusing the least recently used', () => {
    const t = new RateTable(1, 0);
    for (let k = 0; k < 200_000; k++) t.account(Math.imul(k, 0x9e3779b1), k * 2654435761, k);
    assert.ok(t.entries <= RRL_TABLE_SIZE, `${t.entries} entries`);
    assert.ok(t.entries > RRL_TABLE_SIZE * 0.9, `${t.entries} entries: the table is used`);
    // The last key is still there (limited), the first was reused for a newer one (sent again).
    assert.equal(t.account(Math.imul(199_999, 0x9e3779b1), 199_999 * 2654435761, 199_999), RRL_ACTION.DROP);
    assert.equal(t.account(0, 0, 199_999), RRL_ACTION.SEND);
  });
});

describe('abuse resistance settings', () => {
  const read = (env: NodeJS.ProcessEnv) => {
    const r = parseConfig([], env);
    assert.equal(r.action, 'run');
    return guardSettings(r.config);
  };

  it('are all off by default', () => {
    const s = read({});
    assert.deepEqual([s.nsid, s.identity, s.versionBind, s.cookieSecret, s.rrl.rate], [null, null, null, null, 0]);
    assert.deepEqual([s.rrl.slip, s.rrl.ipv4Prefix, s.rrl.ipv6Prefix], [2, 24, 56]);
  });

  it('read NSID as text or as hex after 0x', () => {
    assert.equal(Buffer.from(read({ NSID: 'ns1.example' }).nsid!).toString(), 'ns1.example');
    assert.equal(Buffer.from(read({ NSID: '0x6e7331' }).nsid!).toString(), 'ns1');
  });

  const bad: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['odd hex NSID', { NSID: '0x6e7' }, /^NSID \(--nsid\): after 0x, write an even number of hex digits/],
    ['a long IDENTITY', { IDENTITY: 'x'.repeat(129) }, /^IDENTITY \(--identity\): 129 octets; at most 128/],
    ['a short COOKIE_SECRET', { COOKIE_SECRET: 'abcd' }, /^COOKIE_SECRET \(--cookie-secret\): write 16 octets as 32 hex digits/],
    ['a previous secret alone', { COOKIE_SECRET_PREVIOUS: '00'.repeat(16) }, /COOKIE_SECRET_PREVIOUS is set without COOKIE_SECRET/],
    ['a bad RRL_ALLOW', { RRL_ALLOW: '10.0.0.1/33' }, /^RRL_ALLOW \(--rrl-allow\): entry 1 \("10\.0\.0\.1\/33"\)/],
  ];
  for (const [what, env, message] of bad) {
    it(`say what is wrong with ${what}`, () => assert.throws(() => read(env), (e: Error) => e instanceof ConfigError && message.test(e.message)));
  }

  it('never put a secret in a message', () => {
    const secret = 'f'.repeat(31) + 'g';
    assert.throws(() => read({ COOKIE_SECRET: secret }), (e: Error) => !e.message.includes(secret));
  });

  it('range-check the RRL numbers', () => {
    assert.throws(() => parseConfig([], { RRL_IPV4_PREFIX: '33' }), /RRL_IPV4_PREFIX="33": must be a whole number from 8 to 32/);
    assert.throws(() => parseConfig([], { RRL_SLIP: '11' }), /RRL_SLIP="11"/);
  });
});
