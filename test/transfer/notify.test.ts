import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { parseTsigKeys } from '../../src/transfer/keys.js';
import { notifyMessage, NotifyTargetError, parseNotifyTargets } from '../../src/transfer/notify.js';
import { sendNotify } from '../../src/transfer/notify-sender.js';
import { PYTHON } from '../helpers/python.js';
import { zoneOf } from '../helpers/xfr.js';

type Decoded = packet.Packet & { opcode?: string; rcode?: string; flag_aa?: boolean; flag_qr?: boolean };

const zone = zoneOf('example.com.toml');

/**
 * A UDP socket on 127.0.0.1 standing in for a secondary: `answer` decides, for each NOTIFY it
 * receives (counted from 1), what to send back and from which socket.
 */
async function fakeSecondary(answer: (n: number, query: Decoded, reply: (msg: Buffer, from?: Socket) => void) => void): Promise<{ port: number; received: Decoded[]; close: () => void }> {
  const socket = createSocket('udp4');
  const other = createSocket('udp4');
  const received: Decoded[] = [];
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const q = packet.decode(msg) as Decoded;
    received.push(q);
    answer(received.length, q, (reply, from = socket) => from.send(reply, rinfo.port, rinfo.address));
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => other.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, received, close: () => { socket.close(); other.close(); } };
}

/** The reply a secondary sends to a NOTIFY (RFC 1996 §4.7): its header and question, QR set. */
function ack(q: Decoded, rcode = 0, id = q.id!): Buffer {
  const b = packet.encode({ type: 'response', id, flags: 0, questions: q.questions });
  b[2] = 0x80 | (4 << 3) | 0x04;
  b[3] = rcode;
  return b;
}

const secondaryOf = (port: number): ReturnType<typeof parseNotifyTargets> => parseNotifyTargets(`127.0.0.1:${port}`);

