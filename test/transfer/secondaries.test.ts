/**
 * NSD and Knot as secondaries of a primary made of src/transfer/'s pieces (test/helpers/xfr-server.ts):
 * they transfer every zone of zones/ and hold exactly its records; after a change, NOTIFY reaches
 * them and they serve the new serial. NSD transfers unsigned from an XFR_ALLOW address; Knot signs
 * its transfers and our NOTIFY is signed, with a TSIG key.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { formatName } from '../../src/wire/name.js';
import type { Zone } from '../../src/zone/model.js';
import { parseAddressList, type TransferAccess } from '../../src/transfer/access.js';
import { parseTsigKeys } from '../../src/transfer/keys.js';
import { parseNotifyTargets } from '../../src/transfer/notify.js';
import { sendNotify } from '../../src/transfer/notify-sender.js';
import { axfrFrom, startKnotSecondary, startNsdSecondary, waitForSerial, type Secondary } from '../helpers/secondary.js';
import { expectedRecords, zoneOf } from '../helpers/xfr.js';
import { TransferPrimary } from '../helpers/xfr-server.js';

const FILES = ['example.com.toml', 'hello_a.net.toml'];
const text = (file: string): string => readFileSync(new URL(`../../../zones/${file}`, import.meta.url), 'utf8');
const zoneName = (z: Zone): string => formatName(z.apex).slice(0, -1);

/** example.com with one more record and the serial set to `serial`. */
function changed(serial: number): Zone {
  const t = text('example.com.toml').replace(/^serial = \d+$/m, `serial = ${serial}`) + `\n[[records]]\ndomain = "added-${serial}"\naddress = "192.0.2.201"\n`;
  return zoneOf('example.com.toml', t);
}

const keys = parseTsigKeys(`eclipso-xfr:hmac-sha256:${Buffer.from('the secret of this primary and its secondaries').toString('base64')}`);
const key = [...keys.values()][0];

const kinds: [string, typeof startNsdSecondary, boolean][] = [
  ['NSD', startNsdSecondary, false],
  ['Knot', startKnotSecondary, true],
];

for (const [kind, startSecondary, signed] of kinds) {
  describe(`${kind} as a secondary${signed ? ', with TSIG' : ''}`, () => {
    const zones = FILES.map((f) => zoneOf(f));
    const access: TransferAccess = signed ? { allow: [], keys } : { allow: parseAddressList('127.0.0.1'), keys: new Map() };
    const primary = new TransferPrimary(access, zones);
    let secondary: Secondary;
    before(async () => {
      await primary.start();
      secondary = await startSecondary({ primaryPort: primary.port, zones: zones.map(zoneName), ...(signed ? { key } : {}) });
    });
    after(async () => {
      await secondary?.stop();
      await primary.stop();
    });

    it('transfers every zone and holds exactly its records', async () => {
      for (const z of zones) {
        await waitForSerial(secondary, zoneName(z), z.soa.data.serial);
        assert.deepEqual((await axfrFrom(secondary.port, zoneName(z))).sort(), expectedRecords(z).sort(), `${kind} holds ${zoneName(z)} as we serve it`);
      }
      assert.ok(primary.log.every((l) => l.rcode === 0), JSON.stringify(primary.log));
    });

    it('takes a change when notified, and the next one too', async () => {
      for (const serial of [2026112702, 2026112703]) {
        const next = changed(serial);
        primary.setZone(next);
        const [outcome] = await sendNotify(parseNotifyTargets(`127.0.0.1:${secondary.port}`), next.apex, next.soa, signed ? { key } : {});
        assert.equal(outcome.acknowledged, true, `${kind} acknowledges the NOTIFY: ${JSON.stringify(outcome)}`);
        await waitForSerial(secondary, 'example.com', serial);
        assert.deepEqual((await axfrFrom(secondary.port, 'example.com')).sort(), expectedRecords(next).sort());
      }
      // Without a journal, an IXFR from the previous serial is answered with the whole zone (RFC 1995 §4).
      const ixfr = primary.log.filter((l) => l.kind === 'ixfr-full');
      if (kind === 'Knot') {
        assert.ok(ixfr.length >= 2, `Knot asked by IXFR: ${JSON.stringify(primary.log)}`);
        assert.match(secondary.log(), /AXFR-style IXFR/);
      }
    });
  });
}
