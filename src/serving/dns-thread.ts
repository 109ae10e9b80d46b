/**
 * A DNS thread of WORKERS > 1 (src/serving/threads.ts): its own UDP and TCP sockets on the shared
 * port (SO_REUSEPORT), its own answer table and counters, and the zones the main thread compiled,
 * whose images it reads where they are (SharedArrayBuffers): it compiles nothing and copies no
 * image. The main thread checked and logged every zone already; a thread logs what only it sees
 * (its listening line, its queries, its transfers).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TransferStream } from '../answer/compiler.js';
import type { TransferJob } from '../answer/transfer-job.js';
import { snapshotQueries } from '../counters/snapshot.js';
import { Logger } from '../log.js';
import { DnsServer } from '../server/dns.js';
import { QueryObserver } from '../server/observer.js';
import { Transfers } from '../server/transfer.js';
import { transfersOn } from '../transfer/access.js';
import { transferSettings } from '../transfer/settings.js';
import { TableTarget } from './table-target.js';
import type { DnsThreadData, FromDnsThread, ToDnsThread } from './thread-messages.js';

const { config, index, host, port } = workerData as DnsThreadData;
const parent = parentPort!;
const send = (m: FromDnsThread): void => parent.postMessage(m);
const log = new Logger(config.logFormat, config.logDebug);
// Read again here (settings hold keys, which do not cross threads as they are); the main thread checked them.
const transfers = transferSettings(config);
const target = new TableTarget(transfersOn(transfers.access));
const observer = new QueryObserver(config.logIgnore ? null : log);

/** Transfers under way: who waits for the next batch the main thread makes. */
const pending = new Map<number, (batch: Uint8Array | null, error?: string) => void>();
let nextId = 1;

/**
 * A transfer's messages, made by the main thread's compile threads: a DNS thread parses no zone
 * (a large one would hold up its answers) and starts no compile thread of its own (each costs a
 * JavaScript heap). One batch is asked for at a time, when the connection has room for it.
 */
function stream(job: TransferJob): TransferStream {
  const id = nextId++;
  let started = false;
  let ended = false;
  return {
    next: () => new Promise((resolve, reject) => {
      if (ended) return resolve(null);
      pending.set(id, (batch, error) => {
        pending.delete(id);
        if (batch === null) ended = true;
        if (error !== undefined) reject(new Error(error));
        else resolve(batch);
      });
      send(started ? { kind: 'more', id } : { kind: 'transfer', id, job });
      started = true;
    }),
    close: () => {
      if (ended) return;
      ended = true;
      pending.delete(id);
      if (started) send({ kind: 'stop', id });
    },
  };
}

const dns = new DnsServer(target.table, observer, config, log, transfersOn(transfers.access)
  ? new Transfers(transfers, { find: (k) => target.source(k), stream }, log, observer.counters.xfr)
  : null);

async function listen(): Promise<void> {
  try {
    send({ kind: 'ready', port: await dns.listen(host, port, 'reusePort') });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    send({ kind: 'failed', code: err.code, message: err.message });
    process.exit(1);
  }
}

parent.on('message', (m: ToDnsThread) => {
  switch (m.kind) {
    case 'put':
      try {
        target.put(m.file, m.zone);
        send({ kind: 'served', fileName: m.file.fileName, serial: m.zone.facts.serial });
      } catch (e) {
        log.error('zone cannot be served by this DNS worker; it keeps its previous version', {
          worker: index, file: m.file.origin, error: (e as Error).message, todo: 'this is a bug in Eclipso, please report it with the file',
        });
        send({ kind: 'served', fileName: m.file.fileName, serial: null });
      }
      return;
    case 'drop':
      target.drop(m.file, m.apexKey);
      return;
    case 'listen':
      void listen();
      return;
    case 'snapshot':
      send({
        kind: 'snapshot', id: m.id,
        snapshot: { queries: snapshotQueries(observer.counters), zones: target.table.zoneCount, records: target.records, logDroppedLines: log.droppedQueryLines },
      });
      return;
    case 'batch':
      pending.get(m.id)?.(m.batch, m.error);
      return;
    case 'stop':
      void dns.close().then(() => {
        log.flush();
        process.exit(0);
      });
  }
});
