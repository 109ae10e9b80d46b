/**
 * `npm run bench`: Eclipso against a bare node:dgram baseline, in the same run, on the seed's data
 * set. Server pinned to core 0, load generator to core 1 (taskset), loopback only; every load is
 * bounded in time and stops by itself.
 *
 *   node bench/run.mjs [--quick] [--only=throughput,latency,memory,respond,workers,reload,scale]
 *                      [--tool=dnsperf|node] [--rate=20000] [--nsd=no] [--out=FILE.md]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKLOADS, writeDataset } from './lib/dataset.mjs';
import { HAS_DNSPERF, measured, runLoad, runProbe } from './lib/load.mjs';
import { reloadUnderLoad, workerScaling } from './lib/multicore.mjs';
import { CORES, CPU_MODEL, rssBytes } from './lib/proc.mjs';
import { fmt, median, progress, ratio, table } from './lib/report.mjs';
import { HAS_NSD, startNsd } from './lib/nsd.mjs';
import { respondCost } from './lib/respond.mjs';
import { scale } from './lib/scale.mjs';
import { ask, HAS_TASKSET, startBaseline, startEclipso } from './lib/servers.mjs';
import { loadQueries } from './lib/query.mjs';

const opts = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const QUICK = Boolean(opts.quick);
const SECTIONS = new Set(String(opts.only ?? 'throughput,latency,memory,respond,workers,reload,scale').split(','));
const TOOL = opts.tool ?? (HAS_DNSPERF ? 'dnsperf' : 'node');
/** The fixed offered rate for CPU per query: the anchors' 20,000 qps. */
const RATE = Number(opts.rate ?? 20000);
const REPS = QUICK ? 1 : 3;
/** NSD beside Eclipso at the fixed rate, when installed (`--nsd=no` leaves it out). */
const WITH_NSD = HAS_NSD && opts.nsd !== 'no';
const RATE_SECONDS = QUICK ? 2 : 5;
const SAT_SECONDS = QUICK ? 2 : 4;
const GC_QUERIES = QUICK ? 200_000 : 1_000_000;
const SERVER_CORE = 0;
const LOAD_CORE = CORES > 1 ? 1 : 0;

const dir = mkdtempSync(join(tmpdir(), 'eclipso-bench-'));
const out = [];
const started = new Date();

async function throughput(eclipso, data) {
  const rows = [];
  const nsd = WITH_NSD ? await startNsd({ zoneDir: data.zones, dir: join(dir, 'nsd'), core: SERVER_CORE }) : null;
  try {
    for (const w of WORKLOADS) rows.push(await workloadThroughput(w, eclipso, nsd, data.files[w]));
  } finally {
    await nsd?.stop();
  }
  out.push(`### Throughput (${TOOL}; CPU per query at a fixed ${RATE} qps for ${RATE_SECONDS} s, and at saturation for ${SAT_SECONDS} s; medians of ${REPS} interleaved runs${nsd ? '; NSD at the fixed rate only' : ''})`,
    table(['workload', 'Eclipso µs/query', 'baseline µs/query', 'CPU ratio', ...(nsd ? ['NSD µs/query', 'Eclipso ÷ NSD'] : []), 'Eclipso QPS', 'baseline QPS', 'QPS ratio',
      'saturated Eclipso µs/query', 'saturated baseline µs/query', 'saturated CPU ratio'], rows));
}

async function workloadThroughput(w, eclipso, nsd, file) {
  const reply = await ask(eclipso.port, loadQueries(file)[0]);
  const baseline = await startBaseline({ reply, core: SERVER_CORE });
  const fixed = [['eclipso', eclipso], ['baseline', baseline], ...(nsd ? [['nsd', nsd]] : [])];
  const saturated = fixed.slice(0, 2);
  const cpu = { eclipso: [], baseline: [], nsd: [] };
  const sat = { eclipso: [], baseline: [] };
  const satCpu = { eclipso: [], baseline: [] };
  try {
    for (let rep = 0; rep < REPS; rep++) {
      // Interleaved, alternating who goes first: drift on a shared machine hits all alike.
      const flip = (xs) => (rep % 2 ? [...xs].reverse() : xs);
      for (const [name, s] of flip(fixed)) {
        const r = await measured(s, () => runLoad({ port: s.port, file, seconds: RATE_SECONDS, rate: RATE, core: LOAD_CORE, tool: TOOL }));
        cpu[name].push(r.cpuUs);
        progress(`${w} ${name} @${RATE} qps: ${fmt(r.cpuUs)} µs CPU/query, lost ${r.lost}`);
      }
      for (const [name, s] of flip(saturated)) {
        const r = await measured(s, () => runLoad({ port: s.port, file, seconds: SAT_SECONDS, core: LOAD_CORE, tool: TOOL }));
        sat[name].push(r.qps);
        satCpu[name].push(r.cpuUs);
        progress(`${w} ${name} saturated: ${fmt(r.qps)} qps, ${fmt(r.cpuUs)} µs CPU/query, lost ${r.lost}`);
      }
    }
  } finally {
    await baseline.stop();
  }
  const c = { e: median(cpu.eclipso), b: median(cpu.baseline), n: median(cpu.nsd) };
  const q = { e: median(sat.eclipso), b: median(sat.baseline) };
  const sc = { e: median(satCpu.eclipso), b: median(satCpu.baseline) };
  return [w, fmt(c.e), fmt(c.b), `**${ratio(c.e, c.b)}**`, ...(nsd ? [fmt(c.n), ratio(c.e, c.n)] : []),
    fmt(q.e), fmt(q.b), ratio(q.e, q.b), fmt(sc.e), fmt(sc.b), ratio(sc.e, sc.b)];
}

