import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { RCODE, rcodeName, TYPE } from '../../src/wire/constants.js';
import { parseAddressList, type TransferAccess } from '../../src/transfer/access.js';
import { planIxfr } from '../../src/transfer/ixfr.js';
import { parseTsigKeys } from '../../src/transfer/keys.js';
import { readMessage } from '../../src/transfer/message.js';
import { isTransferQuery, readTransferRequest } from '../../src/transfer/request.js';
import { axfrImage } from '../../src/transfer/axfr.js';
import { notServed, planTransfer, startTransfer, transferMessages, type TransferStart } from '../../src/transfer/transfer.js';
import { findTsig, TSIG_ERROR } from '../../src/transfer/tsig.js';
import { python } from '../helpers/python.js';
import { readTransfer, zoneOf } from '../helpers/xfr.js';

type Decoded = packet.Packet & { rcode?: string; flag_aa?: boolean };

const soa = (name: string, serial: number): packet.Answer => ({
  name, type: 'SOA', ttl: 3600,
  data: { mname: `ns.${name}`, rname: `hostmaster.${name}`, serial, refresh: 1, retry: 1, expire: 1, minimum: 1 },
});
const opt = (version = 0): packet.Answer => ({ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [], ednsVersion: version } as unknown as packet.Answer);

function query(qtype: 'AXFR' | 'IXFR' | 'A', extra: Partial<packet.Packet> = {}, name = 'example.com'): Buffer {
  return packet.encode({ type: 'query', id: 777, questions: [{ name, type: qtype, class: 'IN' }], ...extra });
}

describe('transfer requests', () => {
  it('are told apart from other queries cheaply', () => {
    assert.equal(isTransferQuery(query('AXFR')), true);
    assert.equal(isTransferQuery(query('IXFR')), true);
    assert.equal(isTransferQuery(query('A')), false);
    assert.equal(isTransferQuery(packet.encode({ type: 'response', id: 1, questions: [{ name: 'example.com', type: 'AXFR', class: 'IN' }] })), false);
    const notify = query('AXFR');
    notify[2] |= 4 << 3;
    assert.equal(isTransferQuery(notify), false, 'another opcode');
    assert.equal(isTransferQuery(query('AXFR').subarray(0, 20)), false, 'cut inside the question');
  });

  it('read the serial an IXFR client has from its authority SOA (RFC 1995 §3)', () => {
    const r = readTransferRequest(query('IXFR', { authorities: [soa('example.com', 4000000000)] }));
    assert.ok(!('rcode' in r));
    assert.equal(r.clientSerial, 4000000000);
    assert.equal(r.qtype, TYPE.IXFR);
  });

  it('are FORMERR when malformed, BADVERS for EDNS versions above 0', () => {
    const cases: [Buffer, number, RegExp][] = [
      [query('IXFR'), RCODE.FORMERR, /needs the SOA the client has/],
      [query('IXFR', { authorities: [soa('example.net', 1)] }), RCODE.FORMERR, /needs the SOA/],
      [query('IXFR', { authorities: [soa('example.com', 1), soa('example.com', 2)] }), RCODE.FORMERR, /and only that/],
      [query('AXFR', { additionals: [opt(), opt()] }), RCODE.FORMERR, /more than one OPT/],
      [query('AXFR', { additionals: [opt(1)] }), RCODE.BADVERS, /EDNS version/],
      [Buffer.concat([query('AXFR'), Buffer.from([0])]), RCODE.FORMERR, /after the last record/],
    ];
    for (const [msg, rcode, why] of cases) {
      const r = readTransferRequest(msg);
      assert.ok('rcode' in r, why.source);
      assert.equal(r.rcode, rcode);
      assert.match(r.why, why);
    }
  });
});

