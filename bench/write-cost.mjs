/**
 * What one zone file written the README's way (a temporary file renamed over it) costs a server
 * of many zones: the server's CPU in the 1.5 s after each write, and the compile+swap it logged,
 * the temporary file made inside the zone folder (as the README says) and, for comparison,
 * outside it (the same rename, with no event for the temporary name). Eight writes, alternated.
 *
 *   node bench/write-cost.mjs [--zones=20000] [MAIN_JS]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaleZone, writeScaleDataset } from './lib/dataset.mjs';
import { Child, jsonField, MAIN } from './lib/servers.mjs';

const args = process.argv.slice(2);
const ZONES = Number(args.find((a) => a.startsWith('--zones='))?.slice(8) ?? 20_000);
const main = args.find((a) => !a.startsWith('--')) ?? MAIN;
const PER_ZONE = 50;
const WRITES = 8;
const HZ = 100;

const base = mkdtempSync(join(tmpdir(), 'eclipso-write-cost-'));
const dir = join(base, 'zones');
const side = join(base, 'side');
mkdirSync(dir);
mkdirSync(side);
writeScaleDataset(dir, ZONES, PER_ZONE);
const server = new Child('eclipso', spawn(process.execPath, [main, '--zone-dir', dir, '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0'], {
  env: { ...process.env, LOG_FORMAT: 'json', WORKERS: '1', ECLIPSO_LOG_IGNORE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
}));
await server.waitFor((l) => jsonField(l, 'listening', 'port'));
await new Promise((r) => setTimeout(r, 1000));

/** The server's CPU so far, in ms (utime + stime of the process). */
const cpuMs = () => {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
};
const out = { inside: { cpu: [], ms: [] }, outside: { cpu: [], ms: [] } };
for (let i = 0; i < WRITES; i++) {
  const where = i % 2 ? 'inside' : 'outside';
  const z = 100 + i;
  const file = `z${z}.scale.toml`;
  const loaded = server.waitFor((l) => String(jsonField(l, 'zone loaded', 'file') ?? '').endsWith(file) && jsonField(l, 'zone loaded', 'ms'));
  const tmp = join(where === 'inside' ? dir : side, `.${file}.tmp`);
  const before = cpuMs();
  writeFileSync(tmp, scaleZone(z, PER_ZONE, 5 + i));
  renameSync(tmp, join(dir, file));
  out[where].ms.push(Number(await loaded));
  await new Promise((r) => setTimeout(r, 1500));
  out[where].cpu.push(cpuMs() - before);
}
for (const [where, r] of Object.entries(out)) {
  console.log(`${ZONES} zones, temporary file ${where} the folder: CPU ${r.cpu.join(', ')} ms; compile+swap ${r.ms.map((x) => x.toFixed(1)).join(', ')} ms`);
}
await server.stop();
rmSync(base, { recursive: true, force: true });
