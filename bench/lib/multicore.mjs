/**
 * Multi-core figures: scaling from 1 to 2 workers (WORKERS), and zero lost queries while zones
 * are reloaded under load. Nothing pinned here: the workers need every core, and on a 2-core
 * machine the load generator shares them, so these figures are lower bounds. The load comes from
 * CLIENTS source ports: with SO_REUSEPORT (Node.js 22.12+) the kernel picks a worker per client
 * address and port, so one port would keep every query on one worker.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, progress, ratio, table } from './report.mjs';
import { measured, runLoad } from './load.mjs';
import { startEclipso } from './servers.mjs';

const REPS = 3;
const CLIENTS = 8;

export async function workerScaling({ data, seconds, tool }) {
  const qps = { 1: [], 2: [] };
  const cpu = { 1: [], 2: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const workers of rep % 2 ? [2, 1] : [1, 2]) {
      const server = await startEclipso({ zoneDir: data.zones, workers, gc: false });
      try {
        const r = await measured(server, () => runLoad({ port: server.port, file: data.files.mix, seconds, clients: CLIENTS, tool }));
        cpu[workers].push(r.cpuUs);
        qps[workers].push(r.qps);
        progress(`workers=${workers} saturated: ${fmt(r.qps)} qps, lost ${r.lost}`);
      } finally {
        await server.stop();
      }
    }
  }
  const row = (w) => [w, fmt(median(qps[w])), fmt(median(cpu[w])), ratio(median(qps[w]), median(qps[1]))];
  return [
    `### Multi-core (mix workload, saturated, ${tool} from ${CLIENTS} source ports, unpinned, sharing the cores; median of ${REPS} interleaved ${seconds} s runs; CPU includes the primary)`,
    table(['WORKERS', 'QPS', 'server µs CPU/query', 'QPS vs 1 worker'], [row(1), row(2)]),
  ];
}

/** Rewrites a zone every `everyMs` while load runs; counts lost queries and reloads. */
export async function reloadUnderLoad({ data, seconds, rate, tool, core }) {
  const rows = [];
  for (const workers of [1, 2]) {
    const server = await startEclipso({ zoneDir: data.zones, workers, gc: false });
    const file = join(data.zones, 'hello_a.net.toml');
    const original = readFileSync(file, 'utf8');
    let reloads = 0;
    const timer = setInterval(() => {
      reloads++;
      writeFileSync(file, original.replace('203.100.1.1"', `203.100.1.${reloads % 2 ? 9 : 1}"`));
    }, 250);
    try {
      const r = await runLoad({ port: server.port, file: data.files.mix, seconds, rate, core: workers === 1 ? core : undefined, clients: CLIENTS, tool });
      progress(`reload under load, workers=${workers}: ${reloads} rewrites, ${r.completed} answered, ${r.lost} lost`);
      rows.push([workers, rate, reloads, fmt(r.sent), fmt(r.completed), r.lost]);
    } finally {
      clearInterval(timer);
      writeFileSync(file, original);
      await server.stop();
    }
  }
  return [
    `### Reloads under load (mix workload at ${rate} qps for ${seconds} s; hello_a.net rewritten every 250 ms)`,
    table(['WORKERS', 'offered qps', 'zone rewrites', 'sent', 'answered', 'lost'], rows),
  ];
}
