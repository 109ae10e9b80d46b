/**
 * What respond() did with one query, for counters and query logs: the query carries its own result
 * (as NSD's `struct query`), instead of a module-level global. Each listener owns one and passes
 * it to every call, so nothing is allocated per query.
 */
export class QueryResult {
  qtype = 0;
  rcode = 0;
  truncated = false;
  /** End of the question in the query, 0 when there was none. */
  qEnd = 0;
  /**
   * Set only when the answer came from the closest encloser (a name with no entry: NXDOMAIN, a
   * wildcard, a name below a delegation), for rate limiting to account it per zone or wildcard:
   * the query it was for (stale unless it is the query at hand: not reset per query), the length
   * of its zone's apex name, and the encloser's offset in the question name.
   */
  belowQuery: Uint8Array | null = null;
  apexOctets = 0;
  encloserAt = 0;
}
