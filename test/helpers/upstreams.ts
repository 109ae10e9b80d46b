import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { makeQuery, udpRaw } from './dns.js';
import { nsdConf } from './nsd.js';
import { freePort } from './ops.js';

/** A real authoritative server answers within a second of its start; this is reached only when something is wrong. */
const START_MS = 60_000;

export interface Upstream {
  port: number;
  stop(): Promise<void>;
}

/** Runs `cmd` until it answers `zone` SOA over UDP on `port`; fails saying what it printed. */
async function runUntilAnswering(name: string, cmd: string, args: string[], dir: string, port: number, zone: string): Promise<Upstream> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let spawnError: Error | null = null;
  child.on('error', (e) => (spawnError = e));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  const deadline = Date.now() + START_MS;
  while (!(await udpRaw(port, makeQuery(zone, 'SOA', { rd: false }), 100))) {
    if (spawnError !== null || child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${name} did not answer ${zone} SOA on 127.0.0.1:${port} within ${START_MS / 1000} s (${spawnError ?? `exit code ${child.exitCode}`}): ${out}`);
    }
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** NSD, authoritative for `zone` (an RFC 1035 master file), on 127.0.0.1. */
export async function startNsdZone(zone: string, masterFile: string): Promise<Upstream> {
  const dir = mkdtempSync(join(tmpdir(), 'eclipso-fwd-nsd-'));
  const port = await freePort();
  writeFileSync(join(dir, 'z.zone'), masterFile);
  mkdirSync(join(dir, 'xfr'));
  writeFileSync(join(dir, 'nsd.conf'), nsdConf(dir, port, `zone:\n  name: "${zone}"\n  zonefile: "${join(dir, 'z.zone')}"\n`));
  return runUntilAnswering('nsd', 'nsd', ['-d', '-c', join(dir, 'nsd.conf')], dir, port, zone);
}

/** Knot DNS, authoritative for `zone` (an RFC 1035 master file), on 127.0.0.1. */
export async function startKnotZone(zone: string, masterFile: string): Promise<Upstream> {
  const dir = mkdtempSync(join(tmpdir(), 'eclipso-fwd-knot-'));
  const port = await freePort();
  writeFileSync(join(dir, `${zone}.zone`), masterFile);
  writeFileSync(join(dir, 'knot.conf'), `server:
  listen: 127.0.0.1@${port}
  rundir: "${dir}"
log:
  - target: stdout
    any: warning
database:
  storage: "${dir}"
template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: ${zone}
    file: "${join(dir, `${zone}.zone`)}"
`);
  return runUntilAnswering('knotd', 'knotd', ['-c', join(dir, 'knot.conf')], dir, port, zone);
}

/**
 * How a fake upstream misbehaves: never answers; answers with another ID; answers from another
 * port; or answers over UDP with TC=1 and no records, over TCP in full.
 */
export type Misbehaviour = 'silent' | 'wrongId' | 'wrongPort' | 'truncates';

/** A fake upstream's behaviour: a misbehaviour, or answering as it should (with SPOOFED_ADDRESS: no real data). */
export type Behaviour = Misbehaviour | 'answers';

/** A fake upstream on 127.0.0.1 (UDP and TCP on one port), counting the queries it got. */
export interface FakeUpstream extends Upstream {
  /** What it does with the next queries (a test may change it). */
  how: Behaviour;
  /** UDP queries received. */
  udpQueries: number;
  /** Each UDP query as it came: its bytes and source port. */
  received: { query: Buffer; port: number }[];
  tcpQueries: number;
}

/** The address a fake upstream answers with: a forwarder that passes it on has been fooled. */
export const SPOOFED_ADDRESS = '198.51.100.66';
/** What the truncating upstream answers over TCP only. */
export const TCP_ONLY_ADDRESS = '198.51.100.77';

function fakeReply(query: Buffer, address: string, tc: boolean): Buffer {
  const q = packet.decode(query);
  return packet.encode({
    type: 'response', id: q.id, flags: tc ? packet.TRUNCATED_RESPONSE : 0,
    questions: q.questions,
    answers: tc ? [] : [{ type: 'A', name: q.questions![0].name, ttl: 300, data: address }],
  });
}

export async function startFakeUpstream(how: Behaviour): Promise<FakeUpstream> {
  const other: Socket = createSocket('udp4');
  await new Promise<void>((r) => other.bind(0, '127.0.0.1', () => r()));
  const tcp: Server = createServer((s) => {
    let pending = Buffer.alloc(0);
    s.on('error', () => s.destroy());
    s.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const q = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + q.length);
        fake.tcpQueries++;
        const r = fakeReply(q, TCP_ONLY_ADDRESS, false);
        const framed = Buffer.alloc(2 + r.length);
        framed.writeUInt16BE(r.length, 0);
        r.copy(framed, 2);
        s.write(framed);
      }
    });
  });
  // A port free for TCP, then UDP on it; another pair if UDP has it taken.
  let udp: Socket | null = null;
  let port = 0;
  for (let attempt = 1; udp === null; attempt++) {
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    port = (tcp.address() as { port: number }).port;
    const s = createSocket('udp4');
    const bound = await new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.bind(port, '127.0.0.1', () => r(true));
    });
    if (bound) udp = s;
    else {
      await new Promise<void>((r) => tcp.close(() => r()));
      if (attempt >= 10) throw new Error('no port free for both UDP and TCP on 127.0.0.1 in 10 tries');
    }
  }
  const u: Socket = udp;
  u.on('message', (q, rinfo) => {
    fake.udpQueries++;
    fake.received.push({ query: q, port: rinfo.port });
    if (fake.how === 'silent') return;
    if (fake.how === 'truncates') {
      u.send(fakeReply(q, SPOOFED_ADDRESS, true), rinfo.port, rinfo.address);
      return;
    }
    const r = fakeReply(q, SPOOFED_ADDRESS, false);
    if (fake.how === 'answers') {
      u.send(r, rinfo.port, rinfo.address);
    } else if (fake.how === 'wrongId') {
      r.writeUInt16BE((r.readUInt16BE(0) + 1) & 0xffff, 0);
      u.send(r, rinfo.port, rinfo.address);
    } else {
      other.send(r, rinfo.port, rinfo.address);
    }
  });
  const fake: FakeUpstream = {
    how,
    port,
    udpQueries: 0,
    received: [],
    tcpQueries: 0,
    stop: async () => {
      await new Promise<void>((r) => u.close(() => r()));
      await new Promise<void>((r) => other.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
  return fake;
}
