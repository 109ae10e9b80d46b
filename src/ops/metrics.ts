import { FORWARD_LATENCY_BUCKETS, type ForwardSnapshot } from '../counters/forward.js';
import { RRL_COUNTS, TCP_CLOSE_REASONS, TRANSPORT_NAMES, XFR_RESULTS } from '../counters/queries.js';
import { NOTIFY_RESULTS, type ServerSnapshot } from '../counters/snapshot.js';
import { rcodeName, TYPE } from '../wire/constants.js';
import { VERSION } from '../version.js';
import { writeProcessMetrics } from './process.js';
import { PromWriter, type Labels } from './prom.js';

/**
 * Query types named as CoreDNS does: the types we serve (and ask about) by mnemonic, every other
 * code as "other", so a client sending random types cannot blow up the series count.
 */
const TYPE_LABELS = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));

function byLabel(pairs: [number, number][], label: (code: number) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [code, n] of pairs) {
    const l = label(code);
    out.set(l, (out.get(l) ?? 0) + n);
  }
  return out;
}

function perTransport(counts: number[]): [Labels, number][] {
  return TRANSPORT_NAMES.map((proto, t) => [{ proto }, counts[t] ?? 0]);
}

/** The forwarder's families (only with FORWARD_TO set), named after CoreDNS's forward and cache plugins'. */
function writeForward(w: PromWriter, f: ForwardSnapshot): void {
  const per = (value: (u: ForwardSnapshot['upstreams'][number]) => number): [Labels, number][] => f.upstreams.map((u) => [{ to: u.to }, value(u)]);
  w.family('eclipso_forward_requests_total', 'counter', 'Queries sent to each upstream (a retry over TCP after TC=1 counts once).', per((u) => u.queries))
    .family('eclipso_forward_responses_total', 'counter', 'Replies from each upstream, by RCODE.', f.upstreams.flatMap((u) => u.rcodes.map(([rc, n]): [Labels, number] => [{ to: u.to, rcode: rcodeName(rc) }, n])))
    .family('eclipso_forward_timeouts_total', 'counter', 'Queries an upstream did not answer within FORWARD_TIMEOUT.', per((u) => u.timeouts))
    .histogram('eclipso_forward_request_duration_seconds', 'Time from a query to an upstream to its reply.', FORWARD_LATENCY_BUCKETS,
      f.upstreams.map((u) => ({ labels: { to: u.to }, counts: u.latency, sum: u.latencySum })))
    .family('eclipso_forward_healthcheck_failures_total', 'counter', 'Times an upstream was found unhealthy: failures in a row, then every background probe it did not answer.', per((u) => u.healthFailures))
    .single('eclipso_forward_max_concurrent_rejects_total', 'counter', 'Queries answered REFUSED because FORWARD_MAX_CONCURRENT queries were at the upstreams.', f.concurrentRejects)
    .single('eclipso_forward_cache_hits_total', 'counter', 'Forwarded queries answered from the cache.', f.cacheHits)
    .single('eclipso_forward_cache_misses_total', 'counter', 'Forwarded queries not in the cache.', f.cacheMisses)
    .single('eclipso_forward_cache_entries', 'gauge', 'Answers in the cache (summed over DNS threads: each has its own).', f.cacheEntries);
}

