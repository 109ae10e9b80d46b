/**
 * AXFR of one large zone (1M records; --records=N for another size), Eclipso beside NSD in the
 * same run: time from the request to the closing SOA, records per second, the growth of the
 * server's RSS (process tree) over its RSS before the transfer, sampled every 20 ms, and queries
 * to another zone answered meanwhile (one at a time over UDP: how many, the slowest). Each server
 * transfers --runs=3 times; the medians are reported. WORKERS=1, no CPU pinning.
 *
 *   node bench/axfr.mjs [--records=1000000] [--runs=3]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAS_NSD, startNsd } from './lib/nsd.mjs';
import { rssBytes } from './lib/proc.mjs';
import { encodeQuery } from './lib/query.mjs';
import { fmt, median, progress, table } from './lib/report.mjs';
import { ask, Child, jsonField, MAIN } from './lib/servers.mjs';

const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const RECORDS = Number(opts.records ?? 1_000_000);
const RUNS = Number(opts.runs ?? 3);
const ZONE = 'big.bench';
const SAMPLE_MS = 20;
const MiB = 2 ** 20;

function writeZones(dir) {
  mkdirSync(dir, { recursive: true });
  const parts = [`version = 1.0\n\n[domain]\ndomain = "${ZONE}"\nserial = 1\n\n[defaults]\nttl = 3600\n\n`];
  for (let i = 0; i < RECORDS; i++) parts.push(`[[records]]\ndomain = "h${i}"\naddress = "10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}"\n\n`);
  writeFileSync(join(dir, `${ZONE}.toml`), parts.join(''));
  writeFileSync(join(dir, 'other.bench.toml'), '[domain]\ndomain = "other.bench"\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n');
}

/** The offset past the name at `p` (uncompressed labels or a pointer). */
function skipName(b, p) {
  for (;;) {
    const len = b[p];
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2;
    p += 1 + len;
  }
}

/** Transfers the zone over TCP; resolves with records and octets once the closing SOA arrives. */
function axfr(port) {
  return new Promise((resolve, reject) => {
    const q = encodeQuery(ZONE, 'AXFR');
    const sock = connect(port, '127.0.0.1');
    const framed = Buffer.alloc(2 + q.length);
    framed.writeUInt16BE(q.length, 0);
    q.copy(framed, 2);
    sock.on('connect', () => sock.write(framed));
    let pending = Buffer.alloc(0);
    let records = 0;
    let octets = 0;
    let soas = 0;
    sock.on('data', (d) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        const m = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        octets += len;
        if ((m[3] & 0xf) !== 0) return reject(new Error(`rcode ${m[3] & 0xf}`));
        let p = 12;
        for (let i = m.readUInt16BE(4); i > 0; i--) p = skipName(m, p) + 4;
        for (let i = m.readUInt16BE(6); i > 0; i--) {
          p = skipName(m, p);
          if (m.readUInt16BE(p) === 6) soas++;
          p += 10 + m.readUInt16BE(p + 8);
          records++;
        }
        if (soas === 2) {
          sock.destroy();
          return resolve({ records, octets });
        }
      }
    });
    sock.on('error', reject);
  });
}

/** Queries `other.bench` one at a time until `stop()` is true: answered, unanswered, slowest (ms). */
async function queriesDuring(port, stop) {
  const q = encodeQuery('www.other.bench', 'A');
  let answered = 0;
  let lost = 0;
  let slowest = 0;
  while (!stop()) {
    const t = performance.now();
    if (await ask(port, q, 1000)) answered++;
    else lost++;
    slowest = Math.max(slowest, performance.now() - t);
  }
  return { answered, lost, slowest };
}

async function measure(name, pid, port) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    await new Promise((res) => setTimeout(res, 1000));
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), SAMPLE_MS);
    let done = false;
    const queries = queriesDuring(port, () => done);
    const t = performance.now();
    const got = await axfr(port);
    const s = (performance.now() - t) / 1000;
    done = true;
    clearInterval(sampler);
    const q = await queries;
    progress(`${name} run ${r + 1}: ${got.records} records in ${fmt(s, 2)} s, RSS +${fmt((peak - before) / MiB)} MiB, ${q.answered} queries answered (${q.lost} lost, slowest ${fmt(q.slowest)} ms)`);
    runs.push({ s, records: got.records, octets: got.octets, growth: peak - before, ...q });
  }
  const s = median(runs.map((x) => x.s));
  return {
    name, s, rate: runs[0].records / s, growth: median(runs.map((x) => x.growth)), octets: runs[0].octets,
    answered: median(runs.map((x) => x.answered)), lost: Math.max(...runs.map((x) => x.lost)), slowest: median(runs.map((x) => x.slowest)),
  };
}

async function startEclipso(zoneDir) {
  const env = { ...process.env, ECLIPSO_LOG_IGNORE: '1', LOG_FORMAT: 'json', WORKERS: '1', XFR_ALLOW: '127.0.0.1' };
  const child = new Child('eclipso', spawn(process.execPath, [MAIN, '--zone-dir', zoneDir, '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const zones = child.waitFor((l) => jsonField(l, 'zones ready', 'zones'));
  child.port = Number(await child.waitFor((l) => jsonField(l, 'listening', 'port')));
  await zones;
  return child;
}

const dir = mkdtempSync(join(tmpdir(), 'eclipso-axfr-'));
const rows = [];
try {
  const zoneDir = join(dir, 'zones');
  progress(`writing a zone of ${RECORDS} records`);
  writeZones(zoneDir);
  if (HAS_NSD) {
    const nsd = await startNsd({ zoneDir, dir: join(dir, 'nsd'), provideXfr: true });
    try {
      rows.push(await measure('NSD', nsd.pid, nsd.port));
    } finally {
      await nsd.stop();
    }
  }
  const eclipso = await startEclipso(zoneDir);
  try {
    rows.push(await measure('Eclipso', eclipso.pid, eclipso.port));
  } finally {
    await eclipso.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const nsd = rows.find((r) => r.name === 'NSD');
console.log(`\nAXFR of a ${RECORDS}-record zone, median of ${RUNS} (node ${process.version}):\n`);
console.log(table(['server', 's', 'records/s', 'vs NSD', 'MiB sent', 'RSS growth MiB', 'queries answered meanwhile', 'lost', 'slowest query ms'], rows.map((r) => [
  r.name, fmt(r.s, 2), fmt(r.rate, 0), nsd ? `${fmt(r.rate / nsd.rate, 2)}×` : '-', fmt(r.octets / MiB), fmt(r.growth / MiB), String(r.answered), String(r.lost), fmt(r.slowest),
])));
