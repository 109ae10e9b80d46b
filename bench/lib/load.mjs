/**
 * Load generation: dnsperf (Debian package) when installed, our own Node.js generator otherwise;
 * and the sequential latency probe. Each runs as a child, pinned to the load generator's core.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuNs } from './proc.mjs';
import { pinned } from './servers.mjs';

const BENCH = fileURLToPath(new URL('../', import.meta.url));
export const HAS_DNSPERF = spawnSync('dnsperf', ['-h']).error === undefined;

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

function num(text, label) {
  const m = new RegExp(`${label}:\\s+([\\d.]+)`).exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Outstanding queries at saturation: enough to keep the server busy without dropping. */
const SATURATION_OUTSTANDING = 200;

/**
 * Offers `rate` qps (0: as fast as answers come back) from `file` for `seconds`, from `clients`
 * source ports (dnsperf's -c; our generator always uses a few). Resolves with
 * { sent, completed, lost, qps, avgLatencyMs, tool }.
 */
export async function runLoad({ port, file, seconds, rate = 0, core, clients = 1, tool = HAS_DNSPERF ? 'dnsperf' : 'node' }) {
  if (tool === 'dnsperf') {
    const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-t', '2', '-q', String(SATURATION_OUTSTANDING), '-c', String(clients)];
    if (rate > 0) args.push('-Q', String(rate));
    // An EDNS option on every query, e.g. BENCH_EDNS_OPTION=10:0102030405060708 (a client cookie, RFC 7873).
    if (process.env.BENCH_EDNS_OPTION) args.push('-E', process.env.BENCH_EDNS_OPTION);
    const out = await run(...pinned(core, 'dnsperf', args));
    return {
      tool,
      sent: num(out, 'Queries sent'),
      completed: num(out, 'Queries completed'),
      lost: num(out, 'Queries lost'),
      qps: num(out, 'Queries per second'),
      avgLatencyMs: num(out, 'Average Latency \\(s\\)') * 1000,
    };
  }
  const out = await run(...pinned(core, process.execPath, [`${BENCH}loadgen.mjs`, String(port), file, String(seconds), String(rate), String(SATURATION_OUTSTANDING)]));
  return { tool, ...JSON.parse(out.trim().split('\n').pop()) };
}

/** Sequential latency: { count, lost, p50, p99, p999 } in µs. */
export async function runProbe({ port, file, count, seconds = 3600, core }) {
  const out = await run(...pinned(core, process.execPath, [`${BENCH}probe.mjs`, String(port), file, String(count), String(seconds)]));
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * What `load` (a runLoad call) resolves with, plus the server's CPU per answered query (µs) and
 * its garbage collections meanwhile (counted when it runs with --trace-gc).
 */
export async function measured(server, load) {
  const cpu0 = cpuNs(server.pid);
  const gc0 = server.gcs;
  const freed0 = server.freedMb;
  const r = await load();
  const cpu = cpuNs(server.pid) - cpu0;
  return { ...r, cpuUs: cpu / 1000 / r.completed, gcs: server.gcs - gc0, freedMb: server.freedMb - freed0 };
}
