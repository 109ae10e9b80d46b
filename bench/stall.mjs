/**
 * Answers while a 200,000-record zone is added, changed and removed (the load of
 * test/serving/stall.test.ts, as a figure): one query to another zone every 2 ms, WORKERS=1 (the
 * thread that reads the folder also answers). The big zone's texts are made before the load starts
 * (making them holds this process's own timers). Prints p99 and max latency, and the worst queries
 * with when they were sent (ms after the load started). With --s3, the zones are objects in a
 * bucket of s3rver, synced every second, instead of files in a folder.
 *
 *   node bench/stall.mjs [--s3] [MAIN_JS]        (default: this checkout's dist/main.js)
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeQuery } from './lib/query.mjs';
import { s3Client, s3Env, startS3rver } from './lib/s3rver.mjs';
import { Child, jsonField, MAIN } from './lib/servers.mjs';

const args = process.argv.slice(2);
const main = args.find((a) => !a.startsWith('--')) ?? MAIN;
const RECORDS = 200_000;
const EVERY_MS = 2;
const BUCKET = 'zones';
const dir = mkdtempSync(join(tmpdir(), 'eclipso-stall-'));

/** Where the zones are: a folder (each file written to a temporary name and renamed), or an S3 bucket. */
async function store() {
  if (!args.includes('--s3')) {
    return {
      zoneDir: dir, env: {},
      write: async (file, text) => {
        writeFileSync(join(dir, `.${file}.tmp`), text);
        renameSync(join(dir, `.${file}.tmp`), join(dir, file));
      },
      remove: async (file) => rmSync(join(dir, file)),
      close: async () => {},
    };
  }
  const s3rver = await startS3rver(join(dir, 's3rver'), BUCKET);
  const s3 = s3Client(s3rver.port);
  return {
    zoneDir: `s3://${BUCKET}/`, env: s3Env(s3rver.port, 1),
    write: (file, text) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: file, Body: text })),
    remove: (file) => s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: file })),
    close: async () => {
      s3.destroy();
      await s3rver.stop();
    },
  };
}
const big = (last) => {
  const lines = ['[domain]', 'domain = "big.test"', '[defaults]', 'ttl = 300'];
  for (let i = 0; i < RECORDS; i++) lines.push('[[records]]', `domain = "host-${i}"`, `address = "10.${(i >> 8) & 255}.${i & 255}.${last}"`);
  return lines.join('\n') + '\n';
};
const zones = await store();
await zones.write('small.test.toml', '[domain]\ndomain = "small.test"\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n');
const [first, second] = [big(1), big(2)];

const server = new Child('eclipso', spawn(process.execPath, [main, '--zone-dir', zones.zoneDir, '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0'], {
  env: { ...process.env, LOG_FORMAT: 'json', WORKERS: '1', ECLIPSO_LOG_IGNORE: '1', ...zones.env }, stdio: ['ignore', 'pipe', 'pipe'],
}));
const port = Number(await server.waitFor((l) => jsonField(l, 'listening', 'port')));
/** The next log line with this message (from now on). */
const next = (msg) => server.waitFor((l) => jsonField(l, msg, 'msg'), 300_000);

const socket = createSocket('udp4');
const sentAt = new Map();
const latencies = [];
socket.on('message', (m) => {
  const t = sentAt.get(m.readUInt16BE(0));
  if (t === undefined) return;
  sentAt.delete(m.readUInt16BE(0));
  latencies.push([performance.now() - t, t]);
});
const query = encodeQuery('www.small.test', 'A');
const t0 = performance.now();
let id = 0;
const timer = setInterval(() => {
  id = (id + 1) & 0xffff;
  sentAt.set(id, performance.now());
  const q = Buffer.from(query);
  q.writeUInt16BE(id, 0);
  socket.send(q, port, '127.0.0.1');
}, EVERY_MS);
for (const [act, msg] of [[() => zones.write('big.test.toml', first), 'zone loaded'], [() => zones.write('big.test.toml', second), 'zone loaded'], [() => zones.remove('big.test.toml'), 'zone removed']]) {
  const done = next(msg);
  await act();
  await done;
}
clearInterval(timer);
await new Promise((r) => setTimeout(r, 1000));
socket.close();
latencies.sort((a, b) => a[0] - b[0]);
const p99 = latencies[Math.floor(latencies.length * 0.99)][0];
console.log(`p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)[0].toFixed(1)} ms over ${latencies.length} answers, ${sentAt.size} lost`);
console.log(`worst: ${latencies.slice(-5).map(([l, t]) => `${l.toFixed(0)} ms at ${(t - t0).toFixed(0)}`).join(', ')}`);
await server.stop();
await zones.close();
rmSync(dir, { recursive: true, force: true });
