import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { TCP_LENGTH_PREFIX, TYPE } from '../../src/wire/constants.js';
import { parseName } from '../../src/wire/name.js';
import { compileFile } from '../../src/answer/compile-file.js';
import { axfrMessages, soaOnlyMessage, TRANSFER_MESSAGE_TARGET } from '../../src/transfer/axfr.js';
import type { ResponseHead } from '../../src/transfer/response.js';
import { expectedRecords, readTransfer, zoneOf } from '../helpers/xfr.js';

const head = (qname: string, edns = false, qtype: number = TYPE.AXFR): ResponseHead => ({ id: 0xabcd, rd: false, qname: parseName(qname), qtype, qclass: 1, edns });

/** A zone of `n` names with an A, an AAAA and a TXT record each, and a delegation with glue. */
function bigZone(n: number): string {
  const lines = ['[domain]', 'domain = "big.test"', 'serial = 77', '[[records]]', 'domain = "@"', 'type = "NS"', 'address = "ns1.big.test."'];
  lines.push('[[records]]', 'domain = "ns1"', 'address = "192.0.2.1"');
  lines.push('[[records]]', 'domain = "child"', 'type = "NS"', 'address = "ns.child.big.test."');
  lines.push('[[records]]', 'domain = "ns.child"', 'address = "192.0.2.2"');
  for (let i = 0; i < n; i++) {
    lines.push('[[records]]', `domain = "host-${i}.dept-${i % 7}"`, `address = "10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}"`);
    lines.push('[[records]]', `domain = "host-${i}.dept-${i % 7}"`, 'type = "AAAA"', `address = "2001:db8::${i.toString(16)}"`);
    lines.push('[[records]]', `domain = "host-${i}.dept-${i % 7}"`, 'type = "TXT"', `address = "record ${i} of a zone that takes several messages"`);
  }
  return lines.join('\n') + '\n';
}

/** A zone with a health check, a failover secondary and a check of its own address. */
const HEALTH_ZONE = [
  '[domain]', 'domain = "health.test"', '[[health_checks]]', 'name = "web"', 'type = "tcp"', 'port = 80',
  '[[records]]', 'domain = "@"', 'type = "NS"', 'address = "ns1.health.test."', '[[records]]', 'domain = "ns1"', 'address = "192.0.2.53"',
  '[[records]]', 'domain = "www"', 'address = "192.0.2.1"', 'health_check = "web"',
  '[[records]]', 'domain = "www"', 'address = "192.0.2.2"', 'health_check = "web"', 'check_address = "192.0.2.9"',
  '[[records]]', 'domain = "www"', 'address = "192.0.2.3"', 'failover = "secondary"',
  '[[records]]', 'domain = "@"', 'type = "MX"', 'address = "www.health.test."',
].join('\n');

/** The messages of a transfer image: each after its two-octet length. */
function imageMessages(image: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < image.length; at += TCP_LENGTH_PREFIX + ((image[at] << 8) | image[at + 1])) {
    out.push(Buffer.from(image.subarray(at + TCP_LENGTH_PREFIX, at + TCP_LENGTH_PREFIX + ((image[at] << 8) | image[at + 1]))));
  }
  return out;
}

