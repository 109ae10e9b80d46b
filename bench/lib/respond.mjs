/**
 * The answer path alone, in this process: Responder.respond() per query, no sockets. Shows what
 * our code costs inside the per-query budget that the socket measurements give.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKLOADS } from './dataset.mjs';
import { loadQueries } from './query.mjs';
import { fmt, progress, table } from './report.mjs';

const ROUNDS = 7;

export async function respondCost({ data, quick }) {
  const dist = new URL('../../dist/', import.meta.url);
  const { Responder } = await import(new URL('answer/respond.js', dist));
  const { QueryResult } = await import(new URL('answer/result.js', dist));
  const { ZoneCatalog } = await import(new URL('serving/catalog.js', dist));
  const { InlineCompiler } = await import(new URL('answer/compiler.js', dist));
  const { TableTarget } = await import(new URL('serving/table-target.js', dist));
  const { Logger } = await import(new URL('log.js', dist));
  const target = new TableTarget();
  const catalog = new ZoneCatalog(target, new InlineCompiler(), new Logger('json', false, () => {}));
  for (const f of readdirSync(data.zones)) await catalog.upsert(join(data.zones, f), f, readFileSync(join(data.zones, f), 'utf8'));
  const responder = new Responder(target.table, 1232);
  const result = new QueryResult();
  const out = Buffer.alloc(4200);
  const n = quick ? 100_000 : 400_000;
  const rows = [];
  for (const w of WORKLOADS) {
    const qs = loadQueries(data.files[w]);
    let best = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        const q = qs[i % qs.length];
        responder.respond(q, q.length, out, false, result);
      }
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
    }
    progress(`respond() ${w}: ${fmt(best, 0)} ns`);
    rows.push([w, fmt(best, 0)]);
  }
  return [`### The answer path alone (Responder.respond() in-process, no sockets; best of ${ROUNDS} × ${fmt(n)} queries)`,
    table(['workload', 'ns per query'], rows)];
}
