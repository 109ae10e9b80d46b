/**
 * Start-up and memory at scale, beside NSD in the same run: 20,000 zones of 50 records (1M
 * records; --zones=N for fewer), from spawn until sample zones (first, middle, last) answer, and
 * memory as PSS summed over the process tree (pages that forked processes share count once).
 * Eclipso cold (no cache), with an empty compiled cache (cold, and writing it), warm (reading it
 * back), for WORKERS=1 and WORKERS=2; no CPU pinning (compiling uses every core). With
 * --reverse=N, one zone of N PTR records instead (a large reverse zone: one compile thread);
 * --ns, each zone with an NS record at its apex and its name server's address (two of its records).
 * CPU to ready is the whole process tree's; Eclipso's is split by thread: the main thread, the
 * worker threads (compiling, and with WORKERS=2 the DNS threads) and V8's helper threads (optimising
 * compilers and garbage collection in the background, one set for each thread's heap).
 *
 *   node bench/startup.mjs [--zones=20000 [--ns] | --reverse=1000000] [--workers=1,2]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REVERSE_APEX, reverseOwner, reverseZone, writeScaleDataset } from './lib/dataset.mjs';
import { HAS_NSD, startNsd } from './lib/nsd.mjs';
import { cpuNs, cpuNsByThread, treeBytes } from './lib/proc.mjs';
import { encodeQuery } from './lib/query.mjs';
import { fmt, table } from './lib/report.mjs';
import { Child, jsonField, MAIN, untilAnswered } from './lib/servers.mjs';

const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const ZONES = Number(opts.zones ?? 20_000);
const PER_ZONE = 50;
const REVERSE = opts.reverse === undefined ? 0 : Number(opts.reverse);
const WORKERS = String(opts.workers ?? '1,2').split(',').map(Number);
const NS = 'ns' in opts;
/**
 * PSS is read twice after ready: at 4 s, and at 15 s, once what the compile threads held has gone
 * back (a cold start's PSS falls by about a quarter between the two; NSD's does not move).
 */
const PSS_AT_MS = [4000, 15000];

/**
 * PSS of `pid`'s tree at each of PSS_AT_MS after now, then the tree's peak RSS so far (VmHWM
 * summed over its processes: what a container's memory limit must allow for at start).
 */
async function pssAfterReady(pid) {
  const out = [];
  let waited = 0;
  for (const at of PSS_AT_MS) {
    await new Promise((r) => setTimeout(r, at - waited));
    waited = at;
    out.push(treeBytes(pid, 'smaps_rollup', 'Pss'));
  }
  return { pss: out, peak: treeBytes(pid, 'status', 'VmHWM') };
}

/** Queries that answer once everything is loaded: the first, middle and last zone's SOA, or the reverse zone's SOA and last record. */
const SAMPLES = REVERSE > 0
  ? [encodeQuery(REVERSE_APEX, 'SOA'), encodeQuery(`${reverseOwner(REVERSE - 1)}.${REVERSE_APEX}`, 'PTR')]
  : [0, Math.floor(ZONES / 2), ZONES - 1].map((z) => encodeQuery(`z${z}.scale`, 'SOA'));

async function eclipso(zoneDir, workers, cacheDir) {
  const started = performance.now();
  const env = { ...process.env, ECLIPSO_LOG_IGNORE: '1', LOG_FORMAT: 'json', WORKERS: String(workers), ...(cacheDir ? { ZONE_CACHE_DIR: cacheDir } : {}) };
  const child = new Child('eclipso', spawn(process.execPath, [MAIN, '--zone-dir', zoneDir, '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let port = 0;
  child.waitFor((l) => jsonField(l, 'listening', 'port'), 600_000).then((p) => (port = Number(p)), () => {});
  try {
    await untilAnswered(() => port, SAMPLES);
    const s = (performance.now() - started) / 1000;
    return { s, cpu: cpuNsByThread(child.pid), ...await pssAfterReady(child.pid) };
  } finally {
    await child.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'eclipso-startup-'));
const rows = [];
try {
  const zoneDir = join(dir, 'zones');
  if (REVERSE > 0) {
    mkdirSync(zoneDir, { recursive: true });
    writeFileSync(join(zoneDir, `${REVERSE_APEX}.toml`), reverseZone(REVERSE));
  } else {
    writeScaleDataset(zoneDir, ZONES, PER_ZONE, NS);
  }
  let nsd = null;
  if (HAS_NSD) {
    const child = await startNsd({ zoneDir, dir: join(dir, 'nsd') });
    try {
      await untilAnswered(() => child.port, SAMPLES);
      const s = (performance.now() - child.spawnedAt) / 1000;
      nsd = { s, cpu: cpuNs(child.pid), ...await pssAfterReady(child.pid) };
    } finally {
      await child.stop();
    }
    rows.push(['NSD', fmt(nsd.s, 2), '1.00×', fmt(nsd.cpu / 1e9, 2), '1.00×', '', ...nsd.pss.flatMap((p) => [fmt(p / 2 ** 20), '1.00×']), fmt(nsd.peak / 2 ** 20), '1.00×']);
  }
  const ratio = (a, b) => (nsd ? `${(a / b).toFixed(2)}×` : '');
  for (const workers of WORKERS) {
    const cache = join(dir, `cache-${workers}`);
    for (const [what, cacheDir] of [['cold, no cache', null], ['cold, writing the cache', cache], ['warm: cache read back', cache]]) {
      const r = await eclipso(zoneDir, workers, cacheDir);
      const cpu = Object.values(r.cpu).reduce((a, b) => a + b, 0);
      const split = ['MainThread', 'WorkerThread', 'V8Worker'].map((t) => fmt((r.cpu[t] ?? 0) / 1e9, 2)).join(' / ');
      rows.push([`Eclipso WORKERS=${workers}, ${what}`, fmt(r.s, 2), ratio(r.s, nsd?.s), fmt(cpu / 1e9, 2), ratio(cpu, nsd?.cpu), split, ...r.pss.flatMap((p, i) => [fmt(p / 2 ** 20), ratio(p, nsd?.pss[i])]), fmt(r.peak / 2 ** 20), ratio(r.peak, nsd?.peak)]);
      process.stderr.write(`${rows[rows.length - 1].join('  ')}\n`);
    }
  }
  const at = PSS_AT_MS.map((ms) => `${ms / 1000} s`);
  const data = REVERSE > 0 ? `one zone of ${REVERSE} PTR records` : `${ZONES} zones of ${PER_ZONE} records${NS ? ', NS and its address among them' : ''}`;
  process.stdout.write(`### Start-up (${data}: spawn until sample queries answer; PSS of the process tree ${at.join(' and ')} later)\n\n`);
  process.stdout.write(table(['server', 'ready (s)', '÷ NSD', 'CPU to ready (s)', '÷ NSD', 'of it: main / worker threads / V8 helpers (s)', ...at.flatMap((a) => [`PSS at ${a} (MiB)`, '÷ NSD']), 'peak RSS (MiB)', '÷ NSD'], rows) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