/** Renders /metrics: eclipso_* families named after CoreDNS's where one matches, then process_*. */
export function renderMetrics(s: ServerSnapshot): string {
  const w = new PromWriter();
  const q = s.queries;
  const requests: [Labels, number][] = [];
  const responses: [Labels, number][] = [];
  TRANSPORT_NAMES.forEach((proto, t) => {
    for (const [type, n] of byLabel(q.byType[t], (c) => TYPE_LABELS.get(c) ?? 'other')) requests.push([{ proto, type }, n]);
    for (const [rcode, n] of byLabel(q.byRcode[t], rcodeName)) responses.push([{ proto, rcode }, n]);
  });
  const source = { source: s.source };
  w.family('eclipso_build_info', 'gauge', 'Always 1; the labels say which Eclipso and Node.js run.', [[{ version: VERSION, nodejs: process.versions.node }, 1]])
    .family('eclipso_dns_requests_total', 'counter', 'Queries answered, by transport and query type.', requests)
    .family('eclipso_dns_responses_total', 'counter', 'Responses sent, by transport and RCODE.', responses)
    .family('eclipso_dns_truncated_responses_total', 'counter', 'UDP responses sent with TC=1 (the client should retry over TCP).', perTransport(q.truncated))
    .family('eclipso_dns_dropped_requests_total', 'counter', 'Messages dropped unanswered: too malformed to answer, or responses themselves.', perTransport(q.dropped))
    .family('eclipso_tcp_connections_closed_total', 'counter', 'TCP connections the server closed, by reason (a close by the client is not counted).', TCP_CLOSE_REASONS.map((reason, r): [Labels, number] => [{ reason }, q.tcpClosed[r]]))
    .family('eclipso_xfr_requests_total', 'counter', 'Zone transfer requests (AXFR and IXFR over TCP and UDP), by what became of them: served as AXFR or IXFR, refused, failed midway.', XFR_RESULTS.map((result, r): [Labels, number] => [{ result }, q.xfr[r]]))
    .single('eclipso_rrl_limited_total', 'counter', 'UDP responses over the rate limit (RRL_RATE): slipped or dropped.', q.rrl[RRL_COUNTS.indexOf('limited')])
    .single('eclipso_rrl_slipped_total', 'counter', 'Rate-limited responses sent truncated (TC=1) or as BADCOOKIE, so a real client asks again (RRL_SLIP).', q.rrl[RRL_COUNTS.indexOf('slipped')])
    .single('eclipso_rrl_dropped_total', 'counter', 'Rate-limited responses not sent.', q.rrl[RRL_COUNTS.indexOf('dropped')])
    .single('eclipso_rrl_table_entries', 'gauge', 'Entries in use in the rate limiting tables (a fixed number at most per DNS thread).', q.rrl[RRL_COUNTS.indexOf('table_entries')])
    .single('eclipso_zones_loaded', 'gauge', 'Zones being served.', s.zones)
    .single('eclipso_records_loaded', 'gauge', 'Resource records in the zones being served.', s.records)
    .family('eclipso_reload_total', 'counter', 'Zone files loaded and swapped in (at start and on change), by source.', [[source, s.reload.loaded]])
    .family('eclipso_reload_errors_total', 'counter', 'Zone files rejected (the previous version stays in service), by source.', [[source, s.reload.rejected]])
    .family('eclipso_reload_removed_total', 'counter', 'Zones removed because their file was removed or made inactive, by source.', [[source, s.reload.removed]])
    .family('eclipso_reload_last_success_timestamp_seconds', 'gauge', 'When a zone file was last loaded, in Unix seconds; 0 before the first.', [[source, Math.round(s.reload.lastLoadUnixSeconds)]]);
  if (s.sourceStats) {
    w.family('eclipso_source_last_sync_timestamp_seconds', 'gauge', 'When the source last synced the whole store without an error, in Unix seconds; 0 before the first.', [[source, Math.round(s.sourceStats.lastSuccessUnixSeconds)]])
      .family('eclipso_source_errors_total', 'counter', 'Failed requests to the zone store and its change feed (errors and timeouts of S3, DynamoDB, SQS, DynamoDB Streams), by source.', [[source, s.sourceStats.errors]]);
  }
  w.single('eclipso_notify_sent_total', 'counter', 'NOTIFYs sent to secondaries, one per secondary per new serial of a zone (retries not counted).', s.notify[NOTIFY_RESULTS.indexOf('sent')])
    .single('eclipso_notify_acknowledged_total', 'counter', 'NOTIFYs a secondary acknowledged (NOERROR).', s.notify[NOTIFY_RESULTS.indexOf('acknowledged')])
    .single('eclipso_notify_failed_total', 'counter', 'NOTIFYs given up: no reply after the last try, or an error reply (the secondary still picks up the change at its next SOA refresh).', s.notify[NOTIFY_RESULTS.indexOf('failed')]);
  if (s.forward) writeForward(w, s.forward);
  const checks = s.health ?? [];
  const label = (c: (typeof checks)[number]): Labels => ({ check: c.check, zone: c.zone, target: c.target });
  w.family('eclipso_health_check_up', 'gauge', 'Whether a health check of an address is up (1) or down (0): its records are left out of answers while down. "up" until its first result.', checks.map((c) => [label(c), c.up ? 1 : 0]))
    .family('eclipso_health_check_transitions_total', 'counter', 'Times a health check turned up or down.', checks.map((c) => [label(c), c.transitions]))
    .family('eclipso_health_check_probes_total', 'counter', 'Probes a health check made.', checks.map((c) => [label(c), c.probes]))
    .family('eclipso_health_check_probe_seconds_total', 'counter', 'Seconds the probes of a health check took, all together (divided by eclipso_health_check_probes_total: the mean).', checks.map((c) => [label(c), c.probeSeconds]))
    .family('eclipso_health_check_probe_duration_seconds', 'gauge', 'Seconds the last probe of a health check took.', checks.map((c) => [label(c), c.lastProbeSeconds]));
  w.single('eclipso_log_dropped_lines_total', 'counter', 'Per-query log lines dropped because stdout could not keep up.', s.logDroppedLines);
  writeProcessMetrics(w);
  return w.text();
}
