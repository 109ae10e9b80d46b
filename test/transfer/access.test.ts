import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressAllowed, AddressListError, parseAddressList, refusal, transfersOn } from '../../src/transfer/access.js';
import { parseTsigKeys } from '../../src/transfer/keys.js';

describe('XFR_ALLOW: address blocks', () => {
  const blocks = parseAddressList('127.0.0.0/8, ::1, 192.0.2.17, 2001:db8:40::/42,10.1.0.0/23');
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['128.0.0.1', false],
    ['::1', true],
    ['::2', false],
    ['192.0.2.17', true], // a bare address is one host: /32
    ['192.0.2.18', false],
    ['::ffff:127.0.0.1', true], // IPv4-mapped, as a dual-stack socket reports IPv4 clients
    ['::ffff:192.0.2.18', false],
    ['2001:db8:40::1', true],
    ['2001:db8:7f:ffff::1', true], // /42 ends inside the third group: 0x40–0x7f
    ['2001:db8:80::1', false],
    ['10.1.1.255', true], // /23 ends inside the third octet
    ['10.1.2.0', false],
    ['fe80::1%eth0', false], // a zone index is dropped before matching
    ['not an address', false],
  ];
  for (const [address, allowed] of cases) {
    it(`${allowed ? 'allows' : 'refuses'} ${address}`, () => assert.equal(addressAllowed(blocks, address), allowed));
  }

  it('takes 0.0.0.0/0 and ::/0 as everything, and an empty list as nothing', () => {
    assert.equal(addressAllowed(parseAddressList('0.0.0.0/0'), '203.0.113.5'), true);
    assert.equal(addressAllowed(parseAddressList('0.0.0.0/0'), '2001:db8::1'), false);
    assert.equal(addressAllowed(parseAddressList('::/0'), '2001:db8::1'), true);
    assert.deepEqual(parseAddressList(' , '), []);
  });

  it('rejects what it cannot read, saying which entry and what to write', () => {
    const cases: [string, RegExp][] = [
      ['127.0.0.1, example.com', /^entry 2 \("example.com"\) is not an address or address\/prefix; write e.g. 192.0.2.1/],
      ['10.0.0.0/33', /^entry 1 \("10.0.0.0\/33"\): the prefix must be a whole number from 0 to 32/],
      ['2001:db8::/129', /from 0 to 128/],
      ['10.0.0.0/', /the prefix must be a whole number/],
      ['10.0.0.1/8', /^entry 1 \("10.0.0.1\/8"\) has bits set past \/8; write the network, 10.0.0.0\/8$/],
      ['2001:db8::1/32', /write the network, 2001:db8::\/32$/],
      ['fe80::1%eth0', /is not an address/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseAddressList(text), (e: Error) => e instanceof AddressListError && message.test(e.message), text);
    }
  });
});

describe('who may transfer', () => {
  const keys = parseTsigKeys(`xfr-key:hmac-sha256:${Buffer.alloc(32, 7).toString('base64')}`);
  const key = [...keys.values()][0];
  const loopback = parseAddressList('127.0.0.0/8');
  const none = new Map();

  it('nobody by default: transfers are off', () => {
    assert.equal(transfersOn({ allow: [], keys: none }), false);
    assert.match(refusal({ allow: [], keys: none }, '127.0.0.1', null) ?? '', /zone transfers are off; set XFR_ALLOW or TSIG_KEY/);
  });

  it('with XFR_ALLOW only: listed addresses, signed or not', () => {
    const access = { allow: loopback, keys: none };
    assert.equal(refusal(access, '127.0.0.1', null), null);
    assert.match(refusal(access, '192.0.2.1', null) ?? '', /192.0.2.1 is not in XFR_ALLOW/);
  });

  it('with TSIG_KEY only: signed requests from anywhere, no unsigned ones', () => {
    const access = { allow: [], keys };
    assert.equal(refusal(access, '192.0.2.1', key), null);
    assert.match(refusal(access, '127.0.0.1', null) ?? '', /not signed, and TSIG_KEY requires a signature/);
  });

  it('with both: signed requests from listed addresses', () => {
    const access = { allow: loopback, keys };
    assert.equal(refusal(access, '127.0.0.1', key), null);
    assert.notEqual(refusal(access, '127.0.0.1', null), null);
    assert.notEqual(refusal(access, '192.0.2.1', key), null);
  });

  it('a zone file\'s own allow_transfer replaces XFR_ALLOW for its zone; TSIG_KEY still applies', () => {
    const other = parseAddressList('192.0.2.0/24');
    // [XFR_ALLOW, keys, the zone's allow_transfer, client, signed, the refusal or null]
    const cases: [typeof loopback, typeof keys, typeof loopback | undefined, string, boolean, string | null][] = [
      [[], none, loopback, '127.0.0.1', false, null],
      [[], none, loopback, '192.0.2.1', false, "192.0.2.1 is not in the zone file's allow_transfer"],
      [loopback, none, other, '127.0.0.1', false, "127.0.0.1 is not in the zone file's allow_transfer"],
      [loopback, none, other, '192.0.2.1', false, null],
      [loopback, none, [], '127.0.0.1', false, 'the zone file says allow_transfer = []: transfers of this zone are off'],
      [[], keys, [], '127.0.0.1', true, 'the zone file says allow_transfer = []: transfers of this zone are off'],
      [[], keys, loopback, '127.0.0.1', false, 'the request is not signed, and TSIG_KEY requires a signature'],
      [[], keys, loopback, '127.0.0.1', true, null],
      [[], keys, loopback, '192.0.2.1', true, "192.0.2.1 is not in the zone file's allow_transfer"],
      [loopback, none, undefined, '127.0.0.1', false, null],
    ];
    for (const [allow, k, zoneAllow, client, signed, why] of cases) {
      const access = { allow, keys: k };
      assert.equal(refusal(access, client, signed ? key : null, zoneAllow), why, JSON.stringify({ allow: allow.length, keys: k.size, zoneAllow: zoneAllow?.length, client, signed }));
    }
  });
});
