/**
 * NSD and Knot as secondaries of the real server (dist/main.js): they transfer every zone of
 * zones/ and hold exactly its records; after a zone file changes, the server's NOTIFY reaches
 * them and they serve the new serial. NSD transfers unsigned from an XFR_ALLOW address; Knot
 * signs its transfers, and the server signs its NOTIFY, with a TSIG key. NSD's primary runs two DNS
 * threads (its NOTIFY waits until both serve the change; transfers are streamed from both); Knot's
 * one thread.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseTsigKeys } from '../../src/transfer/keys.js';
import { freePort } from '../helpers/ops.js';
import { axfrFrom, servedSerial, startKnotSecondary, startNsdSecondary, waitForSerial, type Secondary } from '../helpers/secondary.js';
import { DNS_THREADS, startServer, ZoneDir, type ServerProcess } from '../helpers/server.js';
import { expectedRecords, zoneOf } from '../helpers/xfr.js';

const FILES = ['example.com.toml', 'hello_a.net.toml'];
const text = (file: string): string => readFileSync(new URL(`../../../zones/${file}`, import.meta.url), 'utf8');

/** example.com with one more record and the serial set to `serial`. */
function changed(serial: number): string {
  return text('example.com.toml').replace(/^serial = \d+$/m, `serial = ${serial}`) + `\n[[records]]\ndomain = "added-${serial}"\naddress = "192.0.2.201"\n`;
}

const KEY_TEXT = `eclipso-xfr:hmac-sha256:${Buffer.from('the secret of this primary and its secondaries').toString('base64')}`;
const key = [...parseTsigKeys(KEY_TEXT).values()][0];

const kinds: [string, typeof startNsdSecondary, boolean, number][] = [
  ['NSD', startNsdSecondary, false, 2],
  ['Knot', startKnotSecondary, true, 1],
];

for (const [kind, startSecondary, signed, workers] of kinds) {
  describe(`${kind} as a secondary of the server${signed ? ', with TSIG' : ''} (WORKERS=${workers})`, () => {
    const dir = new ZoneDir();
    let server: ServerProcess;
    let secondary: Secondary;
    before(async () => {
      for (const f of FILES) dir.write(f, text(f));
      const [port, secondaryPort] = [await freePort(), await freePort()];
      server = await startServer(dir.path, {
        args: ['--port', String(port)],
        env: { WORKERS: String(workers), XFR_NOTIFY: `127.0.0.1:${secondaryPort}`, ...(signed ? { TSIG_KEY: KEY_TEXT } : { XFR_ALLOW: '127.0.0.1' }) },
      });
      if (workers > 1 && DNS_THREADS) await server.waitFor((l) => l.msg === 'workers ready');
      secondary = await startSecondary({ primaryPort: server.port, port: secondaryPort, zones: ['example.com', 'hello_a.net'], ...(signed ? { key } : {}) });
    });
    after(async () => {
      await secondary?.stop();
      await server?.stop();
      dir.cleanup();
    });

    it('transfers every zone and holds exactly its records', async () => {
      for (const f of FILES) {
        const z = zoneOf(f);
        const name = f.replace(/\.toml$/, '');
        // A file without a serial is served with one derived from its modification time.
        z.soa.data.serial = (await servedSerial(server.port, name))!;
        await waitForSerial(secondary, name, z.soa.data.serial);
        assert.deepEqual((await axfrFrom(secondary.port, name)).sort(), expectedRecords(z).sort(), `${kind} holds ${name} as the server serves it`);
      }
      assert.ok(!server.logs.some((l) => l.msg === 'zone transfer refused'), 'no transfer refused');
    });

    it('takes a change of a zone file when notified, and the next one too', async () => {
      for (const serial of [2026112702, 2026112703]) {
        const acknowledged = server.waitFor((l) => l.msg === 'notify acknowledged' && l.serial === serial, 60_000, `the NOTIFY of serial ${serial} acknowledged`);
        dir.write('example.com.toml', changed(serial));
        await acknowledged;
        await waitForSerial(secondary, 'example.com', serial);
        assert.deepEqual((await axfrFrom(secondary.port, 'example.com')).sort(), expectedRecords(zoneOf('example.com.toml', changed(serial))).sort());
      }
      // Both changes went by IXFR, as differences from the version the secondary had (RFC 1995 §4).
      const incremental = server.logs.filter((l) => l.msg === 'zone transfer' && l.zone === 'example.com.' && l.kind === 'IXFR');
      assert.deepEqual(incremental.map((l) => l.serial), [2026112702, 2026112703], `${kind} took both changes by IXFR`);
      if (kind === 'Knot') assert.doesNotMatch(secondary.log(), /AXFR-style IXFR/, 'Knot says it received differences, not a whole zone');
    });
  });
}
