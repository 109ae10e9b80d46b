/**
 * Serials that only grow, at the real server (issue 13): a zone without `serial` is served with
 * its file's modification time; a later version whose time would not give a greater serial gets
 * the served serial plus one; an explicit serial wins, with a warning when it is not greater.
 */
import assert from 'node:assert/strict';
import { renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as packet from 'dns-packet';
import { query } from '../helpers/dns.js';
import { withServer } from '../helpers/server.js';

const T1 = 1_800_000_000;
const zone = (extra: string, serial?: number): string =>
  `[domain]\ndomain = "grow.example"\n${serial === undefined ? '' : `serial = ${serial}\n`}\n[[records]]\ndomain = "www."\naddress = "${extra}"\n`;

describe('serials that only grow', () => {
  const f = withServer({});

  /** Writes the zone file with this modification time (set before it appears under its name). */
  function writeWithTime(text: string, unixSeconds: number): void {
    const tmp = join(f.dir.path, '.grow.example.toml.tmp');
    writeFileSync(tmp, text);
    utimesSync(tmp, unixSeconds, unixSeconds);
    renameSync(tmp, join(f.dir.path, 'grow.example.toml'));
  }

  async function servedSerial(): Promise<number> {
    const reply = await query(f.server.port, 'grow.example', 'SOA');
    return (reply.answers![0] as packet.SoaAnswer).data.serial!;
  }

  it('serves the file\'s modification time as the serial when the file sets none', async () => {
    const loaded = f.server.next('zone loaded');
    writeWithTime(zone('192.0.2.1'), T1);
    assert.equal((await loaded).serial, T1);
    assert.equal(await servedSerial(), T1);
  });

  it('gives a change with an older time the served serial plus one', async () => {
    const loaded = f.server.next('zone loaded');
    writeWithTime(zone('192.0.2.2'), T1 - 3600);
    assert.equal((await loaded).serial, T1 + 1);
    assert.equal(await servedSerial(), T1 + 1);
  });

  it('serves an explicit serial, warning when it is not greater than the served one', async () => {
    const loaded = f.server.next('zone loaded');
    writeWithTime(zone('192.0.2.3', 5), T1 + 10);
    assert.equal((await loaded).serial, 5);
    assert.equal(await servedSerial(), 5);
    const warning = await f.server.waitFor((l) => l.level === 'warn' && /serial 5 is not greater than 1800000001/.test(l.msg));
    assert.match(warning.msg, /write serial = 1800000002 or more/);
  });
});
