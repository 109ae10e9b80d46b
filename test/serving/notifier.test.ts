/**
 * The Notifier (src/serving/notifier.ts) with real UDP sockets on 127.0.0.1 and short tries: a zone's
 * own `notify` list replaces XFR_NOTIFY, and its counters and log lines say what became of each
 * NOTIFY, a secondary that never answers included (the server's own tries take about a minute).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { NOTIFY_RESULTS } from '../../src/counters/snapshot.js';
import { Logger } from '../../src/log.js';
import { Notifier, type NotifyZone } from '../../src/serving/notifier.js';
import { parseNotifyTargets } from '../../src/transfer/notify.js';
import type { TransferSettings } from '../../src/transfer/settings.js';
import { pollUntil } from '../helpers/server.js';
import { zoneOf } from '../helpers/xfr.js';

const zone = zoneOf('example.com.toml');

/** A UDP socket that takes NOTIFYs and never answers: the names of the zones it was told of. */
async function silentSecondary(): Promise<{ port: number; zones: string[]; close: () => void }> {
  const socket = createSocket('udp4');
  const zones: string[] = [];
  socket.on('message', (msg: Buffer) => zones.push((packet.decode(msg) as packet.Packet).questions![0].name));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, zones, close: () => socket.close() };
}

const settings = (notify: string): TransferSettings => ({ access: { allow: [], keys: new Map() }, notify: parseNotifyTargets(notify), notifyKey: null, ixfrVersions: 0, warnings: [] });
const counted = (n: Notifier): Record<string, number> => Object.fromEntries(NOTIFY_RESULTS.map((r, i) => [r, n.counts[i]]));

describe('the Notifier', () => {
  it('counts a NOTIFY no secondary answers as failed once its tries run out, and logs it', async () => {
    const silent = await silentSecondary();
    const lines: Record<string, unknown>[] = [];
    const notifier = new Notifier(settings(`127.0.0.1:${silent.port}`), new Logger('json', true, (l) => lines.push(JSON.parse(l))), { tries: 2, firstTimeoutMs: 20 });
    try {
      notifier.start();
      notifier.changed({ apex: zone.apex, soa: zone.soa });
      await pollUntil(() => notifier.counts[NOTIFY_RESULTS.indexOf('failed')] === 1, 'the NOTIFY to count as failed');
      // Both tries arrive (the socket may read the second after the sender gave up).
      await pollUntil(() => silent.zones.length === 2, 'the two tries to arrive');
      assert.deepEqual(counted(notifier), { sent: 1, acknowledged: 0, failed: 1 });
      assert.deepEqual(lines.filter((l) => String(l.msg).startsWith('notify')).map((l) => [l.level, l.msg, l.zone, l.why]), [
        ['debug', 'notify sent', 'example.com.', undefined],
        ['warn', 'notify not acknowledged', 'example.com.', 'no reply after 2 tries'],
      ]);
    } finally {
      notifier.close();
      silent.close();
    }
  });

  it('sends to the zone\'s own list instead of XFR_NOTIFY; an empty one sends nothing', async () => {
    const global = await silentSecondary();
    const own = await silentSecondary();
    const notifier = new Notifier(settings(`127.0.0.1:${global.port}`), new Logger('json', false, () => {}), { tries: 1, firstTimeoutMs: 20 });
    try {
      notifier.start();
      const cases: [NotifyZone, string][] = [
        [{ apex: zone.apex, soa: zone.soa, notify: [`127.0.0.1:${own.port}`] }, 'own'],
        [{ apex: ['other', 'test'], soa: zone.soa, notify: [] }, 'none'],
        [{ apex: ['third', 'test'], soa: zone.soa }, 'global'],
      ];
      for (const [z] of cases) notifier.changed(z);
      await pollUntil(() => notifier.counts[NOTIFY_RESULTS.indexOf('failed')] === 2, 'both NOTIFYs sent to give up');
      await pollUntil(() => own.zones.length + global.zones.length === 2, 'both NOTIFYs to arrive');
      assert.deepEqual(own.zones, ['example.com']);
      assert.deepEqual(global.zones, ['third.test']);
      assert.deepEqual(counted(notifier), { sent: 2, acknowledged: 0, failed: 2 });
    } finally {
      notifier.close();
      global.close();
      own.close();
    }
  });
});
