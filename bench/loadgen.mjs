/**
 * Our own load generator, used when dnsperf is not installed: keeps `outstanding` queries in
 * flight over a few sockets, optionally capped at `rate` queries per second, for `seconds`.
 * Prints the same figures dnsperf reports, as JSON { sent, completed, lost, qps, avgLatencyMs }.
 *   node bench/loadgen.mjs <port> <query-file> <seconds> [rate=0 (unlimited)] [outstanding=100]
 */
import { createSocket } from 'node:dgram';
import { loadQueries } from './lib/query.mjs';

const [port, file, secondsArg, rateArg, outstandingArg] = process.argv.slice(2);
const queries = loadQueries(file);
const seconds = Number(secondsArg);
const rate = Number(rateArg ?? 0);
const outstanding = Math.min(Number(outstandingArg ?? 100), 65536);
const SOCKETS = 4;
const TIMEOUT_MS = 2000;
const TICK_MS = 2;
const EXPIRE_EVERY_MS = 200;

/** In-flight query per ID: when it was sent (0 = free). IDs are handed out round-robin. */
const sentAt = new Float64Array(65536);
let nextId = 0;
let inFlight = 0;
let sent = 0;
let completed = 0;
let lost = 0;
let latencySum = 0;
let qi = 0;
const start = performance.now();
const end = start + seconds * 1000;

const sockets = Array.from({ length: SOCKETS }, () => {
  const s = createSocket({ type: 'udp4', lookup: (a, _f, cb) => cb(null, a, 4) });
  s.on('message', (msg) => {
    const id = (msg[0] << 8) | msg[1];
    const t = sentAt[id];
    if (t === 0) return; // late: already counted lost
    sentAt[id] = 0;
    inFlight--;
    completed++;
    latencySum += performance.now() - t;
    fill();
  });
  return s;
});

/** Sends while the window and the rate allow. */
function fill() {
  const now = performance.now();
  if (now >= end) return;
  const allowed = rate > 0 ? Math.floor(((now - start) / 1000) * rate) - sent : Infinity;
  for (let i = 0; i < allowed && inFlight < outstanding; i++) {
    while (sentAt[nextId] !== 0) nextId = (nextId + 1) & 0xffff;
    const id = nextId;
    nextId = (nextId + 1) & 0xffff;
    const q = queries[qi++ % queries.length];
    q[0] = id >> 8;
    q[1] = id & 0xff;
    sentAt[id] = now;
    inFlight++;
    sent++;
    sockets[id % SOCKETS].send(q, Number(port), '127.0.0.1');
  }
}

/** Counts queries that got no answer in time as lost, freeing their IDs. */
const expirer = setInterval(() => {
  const now = performance.now();
  for (let id = 0; id < 65536 && inFlight > 0; id++) {
    if (sentAt[id] !== 0 && now - sentAt[id] > TIMEOUT_MS) {
      sentAt[id] = 0;
      inFlight--;
      lost++;
    }
  }
}, EXPIRE_EVERY_MS);

/** Paces rate-limited sending; ends the run. */
const ticker = setInterval(() => {
  const now = performance.now();
  if (now >= end && (inFlight === 0 || now > end + TIMEOUT_MS)) return finish(now);
  fill();
}, TICK_MS);

function finish(now) {
  clearInterval(ticker);
  clearInterval(expirer);
  lost += inFlight;
  for (const s of sockets) s.close();
  const elapsed = (Math.min(now, end) - start) / 1000;
  process.stdout.write(JSON.stringify({
    sent, completed, lost, qps: Math.round(completed / elapsed), avgLatencyMs: completed ? latencySum / completed : NaN,
  }) + '\n');
}

let bound = 0;
for (const s of sockets) s.bind(0, '127.0.0.1', () => ++bound === SOCKETS && fill());
