/**
 * Where compiling 1M records goes, phase by phase, in this process (one thread, the compile
 * thread's path): TOML parse and checks (parseZoneFile), answers (compileZone), packing into the
 * flat image (packImage), and with transfers on the transfer messages (axfrImage) and one IXFR
 * difference (zoneDifference, against the same zone with one record changed). Two shapes: 20,000
 * zones of 50 records, and one zone of 1M records.
 *
 *   node bench/phases.mjs [--records=1000000]
 */
import { parseZoneFile } from '../dist/zone/parse.js';
import { compileZone } from '../dist/answer/compile.js';
import { packImage } from '../dist/answer/pack.js';
import { axfrImage } from '../dist/transfer/axfr.js';
import { zoneDifference } from '../dist/transfer/difference.js';
import { scaleZone } from './lib/dataset.mjs';
import { fmt, table } from './lib/report.mjs';

const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const RECORDS = Number(opts.records ?? 1_000_000);
const PER_ZONE = 50;

function oneZone(n, changed = false) {
  const parts = ['version = 1.0\n\n[domain]\ndomain = "big.bench"\nserial = 1\n\n[defaults]\nttl = 3600\n\n'];
  for (let i = 0; i < n; i++) parts.push(`[[records]]\ndomain = "h${i}"\naddress = "10.${(i >> 16) & 255}.${(i >> 8) & 255}.${changed && i === 0 ? 254 : i & 255}"\n\n`);
  return parts.join('');
}

const PHASES = ['parse', 'compile', 'pack', 'axfr', 'difference'];

/** Runs every phase over `files` ([name, text, changedText]), summing the time of each. */
function measure(files) {
  const ms = Object.fromEntries(PHASES.map((p) => [p, 0]));
  const time = (phase, f) => {
    const t = performance.now();
    const r = f();
    ms[phase] += performance.now() - t;
    return r;
  };
  for (const [name, text, changed] of files) {
    const parsed = time('parse', () => parseZoneFile(text, name, name));
    const compiled = time('compile', () => compileZone(parsed.zone));
    time('pack', () => packImage(compiled));
    time('axfr', () => axfrImage(parsed.zone));
    const next = parseZoneFile(changed, name, name);
    next.zone.soa.data.serial = parsed.zone.soa.data.serial + 1;
    time('difference', () => zoneDifference(parsed.zone, next.zone));
  }
  return ms;
}

const zones = Math.round(RECORDS / PER_ZONE);
const shapes = [
  [`${zones} zones of ${PER_ZONE}`, Array.from({ length: zones }, (_, z) => [`z${z}.scale.toml`, scaleZone(z, PER_ZONE, 1), scaleZone(z, PER_ZONE, 2)])],
  [`1 zone of ${RECORDS}`, [['big.bench.toml', oneZone(RECORDS), oneZone(RECORDS, true)]]],
];
const rows = [];
for (const [what, files] of shapes) {
  const ms = measure(files);
  const total = PHASES.slice(0, 3).reduce((n, p) => n + ms[p], 0);
  rows.push([what, ...PHASES.map((p) => fmt(ms[p] / 1000, 2)), fmt(total / 1000, 2)]);
}
console.log(`\nCompile phases, seconds on one thread (node ${process.version}):\n`);
console.log(table(['data set', ...PHASES.map((p) => `${p} s`), 'served (parse+compile+pack) s'], rows));