describe('AXFR messages (RFC 5936)', () => {
  for (const [fileName, text] of [['example.com.toml', undefined], ['health.test.toml', HEALTH_ZONE]] as const) {
    it(`made once with the compiled zone, carry every record of ${fileName}, failover secondaries and health-checked ones included`, () => {
      const zone = zoneOf(fileName, text);
      const compiled = compileFile(text ?? readFileSync(new URL(`../../../zones/${fileName}`, import.meta.url), 'utf8'), fileName, fileName, {}, { transfers: true });
      assert.equal(compiled.kind, 'zone');
      assert.deepEqual(readTransfer(imageMessages(compiled.axfr!)).records, expectedRecords(zone));
    });
  }
  it('carry every record of zones/example.com.toml, SOA first and last, delegation and glue included', () => {
    const zone = zoneOf('example.com.toml');
    const messages = [...axfrMessages(head('example.com'), zone, 0)];
    assert.equal(messages.length, 1);
    const { records, decoded } = readTransfer(messages);
    assert.deepEqual(records, expectedRecords(zone));
    const d = decoded[0] as packet.Packet & { flag_aa?: boolean; rcode?: string };
    assert.equal(d.id, 0xabcd);
    assert.equal(d.flag_aa, true);
    assert.equal(d.rcode, 'NOERROR');
    assert.deepEqual(d.questions, [{ name: 'example.com', type: 'AXFR', class: 'IN' }]);
    assert.ok(records.some((r) => r.startsWith('lab.example.com 3600 NS')), 'the delegation');
    assert.ok(records.some((r) => /^ns\.lab\.example\.com \d+ A /.test(r)), 'its glue');
  });

  it('stream a large zone in messages of at most 16 KiB, names compressed, the question in the first only', () => {
    const zone = zoneOf('big.test.toml', bigZone(3000));
    const messages = [...axfrMessages(head('BIG.test', true), zone, 200)];
    assert.ok(messages.length > 5, `${messages.length} messages`);
    for (const m of messages) assert.ok(m.length <= TRANSFER_MESSAGE_TARGET - 200, `a message of ${m.length} octets`);
    const { records, decoded } = readTransfer(messages);
    assert.deepEqual(records, expectedRecords(zone));
    assert.deepEqual(decoded[0].questions, [{ name: 'BIG.test', type: 'AXFR', class: 'IN' }], 'the question as the client wrote it');
    assert.ok(decoded.slice(1).every((d) => d.questions!.length === 0), 'no question after the first message (RFC 5936 §2.2.1)');
    assert.deepEqual(decoded.map((d) => (d.additionals ?? []).map((a) => a.type)), decoded.map((_, i) => (i === 0 ? ['OPT'] : [])), 'an OPT in the first message only');
    assert.ok(decoded.every((d) => d.id === 0xabcd && (d as { flag_aa?: boolean }).flag_aa));
    // Compression: the zone's names written out whole would take far more room.
    const uncompressed = records.reduce((n, r) => n + r.split(' ')[0].length + 2, 0);
    const total = messages.reduce((n, m) => n + m.length, 0);
    assert.ok(total < uncompressed + records.length * 20, `${total} octets for ${records.length} records`);
    // Names in the zone keep their case: the question's "BIG" is not a compression target.
    assert.ok(records.every((r) => !r.includes('BIG')));
  });

  it('put a record larger than the target alone in a message of its own', () => {
    const strings = Array.from({ length: 100 }, (_, i) => `"${String(i).padStart(3, '0')}${'x'.repeat(250)}"`).join(', ');
    const text = `[domain]\ndomain = "wide.test"\n[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns.wide.test."\n[[records]]\ndomain = "txt"\ntype = "TXT"\naddress = [${strings}]\n[[records]]\ndomain = "ns"\naddress = "192.0.2.1"\n`;
    const zone = zoneOf('wide.test.toml', text);
    const messages = [...axfrMessages(head('wide.test'), zone, 0)];
    const sizes = messages.map((m) => m.length);
    assert.ok(sizes.some((s) => s > TRANSFER_MESSAGE_TARGET && s <= 65535), `sizes ${sizes}`);
    assert.deepEqual(readTransfer(messages).records, expectedRecords(zone));
  });

  it('are made as they are pulled: the first message comes before the rest are encoded', () => {
    const zone = zoneOf('big.test.toml', bigZone(3000));
    const it = axfrMessages(head('big.test'), zone, 0);
    const first = it.next();
    assert.equal(first.done, false);
    assert.equal(packet.decode(first.value as Buffer).answers![0].type, 'SOA');
    it.return(undefined); // a client that goes away: the rest is never made
  });

  it('answer an up-to-date IXFR with the current SOA alone', () => {
    const zone = zoneOf('example.com.toml');
    const d = packet.decode(soaOnlyMessage(head('example.com', true, TYPE.IXFR), zone));
    assert.deepEqual(d.questions, [{ name: 'example.com', type: 'IXFR', class: 'IN' }]);
    assert.deepEqual(d.answers!.map((a) => [a.type, ((a as packet.SoaAnswer).data).serial]), [['SOA', 2026112701]]);
    assert.deepEqual(d.additionals!.map((a) => a.type), ['OPT']);
  });
});
