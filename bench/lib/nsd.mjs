/**
 * NSD (Debian package `nsd`), when installed, serving the same zones as Eclipso: the C reference
 * the issue compares against, measured in the same run. The TOML zones are read with Eclipso's own
 * parser (from `dist/`) and written as RFC 1035 master files, so both serve the same records.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeQuery } from './query.mjs';
import { Child, ask, pinned } from './servers.mjs';

export const HAS_NSD = spawnSync('nsd', ['-v']).error === undefined;

const NSD_START_TRIES = 100;

/** A UDP port free on 127.0.0.1 right now (NSD takes a number, not 0). */
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The zones of a folder of TOML files as master files in `dir`; returns their apex names. */
async function writeMasterFiles(zoneDir, dir) {
  const dist = new URL('../../dist/', import.meta.url);
  const { parseZoneFile } = await import(new URL('zone/parse.js', dist));
  const { formatName } = await import(new URL('wire/name.js', dist));
  const { formatRData } = await import(new URL('wire/rdata.js', dist));
  const { typeName } = await import(new URL('wire/constants.js', dist));
  const apexes = [];
  for (const f of readdirSync(zoneDir).filter((n) => n.endsWith('.toml'))) {
    const file = parseZoneFile(readFileSync(join(zoneDir, f), 'utf8'), f.replace(/\.toml$/, ''), f);
    if (!file.active) continue;
    const z = file.zone;
    const apex = formatName(z.apex);
    const lines = [`${apex} ${z.soa.ttl} IN SOA ${formatRData(z.soa.data)}`];
    for (const r of z.records) lines.push(`${formatName(r.owner)} ${r.ttl} IN ${typeName(r.type)} ${formatRData(r.data)}`);
    writeFileSync(join(dir, `${apex}zone`), lines.join('\n') + '\n');
    apexes.push(apex);
  }
  return apexes;
}

/**
 * One NSD server process (server-count 1) on 127.0.0.1, rate limiting off, pinned to `core`;
 * `provideXfr`: zone transfers allowed to 127.0.0.1 (unsigned).
 */
export async function startNsd({ zoneDir, dir, core, provideXfr = false }) {
  mkdirSync(dir, { recursive: true });
  const port = await freeUdpPort();
  const apexes = await writeMasterFiles(zoneDir, dir);
  const xfr = provideXfr ? '  provide-xfr: 127.0.0.1 NOKEY\n' : '';
  const zones = apexes.map((a) => `zone:\n  name: "${a}"\n  zonefile: "${join(dir, `${a}zone`)}"\n${xfr}`).join('');
  writeFileSync(join(dir, 'nsd.conf'), `server:
  ip-address: 127.0.0.1
  port: ${port}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/xfrd.state"
  zonelistfile: "${dir}/zone.list"
  server-count: 1
  rrl-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
${zones}`);
  const [cmd, argv] = pinned(core, 'nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
  const child = new Child('nsd', spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  child.port = port;
  /** When NSD was started (after its master files were written): for start-up times. */
  child.spawnedAt = performance.now();
  // A SOA query for the first zone, until NSD answers it.
  const soa = encodeQuery(apexes[0], 'SOA');
  for (let i = 0; i < NSD_START_TRIES; i++) {
    if (await ask(port, soa, 100)) return child;
    if (child.child.exitCode !== null) break;
  }
  await child.stop();
  throw new Error(`nsd did not start:\n${child.lines.slice(-10).join('\n')}`);
}
