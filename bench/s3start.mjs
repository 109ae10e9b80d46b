/**
 * Start-up from S3 at scale (issue 12's "also measure"): 20,000 zone objects of 50 records
 * (--zones=N for fewer) in a bucket of s3rver, a real S3-protocol server, behind a proxy that
 * counts the requests Eclipso makes and can hold each answer back (--latency=ms: S3's own time to
 * first byte, which s3rver on loopback lacks). Measured: time from spawn until sample zones answer,
 * the requests made by then, the CPU Eclipso and s3rver spent, PSS 4 s after and the peak RSS; a
 * cold start, then a first start and a restart with ZONE_CACHE_DIR (its snapshot of the bucket and
 * compiled zones); then one periodic sync of the unchanged bucket (requests, what it logged). A
 * start from a folder of the same files runs in the same run, for the ratio. s3rver runs in its own
 * process on the same cores: its CPU is part of what the start waits for.
 *
 *   node bench/s3start.mjs [--zones=20000] [--sync=20] [--latency=0]
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeScaleDataset } from './lib/dataset.mjs';
import { cpuNs, treeBytes } from './lib/proc.mjs';
import { encodeQuery } from './lib/query.mjs';
import { fmt, progress, table } from './lib/report.mjs';
import { s3Client, s3Env, startS3rver } from './lib/s3rver.mjs';
import { Child, jsonField, MAIN, untilAnswered } from './lib/servers.mjs';

const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const ZONES = Number(opts.zones ?? 20_000);
const PER_ZONE = 50;
/** S3_SYNC_RETRY: the period of the sync measured after the start (seconds). */
const SYNC_S = Number(opts.sync ?? 20);
const LATENCY_MS = Number(opts.latency ?? 0);
const BUCKET = 'zones';
const PUT_CONCURRENCY = 32;
const PSS_AT_MS = 4000;
const SAMPLES = [0, Math.floor(ZONES / 2), ZONES - 1].map((z) => encodeQuery(`z${z}.scale`, 'SOA'));

/** An HTTP proxy to `port` that counts requests: bucket listings, object GETs, others. */
async function countingProxy(port, latencyMs) {
  const counts = { list: 0, get: 0, other: 0 };
  const server = createServer((req, res) => {
    const kind = req.method === 'GET' && req.url.includes('list-type=2') ? 'list' : req.method === 'GET' && req.url.split('?')[0].split('/').length > 2 ? 'get' : 'other';
    counts[kind]++;
    const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      // S3's own time to first byte, which s3rver on loopback does not have (--latency).
      setTimeout(() => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      }, latencyMs);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { counts, port: server.address().port, close: () => server.close() };
}

async function upload(zoneDir, port) {
  const s3 = s3Client(port);
  const files = readdirSync(zoneDir);
  let next = 0;
  await Promise.all(Array.from({ length: PUT_CONCURRENCY }, async () => {
    while (next < files.length) {
      const f = files[next++];
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: f, Body: readFileSync(join(zoneDir, f)) }));
    }
  }));
  s3.destroy();
}

/**
 * Eclipso from `zoneDir` (a folder or s3://), until the samples answer; then PSS and peak RSS, and
 * with `sync`, one periodic sync. `s3rver`: whose CPU to count.
 */
