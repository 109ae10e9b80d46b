import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { formatName } from '../../src/wire/name.js';
import type { TsigKey } from '../../src/transfer/keys.js';
import { makeQuery, udpRaw } from './dns.js';
import { nsdConf } from './nsd.js';
import { freePort } from './ops.js';
import { recordLine } from './xfr.js';

/** A real secondary (NSD or Knot) on 127.0.0.1, pulling zones from a primary on this machine. */
export interface Secondary {
  name: 'nsd' | 'knot';
  port: number;
  /** What it has logged so far (Knot says there whether a transfer was AXFR or IXFR). */
  log(): string;
  stop(): Promise<void>;
}

interface SecondaryOptions {
  primaryPort: number;
  zones: string[];
  /** The key transfers and NOTIFY are signed with; without one, they go unsigned. */
  key?: TsigKey;
  /** The port to answer on (the primary's XFR_NOTIFY names it); a free one when not given. */
  port?: number;
}

function run(name: 'nsd' | 'knot', dir: string, port: number, cmd: string, args: string[]): Secondary {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    name,
    port,
    log: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const keyAlgorithm = (k: TsigKey): string => k.algorithm.name[0];

/** NSD as a secondary (request-xfr, allow-notify), serving what it transferred and transferring it out to 127.0.0.1. */
export async function startNsdSecondary(o: SecondaryOptions): Promise<Secondary> {
  const dir = mkdtempSync(join(tmpdir(), 'eclipso-nsd-secondary-'));
  const port = o.port ?? await freePort();
  const keyName = o.key ? formatName(o.key.name) : 'NOKEY';
  const key = o.key ? `key:\n  name: "${keyName}"\n  algorithm: ${keyAlgorithm(o.key)}\n  secret: "${o.key.secret.toString('base64')}"\n` : '';
  const zones = o.zones.map((z) => `zone:
  name: "${z}"
  zonefile: "${join(dir, `${z}.zone`)}"
  request-xfr: 127.0.0.1@${o.primaryPort} ${keyName}
  allow-notify: 127.0.0.1 ${keyName}
  provide-xfr: 127.0.0.1 NOKEY
`).join('');
  mkdirSync(join(dir, 'xfr'));
  writeFileSync(join(dir, 'nsd.conf'), nsdConf(dir, port, `${key}${zones}`, 2));
  return run('nsd', dir, port, 'nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
}

/** Knot as a secondary (master, notify ACL), serving what it transferred and transferring it out to 127.0.0.1. */
export async function startKnotSecondary(o: SecondaryOptions): Promise<Secondary> {
  const dir = mkdtempSync(join(tmpdir(), 'eclipso-knot-secondary-'));
  const port = o.port ?? await freePort();
  const key = o.key ? `key:\n  - id: ${formatName(o.key.name)}\n    algorithm: ${keyAlgorithm(o.key)}\n    secret: ${o.key.secret.toString('base64')}\n` : '';
  const withKey = o.key ? `\n    key: ${formatName(o.key.name)}` : '';
  writeFileSync(join(dir, 'knot.conf'), `server:
  listen: 127.0.0.1@${port}
  rundir: "${dir}"
log:
  - target: stdout
    any: info
database:
  storage: "${dir}"
${key}remote:
  - id: primary
    address: 127.0.0.1@${o.primaryPort}${withKey}
acl:
  - id: notify_from_primary
    address: 127.0.0.1${withKey}
    action: notify
  - id: transfer_to_tests
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
zone:
${o.zones.map((z) => `  - domain: ${z}\n    master: primary\n    acl: [notify_from_primary, transfer_to_tests]\n`).join('')}`);
  return run('knot', dir, port, 'knotd', ['-c', join(dir, 'knot.conf')]);
}

/** The SOA serial a server gives for the zone over UDP, or null when it gives none (yet). */
export async function servedSerial(port: number, zone: string): Promise<number | null> {
  const reply = await udpRaw(port, makeQuery(zone, 'SOA', { rd: false }), 1000);
  if (!reply) return null;
  const d = packet.decode(reply) as packet.Packet & { rcode?: string };
  const soa = d.answers?.find((a) => a.type === 'SOA') as packet.SoaAnswer | undefined;
  return d.rcode === 'NOERROR' && soa?.data.serial !== undefined ? soa.data.serial : null;
}

/** Waits until the server serves the zone with this serial; rejects after `ms` saying what it served. */
export async function waitForSerial(s: Secondary, zone: string, serial: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: number | null = null;
  while (Date.now() < deadline) {
    last = await servedSerial(s.port, zone);
    if (last === serial) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${s.name} did not serve ${zone} with serial ${serial} within ${ms} ms (it serves ${last ?? 'nothing'}); its log:\n${s.log()}`);
}

/** Transfers a zone out of a server by AXFR over TCP: its records as dns-packet reads them, the closing SOA left out. */
export function axfrFrom(port: number, zone: string, ms = 30_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const records: packet.Answer[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`AXFR of ${zone} from port ${port}: ${records.length} records in ${ms} ms, no closing SOA`));
    }, ms);
    sock.on('error', reject);
    sock.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const m = packet.decode(pending.subarray(2, 2 + pending.readUInt16BE(0))) as packet.Packet & { rcode?: string };
        pending = pending.subarray(2 + pending.readUInt16BE(0));
        if (m.rcode !== 'NOERROR') {
          clearTimeout(timer);
          sock.destroy();
          reject(new Error(`AXFR of ${zone} from port ${port}: ${m.rcode}`));
          return;
        }
        records.push(...(m.answers ?? []));
        if (records.length > 1 && records[records.length - 1].type === 'SOA') {
          clearTimeout(timer);
          sock.end();
          resolve(records.slice(0, -1).map(recordLine));
          return;
        }
      }
    });
    const q = makeQuery(zone, 'AXFR', { rd: false });
    const framed = Buffer.alloc(2 + q.length);
    framed.writeUInt16BE(q.length, 0);
    q.copy(framed, 2);
    sock.write(framed);
  });
}