async function latency(eclipso, data) {
  const reply = await ask(eclipso.port, loadQueries(data.files.A)[0]);
  const baseline = await startBaseline({ reply, core: SERVER_CORE });
  const count = QUICK ? 5000 : 20000;
  const seconds = QUICK ? 3 : 6;
  const seq = { eclipso: [], baseline: [] };
  const loaded = { eclipso: [], baseline: [] };
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 ? [['baseline', baseline], ['eclipso', eclipso]] : [['eclipso', eclipso], ['baseline', baseline]];
      for (const [name, s] of order) {
        const one = await runProbe({ port: s.port, file: data.files.mix, count, core: LOAD_CORE });
        seq[name].push(one);
        progress(`latency ${name} sequential: p50 ${one.p50} µs, p99 ${one.p99} µs, p99.9 ${one.p999} µs`);
        // Under load: the probe runs beside a load generator offering the fixed rate.
        const [, two] = await Promise.all([
          runLoad({ port: s.port, file: data.files.mix, seconds, rate: RATE, core: LOAD_CORE, tool: TOOL }),
          runProbe({ port: s.port, file: data.files.mix, count: 1e9, seconds: seconds - 1, core: LOAD_CORE }),
        ]);
        loaded[name].push(two);
        progress(`latency ${name} under ${RATE} qps: p50 ${two.p50} µs, p99 ${two.p99} µs, p99.9 ${two.p999} µs`);
      }
    }
  } finally {
    await baseline.stop();
  }
  const m = (runs, k) => fmt(median(runs.map((r) => r[k])));
  const rows = ['eclipso', 'baseline'].map((n) => [n, m(seq[n], 'p50'), m(seq[n], 'p99'), m(seq[n], 'p999'), m(loaded[n], 'p50'), m(loaded[n], 'p99'), m(loaded[n], 'p999')]);
  out.push(`### Latency (µs, round trip seen by a Node.js client on core ${LOAD_CORE}; mix workload; sequential: ${count} queries one at a time; under load: beside ${RATE} qps; medians of ${REPS} interleaved runs)`,
    table(['server', 'seq p50', 'seq p99', 'seq p99.9', 'loaded p50', 'loaded p99', 'loaded p99.9'], rows));
}

async function memory(eclipso, data) {
  const reply = await ask(eclipso.port, loadQueries(data.files.A)[0]);
  const baseline = await startBaseline({ reply, core: SERVER_CORE });
  const rows = [];
  try {
    for (const [name, s] of [['eclipso', eclipso], ['baseline', baseline]]) {
      // dnsperf -n would need whole passes; a time-bounded saturated run, scaled to GC_QUERIES.
      let done = 0;
      let gcs = 0;
      let freedMb = 0;
      while (done < GC_QUERIES) {
        const r = await measured(s, () => runLoad({ port: s.port, file: data.files.mix, seconds: 5, core: LOAD_CORE, tool: TOOL }));
        done += r.completed;
        gcs += r.gcs;
        freedMb += r.freedMb;
      }
      const perM = (gcs / done) * 1e6;
      progress(`memory ${name}: ${done} queries, ${gcs} GCs, RSS ${fmt(rssBytes(s.pid) / 2 ** 20)} MiB`);
      rows.push([name, fmt(rssBytes(s.pid) / 2 ** 20), fmt(s.heapMb), fmt(done), gcs, fmt(perM), fmt((freedMb * 1e6) / done)]);
    }
  } finally {
    await baseline.stop();
  }
  out.push(`### Memory (mix workload at saturation; GCs from --trace-gc; bytes collected = Σ(heap before − after) / queries ≈ bytes allocated per query)`,
    table(['server', 'RSS after load (MiB)', 'heap after last GC (MB)', 'queries', 'GCs', 'GCs per 1M queries', 'bytes collected per query'], rows));
}

async function main() {
  progress(`data set in ${dir}; load generator: ${TOOL}; taskset: ${HAS_TASKSET}; ${CORES} cores`);
  const data = writeDataset(dir);
  const needsSingle = ['throughput', 'latency', 'memory'].some((s) => SECTIONS.has(s));
  const eclipso = needsSingle ? await startEclipso({ zoneDir: data.zones, core: SERVER_CORE }) : null;
  try {
    if (eclipso) progress(`eclipso: ${eclipso.zones} zones, listening on ${eclipso.port} after ${fmt(eclipso.startMs, 0)} ms`);
    if (SECTIONS.has('throughput')) await throughput(eclipso, data);
    if (SECTIONS.has('latency')) await latency(eclipso, data);
    if (SECTIONS.has('memory')) await memory(eclipso, data);
  } finally {
    await eclipso?.stop();
  }
  if (SECTIONS.has('respond')) out.push(...await respondCost({ data, quick: QUICK }));
  if (SECTIONS.has('workers')) out.push(...await workerScaling({ data, seconds: SAT_SECONDS, tool: TOOL }));
  if (SECTIONS.has('reload')) out.push(...await reloadUnderLoad({ data, seconds: QUICK ? 4 : 10, rate: RATE / 2, tool: TOOL, core: LOAD_CORE }));
  if (SECTIONS.has('scale')) out.push(...await scale({ dir: join(dir, 'scale'), quick: QUICK }));
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const header = [
  `## Run of ${started.toISOString()}`,
  `\`node bench/run.mjs ${process.argv.slice(2).join(' ')}\` — Node.js ${process.version}, ${CORES} cores (${CPU_MODEL}), ` +
  `availableParallelism ${availableParallelism()}; server on core ${SERVER_CORE}, load on core ${LOAD_CORE}; ECLIPSO_LOG_IGNORE=1.`,
];
const md = [...header, ...out].join('\n\n') + '\n';
process.stdout.write('\n' + md);
if (typeof opts.out === 'string') writeFileSync(opts.out, md);
