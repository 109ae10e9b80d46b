import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import * as packet from 'dns-packet';
import { formatName } from '../../src/wire/name.js';
import { formatRData, type RData } from '../../src/wire/rdata.js';
import { typeName } from '../../src/wire/constants.js';
import type { Zone } from '../../src/zone/model.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { startServer, ZoneDir, type ServerProcess } from './server.js';
import { makeQuery, tcpRaw, udpRaw } from './dns.js';
import { freePort } from './ops.js';

/** What a client sees of a reply: everything but the ID. */
export function seen(reply: Buffer | null): unknown {
  assert.ok(reply, 'no reply');
  const { id: _id, ...rest } = packet.decode(reply);
  return rest;
}

/**
 * Our server and NSD serving the same zone files (`[file name, text]`; NSD with the serials ours
 * serves), started before the tests of the suite this is called in and stopped after them.
 */
export function besideNsd(files: [string, string][]): { readonly server: ServerProcess; readonly nsd: Nsd } {
  let server: ServerProcess | undefined;
  let nsd: Nsd | undefined;
  const dir = new ZoneDir();
  before(async () => {
    const zones = files.map(([fileName, text]) => {
      dir.write(fileName, text);
      const parsed = parseZoneFile(text, fileName, fileName);
      assert.ok(parsed.active, `${fileName} serves a zone`);
      return parsed.zone;
    });
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1' } });
    // A file without a serial is served with one from its modification time: NSD gets the same.
    for (const z of zones) z.soa.data.serial = Number((await server.waitFor((l) => l.msg === 'zone loaded' && l.zone === formatName(z.apex))).serial);
    nsd = await startNsd(zones);
  });
  after(async () => {
    await server?.stop();
    await nsd?.stop();
    dir.cleanup();
  });
  return {
    get server() {
      return server!;
    },
    get nsd() {
      return nsd!;
    },
  };
}

/**
 * Tests that ask our server and NSD each question, over UDP without EDNS and with each of
 * `ednsSizes`, and over TCP, and find the same replies (the ID aside). `ports` is read when the
 * tests run (the servers start in `before`).
 */
export function sameAnswersAsNsd(questions: [string, string][], ports: () => { ours: number; nsd: number }, ednsSizes: number[]): void {
  for (const edns of [0, ...ednsSizes]) {
    it(`over UDP, ${edns ? `EDNS ${edns}` : 'without EDNS'}: ${questions.length} questions`, async () => {
      const { ours, nsd } = ports();
      for (const [name, type] of questions) {
        const q = makeQuery(name, type, edns ? { edns } : {});
        assert.deepEqual(seen(await udpRaw(ours, q)), seen(await udpRaw(nsd, q)), `${name} ${type}`);
      }
    });
  }

  it('over TCP', async () => {
    const { ours, nsd } = ports();
    const qs = questions.map(([name, type]) => makeQuery(name, type, { edns: 1232 }));
    const [mine, theirs] = [await tcpRaw(ours, qs), await tcpRaw(nsd, qs)];
    questions.forEach(([name, type], i) => assert.deepEqual(seen(mine[i]), seen(theirs[i]), `${name} ${type}`));
  });
}

/** A character-string in master-file form: printable ASCII as is, the rest as \DDD (RFC 1035 §5.1). */
function charString(b: Uint8Array): string {
  let s = '"';
  for (const c of b) s += c === 0x22 || c === 0x5c ? `\\${String.fromCharCode(c)}` : c < 0x20 || c > 0x7e ? `\\${String(c).padStart(3, '0')}` : String.fromCharCode(c);
  return s + '"';
}

function rdataText(d: RData): string {
  if (d.t === 'TXT') return d.strings.map(charString).join(' ');
  if (d.t === 'CAA') return `${d.flags} ${d.tag} ${charString(d.value)}`;
  return formatRData(d);
}

/** The zone as an RFC 1035 master file, for NSD. */
export function masterFile(zone: Zone): string {
  const soa = zone.soa;
  const out = [`${formatName(zone.apex)} ${soa.ttl} IN SOA ${formatRData(soa.data)}`];
  for (const r of zone.records) out.push(`${formatName(r.owner)} ${r.ttl} IN ${typeName(r.type)} ${rdataText(r.data)}`);
  return out.join('\n') + '\n';
}

/** NSD answers within a second of its start; this deadline is reached only when something is wrong. */
const NSD_START_MS = 60_000;

export interface Nsd {
  port: number;
  stop(): Promise<void>;
}

/**
 * An nsd.conf for one NSD in the foreground on 127.0.0.1:`port`, its files in `dir`, one server
 * process, rate limiting off (Debian's NSD limits by default), then `rest` (keys and zones).
 */
export function nsdConf(dir: string, port: number, rest: string, verbosity = 0): string {
  return `server:
  ip-address: 127.0.0.1
  port: ${port}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}/xfr"
  zonelistfile: "${dir}/zone.list"
  server-count: 1
  rrl-ratelimit: 0
  verbosity: ${verbosity}
remote-control:
  control-enable: no
${rest}`;
}

/** Runs NSD in the foreground on 127.0.0.1 with these zones, rate limiting off. */
export async function startNsd(zones: Zone[]): Promise<Nsd> {
  const dir = mkdtempSync(join(tmpdir(), 'eclipso-nsd-'));
  const port = await freePort();
  const zoneConf = zones.map((z, i) => {
    writeFileSync(join(dir, `z${i}.zone`), masterFile(z));
    return `zone:\n  name: "${formatName(z.apex)}"\n  zonefile: "${join(dir, `z${i}.zone`)}"\n`;
  });
  mkdirSync(join(dir, 'xfr'));
  writeFileSync(join(dir, 'nsd.conf'), nsdConf(dir, port, zoneConf.join('')));
  const child = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let spawnError: NodeJS.ErrnoException | null = null;
  child.on('error', (e) => (spawnError = e));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  const fail = (what: string): never => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(what);
  };
  const probe = makeQuery(formatName(zones[0].apex), 'SOA');
  const deadline = Date.now() + NSD_START_MS;
  // Asks until NSD answers (it loads the zones first); each try waits 100 ms for the answer.
  while (!(await udpRaw(port, probe, 100))) {
    const err = spawnError as NodeJS.ErrnoException | null;
    if (err?.code === 'ENOENT') fail('nsd is not installed: install nsd (apt-get install nsd); these tests compare our answers with its');
    if (err) fail(`cannot run nsd: ${err.message}`);
    if (child.exitCode !== null) fail(`nsd exited with code ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) fail(`nsd did not answer on 127.0.0.1:${port} within ${NSD_START_MS / 1000} s: ${stderr}`);
  }
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
