import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { TransferSettings } from '../transfer/settings.js';
import type { ZoneText } from './catalog.js';
import { isEclipsoMessage, type FromWorker, type ToWorker } from './ipc.js';
import { LocalServing } from './local.js';

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, undefined, () => resolve()));
}

/**
 * A DNS worker process of a pool (pool.ts): says hello, gets every zone file and how to listen
 * from the primary, compiles, listens, says ready; then applies the primary's zone changes as
 * they come. The primary checked and logged every file already: the worker's catalog is quiet.
 */
export function runWorker(config: Config, log: Logger, transfers: TransferSettings): void {
  // The primary decides when workers stop (graceful shutdown); Ctrl-C reaches the whole group.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  let serving: LocalServing | null = null;
  // The primary accepted the file: failing here is a bug, which the primary counts.
  const upsert = async (f: ZoneText): Promise<void> => {
    if (!serving) return;
    if (!(await serving.upsert(f.origin, f.fileName, f.text, undefined, f.serial))) await send({ eclipso: 'rejected', fileName: f.fileName });
    else if (f.serial !== undefined) await send({ eclipso: 'served', fileName: f.fileName, serial: f.serial });
  };

  const onMessage = async (m: ToWorker): Promise<void> => {
    switch (m.eclipso) {
      case 'start': {
        const s = new LocalServing(config, log, transfers, m.share);
        serving = s;
        await Promise.all(m.files.map(upsert));
        try {
          await send({ eclipso: 'ready', port: await s.listen(m.host, m.port) });
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          await send({ eclipso: 'failed', code: err.code, message: err.message });
          process.exit(1);
        }
        return;
      }
      case 'upsert':
        await upsert(m);
        return;
      case 'remove':
        await serving?.remove(m.origin, m.fileName);
        return;
      case 'snapshot': {
        if (!serving) return;
        const { queries, zones, records, logDroppedLines } = await serving.snapshot();
        await send({ eclipso: 'snapshot', id: m.id, snapshot: { queries, zones, records, logDroppedLines } });
        return;
      }
      case 'stop':
        await serving?.close();
        log.flush();
        process.exit(0);
    }
  };
  process.on('message', (m) => {
    if (isEclipsoMessage(m)) void onMessage(m as ToWorker);
  });
  void send({ eclipso: 'hello' });
}
