import type { QueryResult } from '../answer/result.js';
import { QueryCounters, TCP_CLOSE_REASONS, TRANSPORT_NAMES, type TcpCloseReason, type Transport } from '../counters/queries.js';
import type { Logger } from '../log.js';
import { HEADER_SIZE, rcodeName, typeName } from '../wire/constants.js';
import { formatName, readName } from '../wire/name.js';
import { WireReader } from '../wire/reader.js';

/**
 * Called once per query after the response is built: counts it and, unless ECLIPSO_LOG_IGNORE,
 * queues the seed's per-query log line (qname decoded only then).
 */
export class QueryObserver {
  readonly counters = new QueryCounters();

  constructor(
    private readonly log: Logger | null,
  ) {}

  answered(t: Transport, result: QueryResult, query: Buffer, address: string, port: number): void {
    const c = this.counters;
    c.byType[t][result.qtype]++;
    c.byRcode[t][result.rcode]++;
    if (result.truncated) c.truncated[t]++;
    if (this.log !== null) this.logQuery(t, result, query, address, port);
  }

  dropped(t: Transport): void {
    this.counters.dropped[t]++;
  }

  tcpClosed(reason: TcpCloseReason): void {
    this.counters.tcpClosed[TCP_CLOSE_REASONS.indexOf(reason)]++;
  }

  private logQuery(t: Transport, result: QueryResult, query: Buffer, address: string, port: number): void {
    let qname = '-';
    if (result.qEnd > 0) {
      try {
        qname = formatName(readName(new WireReader(query, HEADER_SIZE, result.qEnd)));
      } catch {
        qname = '?';
      }
    }
    this.log!.query({
      client: `${address}:${port}`,
      proto: TRANSPORT_NAMES[t],
      qname,
      qtype: typeName(result.qtype),
      rcode: rcodeName(result.rcode),
      tc: result.truncated || undefined,
    });
  }
}