describe('NOTIFY messages (RFC 1996)', () => {
  it('say which zone changed and carry its new SOA', () => {
    const d = packet.decode(notifyMessage(4242, zone.apex, zone.soa)) as Decoded;
    assert.equal(d.id, 4242);
    assert.equal(d.opcode, 'NOTIFY');
    assert.equal(d.flag_aa, true, 'AA set (RFC 1996 §3.7)');
    assert.equal(d.flag_qr, false);
    assert.deepEqual(d.questions, [{ name: 'example.com', type: 'SOA', class: 'IN' }]);
    assert.deepEqual(d.answers!.map((a) => [a.name, a.type, (a as packet.SoaAnswer).data.serial]), [['example.com', 'SOA', 2026112701]]);
  });

  it('go to the secondaries XFR_NOTIFY lists, port 53 unless given', () => {
    assert.deepEqual(parseNotifyTargets('192.0.2.1, 192.0.2.2:5353,[2001:DB8::1]:5300, 2001:db8::2'), [
      { address: '192.0.2.1', port: 53, family: 4 },
      { address: '192.0.2.2', port: 5353, family: 4 },
      { address: '2001:db8::1', port: 5300, family: 6 },
      { address: '2001:db8::2', port: 53, family: 6 },
    ]);
    const bad: [string, RegExp][] = [
      ['ns1.example.com', /^entry 1 \("ns1.example.com"\) is not an address\[:port\]; write e.g. 192.0.2.1/],
      ['192.0.2.1:0', /^entry 1 \("192.0.2.1:0"\): the port must be a whole number from 1 to 65535/],
      ['192.0.2.1, [2001:db8::1]:70000', /^entry 2 .*the port must be/],
      ['192.0.2.1:53:53', /is not an address\[:port\]/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseNotifyTargets(text), (e: Error) => e instanceof NotifyTargetError && message.test(e.message), text);
  });
});

describe('the NOTIFY sender', () => {
  it('sends again until the secondary answers (RFC 1996 §3.6)', async () => {
    const sec = await fakeSecondary((n, q, reply) => {
      if (n >= 2) reply(ack(q));
    });
    try {
      const [outcome] = await sendNotify(secondaryOf(sec.port), zone.apex, zone.soa, { firstTimeoutMs: 100 });
      assert.equal(outcome.acknowledged, true, JSON.stringify(outcome));
      assert.ok(outcome.tries >= 2);
      assert.equal(outcome.target, `127.0.0.1:${sec.port}`);
      assert.ok(sec.received.every((q) => q.id === sec.received[0].id), 'a retransmission keeps its ID');
    } finally {
      sec.close();
    }
  });

  it('takes only a reply with its ID from the secondary\'s own address and port', async () => {
    let spoofer: Socket | null = null;
    const sec = await fakeSecondary((n, q, reply) => {
      reply(ack(q, 0, (q.id! + 1) & 0xffff)); // another ID
      if (spoofer) reply(ack(q), spoofer); // the right ID from another port
      if (n >= 3) reply(ack(q));
    });
    spoofer = createSocket('udp4');
    await new Promise<void>((r) => spoofer!.bind(0, '127.0.0.1', r));
    try {
      const [outcome] = await sendNotify(secondaryOf(sec.port), zone.apex, zone.soa, { firstTimeoutMs: 100 });
      assert.equal(outcome.acknowledged, true);
      assert.ok(outcome.tries >= 3, `acknowledged after ${outcome.tries} tries: a wrong reply was taken`);
    } finally {
      sec.close();
      spoofer.close();
    }
  });

  it('gives up after a bounded number of tries, and reports an error answer', async () => {
    const silent = await fakeSecondary(() => {});
    const refusing = await fakeSecondary((_n, q, reply) => reply(ack(q, 5)));
    try {
      const outcomes = await sendNotify([...secondaryOf(silent.port), ...secondaryOf(refusing.port)], zone.apex, zone.soa, { firstTimeoutMs: 50, tries: 3 });
      assert.deepEqual(outcomes.map((o) => [o.acknowledged, o.why]), [
        [false, 'no reply after 3 tries'],
        [false, 'the secondary answered REFUSED for example.com.'],
      ]);
      assert.equal(silent.received.length, 3, 'exactly the tries allowed');
      assert.equal(refusing.received.length, 1, 'an answer, even an error, ends the retries');
    } finally {
      silent.close();
      refusing.close();
    }
  });

  it('stops when told to (shutdown)', async () => {
    const silent = await fakeSecondary(() => {});
    try {
      const stop = new AbortController();
      const sent = sendNotify(secondaryOf(silent.port), zone.apex, zone.soa, { firstTimeoutMs: 60_000, signal: stop.signal });
      stop.abort();
      assert.deepEqual((await sent).map((o) => [o.acknowledged, o.why]), [[false, 'stopped before a reply']]);
    } finally {
      silent.close();
    }
  });

  it('signs the NOTIFY with TSIG, and checks the signed reply, with dnspython as the secondary', async () => {
    const secret = Buffer.alloc(32, 9).toString('base64');
    const key = [...parseTsigKeys(`notify-key:hmac-sha256:${secret}`).values()][0];
    // dnspython verifies each NOTIFY with the key and answers it signed; it prints its port first.
    const child = spawn(PYTHON, ['-c', `
import socket, sys, dns.message, dns.tsigkeyring, dns.rcode
kr = dns.tsigkeyring.from_text({'notify-key.': ('hmac-sha256', '${secret}')})
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
s.settimeout(60)
wire, peer = s.recvfrom(65535)
q = dns.message.from_wire(wire, keyring=kr)
print('verified', q.opcode(), q.question[0].name, flush=True)
r = dns.message.make_response(q)
s.sendto(r.to_wire(), peer)
`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      const port = Number((await lines.next()).value);
      const [outcome] = await sendNotify(secondaryOf(port), zone.apex, zone.soa, { key, firstTimeoutMs: 2000 });
      assert.equal((await lines.next()).value, 'verified 4 example.com.');
      assert.equal(outcome.acknowledged, true, JSON.stringify(outcome));
    } finally {
      child.kill();
    }
  });

  it('does not take an unsigned or wrongly signed reply to a signed NOTIFY', async () => {
    const key = [...parseTsigKeys(`notify-key:hmac-sha256:${Buffer.alloc(32, 9).toString('base64')}`).values()][0];
    const sec = await fakeSecondary((_n, q, reply) => reply(ack(q)));
    try {
      const [outcome] = await sendNotify(secondaryOf(sec.port), zone.apex, zone.soa, { key, firstTimeoutMs: 50, tries: 2 });
      assert.deepEqual([outcome.acknowledged, outcome.why], [false, 'TSIG: the reply is not signed']);
    } finally {
      sec.close();
    }
  });
});
