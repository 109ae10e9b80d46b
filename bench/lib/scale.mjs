/**
 * Scale: 1,000,000 records (20,000 zones of 50; --quick: 2,000 zones) load; load time, RSS, and
 * the time to reload one changed zone while the others stay — compared with the same reload in a
 * 20-zone server, to show that it does not grow with the total.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scaleZone, writeScaleDataset } from './dataset.mjs';
import { encodeQuery } from './query.mjs';
import { rssBytes } from './proc.mjs';
import { fmt, median, progress, table } from './report.mjs';
import { ask, jsonField, startEclipso } from './servers.mjs';

const PER_ZONE = 50;
const RELOADS = 5;
/** Reloads after the compile threads went idle, each IDLE_MS after the one before. */
const IDLE_RELOADS = 3;
const IDLE_MS = 2500;

/** Rewrites one zone with a new apex address; resolves with the compile+swap ms Eclipso logged
 *  and the wall time until a query sees the new address (folder debounce of 100 ms included). */
async function reloadOnce(server, dir, z, version) {
  const file = `z${z}.scale.toml`;
  const logged = server.waitFor((l) => {
    const ms = jsonField(l, 'zone loaded', 'ms');
    return ms !== undefined && jsonField(l, 'zone loaded', 'file').endsWith(file) ? ms : undefined;
  }, 10_000);
  const t0 = performance.now();
  // Written as the README recommends (a temporary file renamed over the zone file): read at once.
  writeFileSync(join(dir, `.${file}.tmp`), scaleZone(z, PER_ZONE, version));
  renameSync(join(dir, `.${file}.tmp`), join(dir, file));
  const want = Buffer.from([10, version & 0xff, 0, 1]);
  const q = encodeQuery(`z${z}.scale`, 'A');
  for (;;) {
    const r = await ask(server.port, q, 500);
    if (r && r.subarray(r.length - 4).equals(want)) break;
    await new Promise((res) => setTimeout(res, 2));
  }
  return { ms: Number(await logged), wallMs: performance.now() - t0 };
}

async function measure(dir, zones) {
  progress(`scale: writing ${zones} zones of ${PER_ZONE} records`);
  writeScaleDataset(dir, zones, PER_ZONE);
  progress(`scale: starting Eclipso on ${fmt(zones * PER_ZONE)} records`);
  const server = await startEclipso({ zoneDir: dir, core: 0, gc: false });
  try {
    const rss = rssBytes(server.pid);
    progress(`scale: ${server.zones} zones loaded in ${fmt(server.startMs / 1000, 2)} s, RSS ${fmt(rss / 2 ** 20)} MiB`);
    const compile = [];
    const wall = [];
    for (let i = 0; i < RELOADS; i++) {
      const r = await reloadOnce(server, dir, Math.floor(zones / 2) + i, 2 + i);
      compile.push(r.ms);
      wall.push(r.wallMs);
    }
    progress(`scale: one-zone reload ${fmt(median(compile), 2)} ms (visible after ${fmt(median(wall))} ms)`);
    // After the compile threads went idle (they end after 2 s; a fresh one takes the next file).
    const idle = [];
    for (let i = 0; i < IDLE_RELOADS; i++) {
      await new Promise((r) => setTimeout(r, IDLE_MS));
      idle.push((await reloadOnce(server, dir, Math.floor(zones / 2) + RELOADS + i, 2 + RELOADS + i)).ms);
    }
    progress(`scale: one-zone reload after ${IDLE_MS / 1000} s idle ${fmt(median(idle), 2)} ms`);
    return { zones: server.zones, records: zones * PER_ZONE, loadS: server.startMs / 1000, rss, compile: median(compile), idle: median(idle), wall: median(wall) };
  } finally {
    await server.stop();
  }
}

export async function scale({ dir, quick }) {
  const big = await measure(join(dir, 'big'), quick ? 2_000 : 20_000);
  const small = await measure(join(dir, 'small'), 20);
  const row = (r) => [fmt(r.records), fmt(r.zones, 0), fmt(r.loadS, 2), fmt(r.rss / 2 ** 20), fmt(r.compile, 2), fmt(r.idle, 2), fmt(r.wall)];
  return [
    `### Scale (WORKERS=1; load = spawn to listening, all zones compiled; reload = parse+compile+swap of one ${PER_ZONE}-record zone as logged, median of ${RELOADS} right after the load and of ${IDLE_RELOADS} ${IDLE_MS / 1000} s apart, after the compile threads went idle; visible = file write to first answer with the new data, folder debounce of 100 ms included)`,
    table(['records', 'zones', 'load (s)', 'RSS (MiB)', 'one-zone reload (ms)', 'after idle (ms)', 'visible after (ms)'], [row(big), row(small)]),
  ];
}
