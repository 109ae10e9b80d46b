/**
 * The seed's benchmark data set (its README, "Benchmarking"): 26 zones hello_a.net … hello_z.net,
 * each with apex and www A, host-1 … host-252 A, 4 MX and 2 TXT at the apex. One extra zone,
 * wild.bench, holds a wildcard (RFC 4592) so that synthesized answers can be measured too.
 * Also the query files, in dnsperf's format ("name TYPE" per line), for each workload.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');
export const HOSTS = 252;

function record(domain, address, extra = '') {
  return `[[records]]\ndomain = "${domain}"\n${extra}address = "${address}"\n\n`;
}

/** One seed zone, in the seed's TOML layout. */
export function seedZone(letter) {
  const apex = `hello_${letter}.net`;
  let t = `version = 1.0\n\n[domain]\ndomain = "${apex}"\nactive = true\n\n[defaults]\nttl = 3600\ntype = 1\nclass = 1\n\n`;
  t += record('', '203.100.1.1');
  t += record('www.', '203.100.1.1');
  for (let h = 1; h <= HOSTS; h++) t += record(`host-${h}.`, `203.100.${1 + (h >> 8)}.${(h + 1) & 0xff}`);
  for (let m = 1; m <= 4; m++) t += record('', `host-${m}.${apex}.`, `type = 15\npreference = ${m * 10}\n`);
  t += record('', 'v=spf1 ip:203.100.1.2 ip:203.100.1.3 mx a -all', 'type = 16\n');
  t += record('', 'google-site-verification=3a13e1788d7a1c3b4602afc083e855de', 'type = 16\n');
  return t;
}

const WILD_ZONE = `version = 1.0\n\n[domain]\ndomain = "wild.bench"\nactive = true\n\n[defaults]\nttl = 300\n\n`
  + record('', '198.51.100.1') + record('*', '198.51.100.2');

/**
 * health.bench: names with two health-checked A records each (one prober, on a port of 127.0.0.1
 * where nothing listens: down at load, so the RRsets fail open), for comparing a health-checked
 * answer, reached through its swapped answer word, with a plain one (workload A).
 */
const HEALTH_HOSTS = 250;
const HEALTH_ZONE = `version = 1.0\n\n[domain]\ndomain = "health.bench"\n\n[[health_checks]]\nname = "web"\ntype = "tcp"\nport = 9\ninterval = 3600\n\n`
  + Array.from({ length: HEALTH_HOSTS }, (_, h) => [1, 2].map((i) => record(`h${h}`, `198.51.${i}.${h}`, 'health_check = "web"\ncheck_address = "127.0.0.1"\n')).join('')).join('');

/** A small deterministic PRNG (mulberry32): the same query files on every run. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QUERIES_PER_FILE = 20_000;

/** Workload name → how one query line is drawn. */
function workloads(rand) {
  const zone = () => `hello_${LETTERS[Math.floor(rand() * 26)]}.net`;
  const host = () => {
    const h = Math.floor(rand() * (HOSTS + 2));
    return h === 0 ? zone() : h === 1 ? `www.${zone()}` : `host-${h - 1}.${zone()}`;
  };
  const a = () => `${host()} A`;
  const nx = () => `nohost-${Math.floor(rand() * 100000)}.${zone()} A`;
  return {
    A: a,
    TXT: () => `${zone()} TXT`,
    MX: () => `${zone()} MX`,
    // 70% A, 10% MX, 10% TXT, 10% names that do not exist.
    mix: () => {
      const r = rand();
      return r < 0.7 ? a() : r < 0.8 ? `${zone()} MX` : r < 0.9 ? `${zone()} TXT` : nx();
    },
    NXDOMAIN: nx,
    wildcard: () => `w${Math.floor(rand() * 100000)}.wild.bench A`,
    health: () => `h${Math.floor(rand() * HEALTH_HOSTS)}.health.bench A`,
  };
}

