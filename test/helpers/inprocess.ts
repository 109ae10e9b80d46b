import * as packet from 'dns-packet';
import { Responder } from '../../src/answer/respond.js';
import { QueryResult } from '../../src/answer/result.js';
import { EDNS_DEFAULT_PAYLOAD } from '../../src/wire/constants.js';
import { Logger, type Fields } from '../../src/log.js';
import { InlineCompiler } from '../../src/answer/compiler.js';
import { ZoneCatalog } from '../../src/serving/catalog.js';
import { TableTarget } from '../../src/serving/table-target.js';
import { makeQuery, type Decoded, type QueryOptions } from './dns.js';

/** One log line as the in-process harness keeps it. */
export interface LoggedLine extends Fields {
  level: string;
  msg: string;
}

/**
 * The server's answer path without sockets or processes: zone files through the catalog that a
 * server uses (parse, check, compile, install), then Responder.respond() on the table. Answers
 * the same bytes the server sends, in microseconds, for table-driven tests.
 */
export class InProcessServer {
  readonly target = new TableTarget();
  readonly logs: LoggedLine[] = [];
  readonly catalog = new ZoneCatalog(this.target, new InlineCompiler(), new Logger('json', true, (s) => {
    for (const line of s.split('\n')) if (line) this.logs.push(JSON.parse(line) as LoggedLine);
  }));
  private readonly responder: Responder;
  readonly result = new QueryResult();

  private constructor(maxPayload: number) {
    this.responder = new Responder(this.target.table, maxPayload);
  }

  /** A harness serving `zones` (file name → text), loaded in the order given. */
  static async start(zones: Record<string, string> = {}, maxPayload = EDNS_DEFAULT_PAYLOAD): Promise<InProcessServer> {
    const s = new InProcessServer(maxPayload);
    await Promise.all(Object.entries(zones).map(([file, text]) => s.catalog.upsert(file, file, text)));
    return s;
  }

  /** The raw response to raw query bytes; null when the query is dropped. */
  respond(query: Buffer, tcp = false): Buffer | null {
    const out = Buffer.alloc(65535);
    const n = this.responder.respond(query, query.length, out, tcp, this.result);
    return n === 0 ? null : Buffer.from(out.subarray(0, n));
  }

  /** A question asked as a client would (dns-packet encodes, dns-packet decodes). */
  ask(name: string, type: string, opts: QueryOptions & { tcp?: boolean } = {}): Decoded {
    const reply = this.respond(makeQuery(name, type, opts), opts.tcp);
    if (!reply) throw new Error(`no response to ${name} ${type}`);
    return packet.decode(reply) as Decoded;
  }
}
