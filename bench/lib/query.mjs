/** Query packets for the bench's own clients, from dnsperf's "name TYPE" lines. */
import { readFileSync } from 'node:fs';

const TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, SRV: 33, ANY: 255, AXFR: 252 };

/** A query with RD clear and no EDNS, as dnsperf sends by default; ID 0 (the sender patches it). */
export function encodeQuery(name, type) {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  q[5] = 1; // QDCOUNT
  let p = 12;
  for (const l of labels) {
    q[p++] = l.length;
    p += q.write(l, p, 'latin1');
  }
  q[p++] = 0;
  q.writeUInt16BE(TYPES[type.toUpperCase()] ?? Number(type), p);
  q.writeUInt16BE(1, p + 2); // class IN
  return q;
}

export function loadQueries(file) {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [name, type] = line.trim().split(/\s+/);
    return encodeQuery(name, type ?? 'A');
  });
}

/** p-th percentile (0–100) of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