describe('IXFR without a journal (RFC 1995)', () => {
  const cases: [number, number, boolean, string][] = [
    [100, 100, true, 'current'], // up to date
    [101, 100, true, 'current'], // newer than ours (§2: "the same or newer")
    [99, 100, true, 'full'], // behind: the whole zone, AXFR-style (§4)
    [4294967295, 5, true, 'full'], // behind across the wrap
    [99, 100, false, 'current'], // over UDP: the SOA alone sends the client to TCP (§2)
  ];
  for (const [client, ours, tcp, answer] of cases) {
    it(`client ${client}, zone ${ours}, ${tcp ? 'TCP' : 'UDP'}: ${answer}`, () => assert.equal(planIxfr(client, ours, null, tcp).kind, answer));
  }
});

describe('a transfer from request to messages', () => {
  const zone = zoneOf('example.com.toml');
  const version = { zone, axfr: axfrImage(zone), journal: null };
  const messagesOf = (s: Extract<TransferStart, { kind: 'allowed' }>): Buffer[] => [...transferMessages(s, version, planTransfer(s, version), () => now)];
  const SECRET = Buffer.from('eclipso transfer test secret, 32').toString('base64');
  const keys = parseTsigKeys(`xfr-key:hmac-sha256:${SECRET}`);
  const loopbackOnly: TransferAccess = { allow: parseAddressList('127.0.0.0/8, ::1'), keys: new Map() };
  const keyOnly: TransferAccess = { allow: [], keys };
  const now = Math.floor(Date.now() / 1000);
  const decode = (b: Buffer): Decoded => packet.decode(b) as Decoded;
  const reply = (s: TransferStart): { rcode: string; why: string; d: Decoded } => {
    assert.equal(s.kind, 'reply');
    return { rcode: rcodeName(s.rcode), why: s.why, d: decode(s.message) };
  };

  it('is refused when transfers are off, and from addresses not allowed', () => {
    const off = reply(startTransfer(query('AXFR'), '127.0.0.1', { allow: [], keys: new Map() }, now, true));
    assert.equal(off.rcode, 'REFUSED');
    assert.equal(off.d.rcode, 'REFUSED');
    assert.equal(off.d.id, 777);
    assert.deepEqual(off.d.questions, [{ name: 'example.com', type: 'AXFR', class: 'IN' }], 'the question copied (RFC 5936 §2.2.1)');
    assert.match(reply(startTransfer(query('AXFR'), '192.0.2.1', loopbackOnly, now, true)).why, /192.0.2.1 is not in XFR_ALLOW/);
    assert.equal(reply(startTransfer(query('IXFR', { authorities: [soa('example.com', 1)] }), '127.0.0.1', { allow: [], keys: new Map() }, now, false)).rcode, 'REFUSED', 'over UDP too');
  });

  it('streams the zone to an allowed address', () => {
    const s = startTransfer(query('AXFR'), '::ffff:127.0.0.1', loopbackOnly, now, true);
    assert.equal(s.kind, 'allowed');
    assert.ok(s.kind === 'allowed');
    assert.equal(planTransfer(s, version).kind, 'axfr');
    const { decoded } = readTransfer(messagesOf(s));
    assert.equal(decoded[0].id, 777);
  });

  it('answers IXFR with the SOA alone when the client is current, in full when behind', () => {
    const ask = (serial: number): TransferStart => startTransfer(query('IXFR', { authorities: [soa('example.com', serial)] }), '127.0.0.1', loopbackOnly, now, true);
    const current = ask(2026112701);
    assert.ok(current.kind === 'allowed');
    assert.equal(planTransfer(current, version).kind, 'ixfr-current');
    const one = messagesOf(current);
    assert.deepEqual(one.map((m) => decode(m).answers!.map((a) => a.type)), [['SOA']]);
    const behind = ask(2026112600);
    assert.ok(behind.kind === 'allowed');
    assert.equal(planTransfer(behind, version).kind, 'ixfr-full');
    const full = readTransfer(messagesOf(behind));
    assert.equal(full.decoded[0].questions![0].type, 'IXFR');
    assert.notEqual(full.records[1].split(' ')[2], 'SOA', 'AXFR-style: the second record is not an SOA (RFC 1995 §4)');
  });

  it('keeps AXFR to TCP and answers classes other than IN, and zones not served, with NOTAUTH', () => {
    assert.equal(reply(startTransfer(query('AXFR'), '127.0.0.1', loopbackOnly, now, false)).rcode, 'NOTIMP');
    const ch = packet.encode({ type: 'query', id: 9, questions: [{ name: 'example.com', type: 'AXFR', class: 'CH' }] });
    assert.equal(reply(startTransfer(ch, '127.0.0.1', loopbackOnly, now, true)).rcode, 'NOTAUTH');
    const s = startTransfer(query('AXFR', {}, 'example.org'), '127.0.0.1', loopbackOnly, now, true);
    assert.ok(s.kind === 'allowed');
    assert.equal(decode(notServed(s, now)).rcode, 'NOTAUTH');
  });

  it('answers a malformed request with FORMERR, its header echoed when the question cannot be read', () => {
    const cut = query('AXFR').subarray(0, 16);
    const r = reply(startTransfer(cut, '127.0.0.1', loopbackOnly, now, true));
    assert.equal(r.rcode, 'FORMERR');
    assert.equal(r.d.id, 777);
    assert.equal(r.d.questions!.length, 0);
    const badvers = reply(startTransfer(query('AXFR', { additionals: [opt(1)] }), '127.0.0.1', loopbackOnly, now, true));
    // BADVERS is 16: 0 in the header, 1 in the OPT RR's extended RCODE (RFC 6891 §6.1.3).
    assert.equal(badvers.rcode, 'BADVERS');
    assert.equal(badvers.d.rcode, 'NOERROR');
    assert.deepEqual(badvers.d.additionals!.map((a) => [a.type, (a as { extendedRcode?: number }).extendedRcode]), [['OPT', 1]]);
  });

  it('with TSIG_KEY: refuses an unsigned request, answers a bad signature NOTAUTH, signs what it streams', async () => {
    assert.match(reply(startTransfer(query('AXFR'), '127.0.0.1', keyOnly, now, true)).why, /not signed/);
    const off = (signedQuery: Buffer): string => reply(startTransfer(signedQuery, '127.0.0.1', { allow: [], keys: new Map() }, now, true)).rcode;
    const out = (await python(`
import dns.message, dns.tsigkeyring
kr = dns.tsigkeyring.from_text({'xfr-key.': ('hmac-sha256', '${SECRET}'), 'other.': ('hmac-sha256', '${SECRET}')})
for k in ['xfr-key.', 'other.']:
    q = dns.message.make_query('example.com.', 'AXFR')
    q.id = 777
    q.use_tsig(kr, keyname=k)
    print(q.to_wire().hex())
`)).trim().split('\n').map((h) => Buffer.from(h, 'hex'));
    assert.equal(off(out[0]), 'REFUSED', 'a signed request while transfers are off');
    const signed = startTransfer(out[0], '192.0.2.1', keyOnly, now, true);
    assert.equal(signed.kind, 'allowed');
    assert.ok(signed.kind === 'allowed' && signed.signer);
    for (const m of messagesOf(signed)) assert.ok(findTsig(m, readMessage(m)), 'every message signed');
    const unknown = startTransfer(out[1], '192.0.2.1', keyOnly, now, true);
    assert.equal(reply(unknown).rcode, 'NOTAUTH');
    assert.ok(unknown.kind === 'reply');
    assert.equal(findTsig(unknown.message, readMessage(unknown.message))?.error, TSIG_ERROR.BADKEY);
    // A request signed too long ago: BADTIME, signed.
    const late = startTransfer(out[0], '192.0.2.1', keyOnly, now + 3600, true);
    assert.ok(late.kind === 'reply');
    const tsig = findTsig(late.message, readMessage(late.message))!;
    assert.equal(tsig.error, TSIG_ERROR.BADTIME);
    assert.equal(tsig.mac.length, 32);
  });
});
