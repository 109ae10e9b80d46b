import { TCP_CLOSE_REASONS, TRANSPORT_NAMES, XFR_RESULTS } from '../counters/queries.js';
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
    .single('eclipso_zones_loaded', 'gauge', 'Zones being served.', s.zones)
    .single('eclipso_records_loaded', 'gauge', 'Resource records in the zones being served.', s.records)
    .family('eclipso_reload_total', 'counter', 'Zone files loaded and swapped in (at start and on change), by source.', [[source, s.reload.loaded]])
    .family('eclipso_reload_errors_total', 'counter', 'Zone files rejected (the previous version stays in service), by source.', [[source, s.reload.rejected]])
    .family('eclipso_reload_removed_total', 'counter', 'Zones removed because their file was removed or made inactive, by source.', [[source, s.reload.removed]])
    .family('eclipso_reload_last_success_timestamp_seconds', 'gauge', 'When a zone file was last loaded, in Unix seconds; 0 before the first.', [[source, Math.round(s.reload.lastLoadUnixSeconds)]]);
  if (s.sourceStats) {
    w.family('eclipso_source_last_sync_timestamp_seconds', 'gauge', 'When the source last synced the whole store without an error, in Unix seconds; 0 before the first.', [[source, Math.round(s.sourceStats.lastSuccessUnixSeconds)]])
      .family('eclipso_source_errors_total', 'counter', 'Failed requests to the zone store (S3 API errors and timeouts), by source.', [[source, s.sourceStats.errors]]);
  }
  w.single('eclipso_notify_sent_total', 'counter', 'NOTIFYs sent to secondaries, one per secondary per new serial of a zone (retries not counted).', s.notify[NOTIFY_RESULTS.indexOf('sent')])
    .single('eclipso_notify_acknowledged_total', 'counter', 'NOTIFYs a secondary acknowledged (NOERROR).', s.notify[NOTIFY_RESULTS.indexOf('acknowledged')])
    .single('eclipso_notify_failed_total', 'counter', 'NOTIFYs given up: no reply after the last try, or an error reply (the secondary still picks up the change at its next SOA refresh).', s.notify[NOTIFY_RESULTS.indexOf('failed')]);
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
