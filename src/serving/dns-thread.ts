/**
 * A DNS thread of WORKERS > 1 (src/serving/threads.ts): its own UDP and TCP sockets on the shared
 * port (SO_REUSEPORT), its own answer table and counters, and the zones the main thread compiled,
 * whose images it reads where they are (SharedArrayBuffers): it compiles nothing and copies no
 * image. The main thread checked and logged every zone already; a thread logs what only it sees
 * (its listening line, its queries, its transfers). A zone's transfer messages are shared likewise;
 * its IXFR differences are copied to each thread (bounded by the journal, src/transfer/journal.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { snapshotQueries } from '../counters/snapshot.js';
import { collectGarbage } from '../heap.js';
import { Logger } from '../log.js';
import { Outbox } from '../outbox.js';
import { DnsServer } from '../server/dns.js';
import { QueryObserver } from '../server/observer.js';
import { Transfers } from '../server/transfer.js';
import { transfersOn } from '../transfer/access.js';
import { transferSettings } from '../transfer/settings.js';
import { TableTarget } from './table-target.js';
import type { DnsThreadData, FromDnsThread, ToDnsThread } from './thread-messages.js';
import { forEachZoneChange } from './zone-batch.js';

const { config, index, forwardGate } = workerData as DnsThreadData;
const parent = parentPort!;
// Messages both ways go in batches (src/outbox.ts).
const outbox = new Outbox<FromDnsThread>(parent);
const send = (m: FromDnsThread): void => outbox.send(m);
const log = Logger.forServer(config.logFormat, config.logDebug);
// Read again here (settings hold keys, which do not cross threads as they are); the main thread checked them.
const transfers = transferSettings(config);
const target = new TableTarget(transfers.ixfrVersions, () => transfersNeeded());
const observer = new QueryObserver(config.logIgnore ? null : log);

/**
 * Zone transfers at this thread's listeners, from the transfer messages made with each zone when
 * it was compiled: made once a zone may be transferred (as in local.ts).
 */
let xfr: Transfers | null = null;
function transfersNeeded(): void {
  if (xfr !== null) return;
  xfr = new Transfers(transfers, { find: (k) => target.source(k) }, log, observer.counters.xfr);
  dns.useTransfers(xfr);
}

const dns = new DnsServer(target.table, observer, config, log, null, { shared: forwardGate, index });
if (transfersOn(transfers.access)) transfersNeeded();

async function listen(host: string, port: number): Promise<void> {
  // The garbage of taking the zones in goes before the first query can arrive (src/heap.ts).
  collectGarbage();
  try {
    send({ kind: 'ready', port: await dns.listen(host, port, 'reusePort') });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    send({ kind: 'failed', code: err.code, message: err.message });
    outbox.flush();
    process.exit(1);
  }
}

parent.on('message', (batch: ToDnsThread[]) => {
  for (const m of batch) take(m);
});

function take(m: ToDnsThread): void {
  switch (m.kind) {
    case 'zones': {
      // Said once for the batch, not per zone: the main thread knows what it sent (and logs a failure with its file).
      const failed: { at: number; error: string }[] = [];
      forEachZoneChange(m.batch, (change, at) => {
        if ('drop' in change) return target.drop(null, change.drop);
        try {
          target.put(null, change.put);
        } catch (e) {
          failed.push({ at, error: (e as Error).message });
        }
      });
      send({ kind: 'served', failed });
      return;
    }
    case 'listen':
      void listen(m.host, m.port);
      return;
    case 'snapshot':
      send({
        kind: 'snapshot', id: m.id,
        snapshot: { queries: snapshotQueries(observer.counters), zones: target.table.zoneCount, records: target.records, logDroppedLines: log.droppedQueryLines,
          forward: dns.forwarder?.snapshot() },
      });
      return;
    case 'stop':
      void dns.close().then(() => {
        log.flush();
        process.exit(0);
      });
  }
}
