import { lastQuery } from '../answer/respond.js';
import type { Logger } from '../log.js';
import { typeName, RCODE } from '../wire/constants.js';
import { formatName, readName } from '../wire/name.js';
import { WireReader } from '../wire/reader.js';

export type Transport = 'udp' | 'tcp';
export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp'];

/**
 * Why the server closed a TCP connection (RFC 7766 §10 connection management): the `reason` label
 * of eclipso_tcp_connections_closed_total. A close by the client is not counted.
 */
export const TCP_CLOSE_REASONS = ['idle_timeout', 'message_timeout', 'table_full', 'per_client_limit', 'unsent_limit'] as const;
export type TcpCloseReason = typeof TCP_CLOSE_REASONS[number];

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));
export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

/** Counters by transport, query type and RCODE: plain typed arrays, bumped on the hot path. */
export class QueryCounters {
  /** [transport][qtype] */
  readonly byType = TRANSPORTS.map(() => new Float64Array(65536));
  /** [transport][rcode] (extended RCODEs fit 12 bits) */
  readonly byRcode = TRANSPORTS.map(() => new Float64Array(4096));
  readonly truncated = TRANSPORTS.map(() => 0);
  readonly dropped = TRANSPORTS.map(() => 0);
  /** [reason] as in TCP_CLOSE_REASONS */
  readonly tcpClosed = TCP_CLOSE_REASONS.map(() => 0);
}

/**
 * Called once per query after the response is built: counts it and, unless ECLIPSO_LOG_IGNORE,
 * queues the seed's per-query log line (qname decoded only then).
 */
export class QueryObserver {
  readonly counters = new QueryCounters();

  constructor(
    private readonly log: Logger | null,
  ) {}

  answered(t: 0 | 1, query: Buffer, address: string, port: number): void {
    const c = this.counters;
    c.byType[t][lastQuery.qtype]++;
    c.byRcode[t][lastQuery.rcode]++;
    if (lastQuery.truncated) c.truncated[t]++;
    if (this.log !== null) this.logQuery(t, query, address, port);
  }

  dropped(t: 0 | 1): void {
    this.counters.dropped[t]++;
  }

  tcpClosed(reason: TcpCloseReason): void {
    this.counters.tcpClosed[TCP_CLOSE_REASONS.indexOf(reason)]++;
  }

  private logQuery(t: 0 | 1, query: Buffer, address: string, port: number): void {
    let qname = '-';
    if (lastQuery.qEnd > 0) {
      try {
        qname = formatName(readName(new WireReader(query, 12, lastQuery.qEnd)));
      } catch {
        qname = '?';
      }
    }
    this.log!.query({
      client: `${address}:${port}`,
      proto: TRANSPORTS[t],
      qname,
      qtype: typeName(lastQuery.qtype),
      rcode: rcodeName(lastQuery.rcode),
      tc: lastQuery.truncated || undefined,
    });
  }
}
