/**
 * The HTTP zone API's targets (issue 14), on a zone folder:
 *  1. a PATCH that changes one RRset of a 50-record zone is answered by DNS within 50 ms of the
 *     HTTP response: the time from each PATCH's response to the first UDP answer showing it;
 *  2. 100 sequential PATCHes per second sustained without query loss: PATCHes paced at 100/s for
 *     some seconds while UDP queries go at a fixed rate, every one awaited (lost = unanswered in 1 s).
 * Loopback only; bounded in count and time; stops the server it started.
 *
 *   npm run build && node bench/api.mjs [--patches=50] [--seconds=5] [--qps=1000]
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const PATCHES = Number(opts.patches ?? 50);
const SECONDS = Number(opts.seconds ?? 5);
const QPS = Number(opts.qps ?? 1000);
const PATCH_RATE = 100;
const TOKEN = 'bench-token';
const ZONE = 'bench.test';
const ANSWER_TIMEOUT_MS = 1000;

function zoneText() {
  const records = [`[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns1.${ZONE}."`, `[[records]]\ndomain = "ns1"\ntype = "A"\naddress = "192.0.2.53"`,
    `[[records]]\ndomain = "www"\ntype = "A"\naddress = "10.0.0.0"`];
  for (let i = records.length; i < 50; i++) records.push(`[[records]]\ndomain = "host${i}"\ntype = "A"\naddress = "192.0.2.${i}"`);
  return `version = 1.0\n\n[domain]\ndomain = "${ZONE}"\n\n${records.join('\n\n')}\n`;
}

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** A query for `name` A, id `id`, as raw octets (RFC 1035 §4.1). */
function query(name, id) {
  const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** Skips a name at `at` (labels, or a compression pointer: RFC 1035 §4.1.4); returns the offset after it. */
function skipName(msg, at) {
  for (;;) {
    const len = msg[at];
    if (len === 0) return at + 1;
    if (len >= 0xc0) return at + 2;
    at += 1 + len;
  }
}

/** The address of the first answer record (an A record), or null when the answer section is empty. */
function answerAddress(msg) {
  if (msg.readUInt16BE(6) === 0) return null;
  const answer = skipName(msg, 12) + 4;
  const rdata = skipName(msg, answer) + 10;
  return [...msg.subarray(rdata, rdata + 4)].join('.');
}

const dir = mkdtempSync(join(tmpdir(), 'eclipso-api-bench-'));
writeFileSync(join(dir, `${ZONE}.toml`), zoneText());
const [dnsPort, apiPort] = [await freePort(), await freePort()];
const server = spawn(process.execPath, [new URL('../dist/main.js', import.meta.url).pathname, '--zone-dir', dir, '--port', String(dnsPort), '--host', '127.0.0.1',
  '--metrics-port', '0', '--workers', '1', '--log-ignore', '--api-port', String(apiPort), '--api-token', TOKEN], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SHUTDOWN_GRACE: '0' } });
await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).on('line', (l) => l.includes('"api listening"') && resolve());
  server.once('exit', (c) => reject(new Error(`server exited with ${c}`)));
});

const sock = createSocket('udp4');
const waiting = new Map();
let nextId = 1;
sock.on('message', (msg) => {
  const w = waiting.get(msg.readUInt16BE(0));
  if (w) {
    waiting.delete(msg.readUInt16BE(0));
    clearTimeout(w.timer);
    w.resolve(msg);
  }
});
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
/** One UDP query; resolves with the reply, or null after ANSWER_TIMEOUT_MS. */
function ask(name) {
  const id = (nextId = (nextId % 0xffff) + 1);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      resolve(null);
    }, ANSWER_TIMEOUT_MS);
    waiting.set(id, { resolve, timer });
    sock.send(query(name, id), dnsPort, '127.0.0.1');
  });
}

async function patch(address) {
  const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/zones/${ZONE}`, {
    method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rrsets: [{ name: `www.${ZONE}.`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: address }] }] }),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (x) => `${x.toFixed(2)} ms`;

try {
  // 1. From the PATCH's response to the first answer with the new address.
  const lags = [];
  for (let i = 1; i <= PATCHES; i++) {
    const address = `10.0.${i >> 8}.${i & 255}`;
    await patch(address);
    const answered = performance.now();
    for (;;) {
      const reply = await ask(`www.${ZONE}`);
      if (reply && answerAddress(reply) === address) break;
      if (performance.now() - answered > 5000) throw new Error(`no answer with ${address} 5 s after the PATCH`);
    }
    lags.push(performance.now() - answered);
  }
  console.log(`PATCH response -> DNS answer (${PATCHES} PATCHes, 50-record zone, folder): median ${ms(pct(lags, 0.5))}, p95 ${ms(pct(lags, 0.95))}, max ${ms(Math.max(...lags))} (target: 50 ms)`);

  // 2. PATCHes paced at 100/s for SECONDS, queries at QPS meanwhile, every query awaited.
  const until = performance.now() + SECONDS * 1000;
  let sent = 0;
  let lost = 0;
  const pending = [];
  const load = (async () => {
    const start = performance.now();
    while (performance.now() < until) {
      const due = start + (sent * 1000) / QPS;
      if (performance.now() < due) await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      sent++;
      pending.push(ask(`host10.${ZONE}`).then((r) => { if (!r) lost++; }));
    }
  })();
  let patches = 0;
  const patchLatency = [];
  const start = performance.now();
  while (performance.now() < until) {
    const due = start + (patches * 1000) / PATCH_RATE;
    if (performance.now() < due) await new Promise((r) => setTimeout(r, due - performance.now()));
    const t = performance.now();
    await patch(`10.1.${(patches >> 8) & 255}.${patches & 255}`);
    patchLatency.push(performance.now() - t);
    patches++;
  }
  await load;
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  console.log(`sequential PATCHes: ${patches} in ${seconds.toFixed(1)} s = ${(patches / seconds).toFixed(0)}/s (paced at ${PATCH_RATE}/s; PATCH median ${ms(pct(patchLatency, 0.5))}, p95 ${ms(pct(patchLatency, 0.95))}); queries meanwhile: ${sent} sent at ${QPS}/s, ${lost} lost`);
} finally {
  sock.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
