/**
 * Sequential latency: one query at a time (as the seed's per-query figures), for `count` queries
 * or `seconds`, whichever ends first. Prints JSON { count, lost, p50, p99, p999 } in µs.
 *   node bench/probe.mjs <port> <query-file> <count> [seconds]
 */
import { createSocket } from 'node:dgram';
import { loadQueries, percentile } from './lib/query.mjs';

const [port, file, countArg, secondsArg] = process.argv.slice(2);
const queries = loadQueries(file);
const count = Number(countArg);
const deadline = performance.now() + Number(secondsArg ?? 3600) * 1000;
const TIMEOUT_MS = 1000;

const socket = createSocket({ type: 'udp4', lookup: (a, _f, cb) => cb(null, a, 4) });
const samples = new Float64Array(count);
let done = 0;
let lost = 0;
let id = 0;
let sentAt = 0;
let timer = null;

function next() {
  if (done + lost >= count || performance.now() > deadline) return finish();
  const q = queries[(done + lost) % queries.length];
  id = (id + 1) & 0xffff;
  q[0] = id >> 8;
  q[1] = id & 0xff;
  sentAt = performance.now();
  timer = setTimeout(() => {
    lost++;
    next();
  }, TIMEOUT_MS);
  socket.send(q, Number(port), '127.0.0.1');
}

socket.on('message', (msg) => {
  if (((msg[0] << 8) | msg[1]) !== id) return;
  samples[done++] = (performance.now() - sentAt) * 1000;
  clearTimeout(timer);
  next();
});

function finish() {
  socket.close();
  const s = samples.subarray(0, done).sort();
  const r = (x) => Math.round(x * 10) / 10;
  process.stdout.write(JSON.stringify({ count: done, lost, p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), p999: r(percentile(s, 99.9)) }) + '\n');
}

socket.bind(0, '127.0.0.1', next);
