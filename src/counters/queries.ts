/**
 * The transports a query arrives on, as the hot path indexes its counters (0, 1) and as metrics
 * and logs name them (`TRANSPORT_NAMES[t]`).
 */
export const TRANSPORT = { UDP: 0, TCP: 1 } as const;
export type Transport = (typeof TRANSPORT)[keyof typeof TRANSPORT];
export const TRANSPORT_NAMES = ['udp', 'tcp'] as const;

/**
 * Why the server closed a TCP connection (RFC 7766 §10 connection management): the `reason` label
 * of eclipso_tcp_connections_closed_total. A close by the client is not counted.
 */
export const TCP_CLOSE_REASONS = ['idle_timeout', 'message_timeout', 'table_full', 'per_client_limit', 'unsent_limit'] as const;
export type TcpCloseReason = (typeof TCP_CLOSE_REASONS)[number];

/** What became of a zone transfer request: the `result` label of eclipso_xfr_requests_total. */
export const XFR_RESULTS = ['axfr', 'ixfr', 'refused', 'failed'] as const;
export type XfrResult = (typeof XFR_RESULTS)[number];

/**
 * Response rate limiting (src/server/rrl.ts): responses over the limit, of them those sent
 * truncated or BADCOOKIE (slipped) and those dropped; and the entries its table holds (a gauge).
 */
export const RRL_COUNTS = ['limited', 'slipped', 'dropped', 'table_entries'] as const;

/** Counters by transport, query type and RCODE: plain typed arrays, bumped on the hot path. */
export class QueryCounters {
  /** [transport][qtype] */
  readonly byType = TRANSPORT_NAMES.map(() => new Float64Array(65536));
  /** [transport][rcode] (extended RCODEs fit 12 bits) */
  readonly byRcode = TRANSPORT_NAMES.map(() => new Float64Array(4096));
  readonly truncated = TRANSPORT_NAMES.map(() => 0);
  readonly dropped = TRANSPORT_NAMES.map(() => 0);
  /** [reason] as in TCP_CLOSE_REASONS */
  readonly tcpClosed = TCP_CLOSE_REASONS.map(() => 0);
  /** [result] as in XFR_RESULTS */
  readonly xfr = XFR_RESULTS.map(() => 0);
  /** As in RRL_COUNTS */
  readonly rrl = RRL_COUNTS.map(() => 0);

  /** Queries received so far (answered or dropped): what the shutdown watches to see traffic stop. */
  received(): number {
    let n = 0;
    for (let t = 0; t < this.byRcode.length; t++) {
      for (const v of this.byRcode[t]) n += v;
      n += this.dropped[t];
    }
    return n;
  }
}