async function eclipso(zoneDir, env, { proxy = null, s3rver = null, sync = false, written = false } = {}) {
  const s3rverCpu = s3rver ? cpuNs(s3rver.pid) : 0;
  const counted = proxy ? { ...proxy.counts } : null;
  const started = performance.now();
  const child = new Child('eclipso', spawn(process.execPath, [MAIN, '--zone-dir', zoneDir, '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0'], {
    env: { ...process.env, ECLIPSO_LOG_IGNORE: '1', LOG_FORMAT: 'json', WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let port = 0;
  child.waitFor((l) => jsonField(l, 'listening', 'port')).then((p) => (port = Number(p)), () => {});
  // A first start with ZONE_CACHE_DIR writes the snapshot and the compiled zones once it is ready: the restart needs both.
  const cacheWritten = written && Promise.all([
    child.waitFor((l) => jsonField(l, 'wrote the first load\'s zones to the snapshot', 'files')),
    child.waitFor((l) => jsonField(l, 'wrote the first load\'s compiled zones to the cache', 'entries')),
  ]);
  try {
    await untilAnswered(() => port, SAMPLES);
    const s = (performance.now() - started) / 1000;
    const cpu = { eclipso: cpuNs(child.pid) / 1e9, s3rver: s3rver ? (cpuNs(s3rver.pid) - s3rverCpu) / 1e9 : 0 };
    const requests = counted ? since(counted) : null;
    await new Promise((r) => setTimeout(r, PSS_AT_MS));
    const out = { s, cpu, requests, pss: treeBytes(child.pid, 'smaps_rollup', 'Pss'), peak: treeBytes(child.pid, 'status', 'VmHWM') };
    await cacheWritten;
    if (!sync) return out;
    // One sync of the unchanged bucket: from one sync's log line to the next (debug: it changed nothing).
    const syncLine = (l) => (jsonField(l, 'S3 sync', 'listed') !== undefined ? JSON.parse(l) : undefined);
    await child.waitFor(syncLine, (SYNC_S + 60) * 1000);
    const before = { ...proxy.counts };
    out.sync = { ...await child.waitFor(syncLine, (SYNC_S + 60) * 1000), requests: since(before) };
    return out;
  } finally {
    await child.stop();
  }
}

/** The proxy's counts since `before`. */
function since(before) {
  return Object.fromEntries(Object.entries(proxy.counts).map(([k, v]) => [k, v - before[k]]));
}

const dir = mkdtempSync(join(tmpdir(), 'eclipso-s3start-'));
let s3rver;
let proxy;
try {
  const zoneDir = join(dir, 'zones');
  writeScaleDataset(zoneDir, ZONES, PER_ZONE);
  s3rver = await startS3rver(join(dir, 's3rver'), BUCKET);
  progress(`uploading ${ZONES} objects to s3rver`);
  await upload(zoneDir, s3rver.port);
  proxy = await countingProxy(s3rver.port, LATENCY_MS);
  const folder = await eclipso(zoneDir, {});
  const s3env = { ...s3Env(proxy.port, SYNC_S), ECLIPSO_LOG_DEBUG: '1' };
  const url = `s3://${BUCKET}/`;
  const withCache = { ...s3env, ZONE_CACHE_DIR: join(dir, 'cache') };
  const runs = [
    ['S3, cold', await eclipso(url, s3env, { proxy, s3rver, sync: true })],
    ['S3, first start with ZONE_CACHE_DIR', await eclipso(url, withCache, { proxy, s3rver, written: true })],
    ['S3, restart with ZONE_CACHE_DIR', await eclipso(url, withCache, { proxy, s3rver })],
  ];
  const mib = (b) => fmt(b / 2 ** 20);
  const req = (r) => `${r.list} list, ${r.get} GET${r.other ? `, ${r.other} other` : ''}`;
  const latency = LATENCY_MS > 0 ? `, each S3 answer held ${LATENCY_MS} ms` : '';
  process.stdout.write(`### Start-up from S3 (${ZONES} objects of ${PER_ZONE} records in s3rver${latency}, WORKERS=1; beside the same files in a folder)\n\n`);
  process.stdout.write(table(['zones from', 'ready (s)', '÷ folder', 'requests to ready', 'CPU to ready: Eclipso / s3rver (s)', `PSS at ${PSS_AT_MS / 1000} s (MiB)`, 'peak RSS (MiB)'], [
    ['folder', fmt(folder.s, 2), '1.00×', '', fmt(folder.cpu.eclipso, 2), mib(folder.pss), mib(folder.peak)],
    ...runs.map(([what, r]) => [what, fmt(r.s, 2), `${(r.s / folder.s).toFixed(2)}×`, req(r.requests), `${fmt(r.cpu.eclipso, 2)} / ${fmt(r.cpu.s3rver, 2)}`, mib(r.pss), mib(r.peak)]),
  ]) + '\n\n');
  const y = runs[0][1].sync;
  process.stdout.write(`One periodic sync of the unchanged bucket (S3_SYNC_RETRY=${SYNC_S}): ${req(y.requests)}; logged: listed ${y.listed}, fetched ${y.fetched}, changed ${y.changed}, ${y.ms} ms.\n`);
} finally {
  proxy?.close();
  await s3rver?.stop();
  rmSync(dir, { recursive: true, force: true });
}