export const WORKLOADS = ['A', 'TXT', 'MX', 'mix', 'NXDOMAIN', 'wildcard'];
/** Workloads for bench/ab.mjs only (not in `npm run bench`). */
const AB_WORKLOADS = ['health'];

/** Writes zones to `<dir>/zones` and query files to `<dir>/queries/<workload>.txt`. */
export function writeDataset(dir) {
  const zones = join(dir, 'zones');
  const queries = join(dir, 'queries');
  mkdirSync(zones, { recursive: true });
  mkdirSync(queries, { recursive: true });
  for (const l of LETTERS) writeFileSync(join(zones, `hello_${l}.net.toml`), seedZone(l));
  writeFileSync(join(zones, 'wild.bench.toml'), WILD_ZONE);
  writeFileSync(join(zones, 'health.bench.toml'), HEALTH_ZONE);
  const draw = workloads(prng(4));
  const files = {};
  for (const w of [...WORKLOADS, ...AB_WORKLOADS]) {
    const lines = Array.from({ length: QUERIES_PER_FILE }, draw[w]);
    files[w] = join(queries, `${w}.txt`);
    writeFileSync(files[w], lines.join('\n') + '\n');
  }
  return { zones, files };
}

/**
 * The scale data set: `zones` zones of `perZone` records each (A records and one MX, one TXT),
 * named z<N>.scale; with `ns`, as zones are served, an NS record at the apex and its name server's
 * address among them. Returns the folder.
 */
export function writeScaleDataset(dir, zones, perZone, ns = false) {
  mkdirSync(dir, { recursive: true });
  for (let z = 0; z < zones; z++) writeFileSync(join(dir, `z${z}.scale.toml`), scaleZone(z, perZone, 1, ns));
  return dir;
}

/** The apex of reverseZone: a large reverse zone, as the example of one zone of 1M records. */
export const REVERSE_APEX = '10.in-addr.arpa';

/** The owner (relative to REVERSE_APEX) of reverseZone's record `i`: 10.a.b.c backwards. */
export function reverseOwner(i) {
  return `${i & 255}.${(i >> 8) & 255}.${(i >> 16) & 255}`;
}

/** One zone of `records` PTR records (and its NS), in the seed's TOML layout. */
export function reverseZone(records) {
  const parts = [`version = 1.0\n\n[domain]\ndomain = "${REVERSE_APEX}"\nactive = true\n\n[defaults]\nttl = 3600\n\n`];
  parts.push(record('', 'ns1.example.net.', 'type = "NS"\n'));
  for (let i = 0; i < records; i++) parts.push(record(reverseOwner(i), `host-${reverseOwner(i).replaceAll('.', '-')}.example.net.`, 'type = "PTR"\n'));
  return parts.join('');
}

/**
 * Zone z of the scale data set: apex A, MX and TXT, then hosts h3, h4, … with an A record each;
 * with `ns`, h3 and h4 give way to the apex NS and the address of its target, ns.<apex> (then every
 * positive answer carries the NS RRset and that address, as NSD answers).
 */
export function scaleZone(z, perZone, version, ns = false) {
  const apex = `z${z}.scale`;
  let t = `version = 1.0\n\n[domain]\ndomain = "${apex}"\nactive = true\n\n[defaults]\nttl = 3600\n\n`;
  t += record('', `10.${version & 0xff}.0.1`);
  t += record('', `mail.${apex}.`, 'type = "MX"\npreference = 10\n');
  t += record('', `v=spf1 mx -all`, 'type = "TXT"\n');
  if (ns) t += record('', `ns.${apex}.`, 'type = "NS"\n') + record('ns', `10.${(z >> 8) & 0xff}.${z & 0xff}.4`);
  for (let h = ns ? 5 : 3; h < perZone; h++) t += record(`h${h}`, `10.${(z >> 8) & 0xff}.${z & 0xff}.${h & 0xff}`);
  return t;
}
