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
}
