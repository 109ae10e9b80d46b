import { AnswerTable } from '../answer/table.js';
import type { Config } from '../config.js';
import { Logger } from '../log.js';
import { localSnapshot } from '../ops/collect.js';
import { ZoneReloader } from '../sources/reload.js';
import type { ZoneSource } from '../sources/source.js';
import { DnsServer } from './dns.js';
import { isEclipsoMessage, type FromWorker, type ToWorker } from './ipc.js';
import { QueryObserver } from './observer.js';

/** Zones come from the primary: a worker has no source of its own (its /metrics part has none). */
const FROM_PRIMARY: ZoneSource = { description: 'primary', start: async () => {}, stop: async () => {} };

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, undefined, () => resolve()));
}

/**
 * A DNS worker process (cluster worker): says hello, gets every zone text and how to listen from
 * the primary, compiles, listens, says ready; then applies the primary's zone changes as they come.
 * Only the lead worker logs zone loads and rejections, so they appear once, not once per worker.
 */
export function runWorker(config: Config, log: Logger): void {
  // The primary decides when workers stop (graceful shutdown); Ctrl-C reaches the whole group.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  const table = new AnswerTable();
  const observer = new QueryObserver(config.logIgnore ? null : log);
  const quiet = new Logger(config.logFormat, false, () => {});
  let reloader = new ZoneReloader(table, quiet);
  let dns: DnsServer | null = null;

  const onMessage = async (m: ToWorker): Promise<void> => {
    switch (m.eclipso) {
      case 'start': {
        reloader = new ZoneReloader(table, m.lead && !m.replacement ? log : quiet);
        for (const f of m.files) reloader.upsert(f.origin, f.fileName, f.text);
        if (m.lead) reloader.logTo(log);
        dns = new DnsServer(table, observer, config, log);
        try {
          await send({ eclipso: 'ready', port: await dns.listen(m.host, m.port, m.share) });
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          await send({ eclipso: 'failed', code: err.code, message: err.message });
          process.exit(1);
        }
        return;
      }
      case 'upsert':
        reloader.upsert(m.origin, m.fileName, m.text);
        return;
      case 'remove':
        reloader.remove(m.origin, m.fileName);
        return;
      case 'snapshot': {
        const snapshot = localSnapshot({ counters: observer.counters, table, reloader, zones: FROM_PRIMARY, source: '', log });
        await send({ eclipso: 'snapshot', id: m.id, snapshot });
        return;
      }
      case 'stop':
        await dns?.close();
        log.flush();
        process.exit(0);
    }
  };
  process.on('message', (m) => {
    if (isEclipsoMessage(m)) void onMessage(m as ToWorker);
  });
  void send({ eclipso: 'hello' });
}
