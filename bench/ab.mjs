/**
 * Two or more builds of Eclipso side by side with the baseline: CPU per query at a fixed rate or at
 * saturation, interleaved (the order reversed every other round), for deciding whether a hot-path
 * change pays.
 * Each build is a copy of `dist/` (with package.json and a node_modules link beside it).
 *
 *   node bench/ab.mjs <workload> <rounds> <seconds> <build/dist/main.js> [<other/dist/main.js> …]
 *   RATE=0 node bench/ab.mjs …        # at saturation (dnsperf's queries outstanding), not 20,000 qps
 *
 * Workloads as in `npm run bench`: A, TXT, MX, mix, NXDOMAIN, wildcard. Prints, per server, the
 * median CPU µs per query, its ratio to the baseline's, and every round's figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDataset } from './lib/dataset.mjs';
import { measured, runLoad } from './lib/load.mjs';
import { loadQueries } from './lib/query.mjs';
import { fmt, median } from './lib/report.mjs';
import { ask, startBaseline, startEclipso } from './lib/servers.mjs';

const [workload, rounds, seconds, ...mains] = process.argv.slice(2);
if (!workload || !(Number(rounds) > 0) || !(Number(seconds) > 0) || mains.length === 0) {
  process.stderr.write('usage: node bench/ab.mjs <workload> <rounds> <seconds> <dist/main.js> [...]\n');
  process.exit(2);
}
/** The offered rate, queries a second; 0 offers as many as the server takes (saturation). */
const RATE = Number(process.env.RATE ?? 20000);
const SERVER_CORE = 0;
const LOAD_CORE = 1;

const dir = mkdtempSync(join(tmpdir(), 'eclipso-ab-'));
const servers = [];
try {
  const data = writeDataset(dir);
  const file = data.files[workload];
  for (const main of mains) servers.push([main, await startEclipso({ zoneDir: data.zones, core: SERVER_CORE, main, gc: false })]);
  const reply = await ask(servers[0][1].port, loadQueries(file)[0]);
  servers.push(['baseline', await startBaseline({ reply, core: SERVER_CORE })]);
  // One warm-up second each: JIT and caches, not measured.
  for (const [, s] of servers) await runLoad({ port: s.port, file, seconds: 1, rate: RATE, core: LOAD_CORE });
  const cpu = new Map(servers.map(([name]) => [name, []]));
  for (let round = 0; round < Number(rounds); round++) {
    for (const [name, s] of round % 2 ? [...servers].reverse() : servers) {
      const r = await measured(s, () => runLoad({ port: s.port, file, seconds: Number(seconds), rate: RATE, core: LOAD_CORE }));
      cpu.get(name).push(r.cpuUs);
    }
  }
  const base = median(cpu.get('baseline'));
  for (const [name, runs] of cpu) {
    process.stdout.write(`${name}  ${fmt(median(runs), 2)} µs  ${(median(runs) / base).toFixed(3)}×  [${runs.map((x) => fmt(x, 2)).join(' ')}]\n`);
  }
} finally {
  for (const [, s] of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
