/**
 * Logs: one JSON object per line (level, time, msg, fields) or plain text, to stdout. Per-query
 * lines are batched and written off the hot path; when the batch is full, lines are dropped and
 * counted rather than letting a slow log reader slow down answers. The server's own logger
 * (`batched`) also gathers the other lines of one turn of the event loop into one write: stdout
 * is written synchronously when it is a file or a pipe (Node.js's rule on Linux), and a start that
 * loads 20,000 zones logs a line or more per zone (bench/RESULTS.md: a tenth of a warm start went
 * to those writes).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, string | number | boolean | undefined>;

/** Pending query lines at most; beyond that they are dropped (and counted). */
const MAX_PENDING_QUERY_LINES = 10_000;
const FLUSH_INTERVAL_MS = 200;
/** Beyond this much unread output, query lines are dropped instead of queued in memory. */
const MAX_UNWRITTEN_BYTES = 4 * 2 ** 20;
/** A batched logger writes at once past this many characters gathered, without waiting for the turn to end. */
const MAX_BATCH_CHARS = 64 * 1024;

export class Logger {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** A batched logger's lines of this turn, written when it ends (or by flush()). */
  private gathered = '';
  private turnEnd: NodeJS.Immediate | null = null;
  droppedQueryLines = 0;
  private nowMs = -1;
  private nowIso = '';

  constructor(
    private readonly format: 'json' | 'text',
    private readonly debugOn: boolean,
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
    /** Bytes written but not yet taken by the reader of stdout (a pipe may not keep up). */
    private readonly backlog: () => number = () => process.stdout.writableLength,
    /** Lines of one turn written together; the process writes what is left when it exits. */
    private readonly batched = false,
  ) {
    if (batched) process.once('exit', () => this.flush());
  }

  /** The logger of a server process or thread: to stdout, batched. */
  static forServer(format: 'json' | 'text', debugOn: boolean): Logger {
    return new Logger(format, debugOn, undefined, undefined, true);
  }

  line(level: Level, msg: string, fields: Fields = {}): string {
    if (this.format === 'json') {
      // Fields named like the line's own keys take their places, as in one object spread.
      if ('level' in fields || 'time' in fields || 'msg' in fields) return JSON.stringify({ level, time: this.now(), msg, ...fields });
      // The same line made of its parts, without an object spread per line (a start that loads
      // 20,000 zones logs 60,000 lines: half the time of one spread each).
      const rest = JSON.stringify(fields);
      return `{"level":"${level}","time":"${this.now()}","msg":${JSON.stringify(msg)}${rest.length > 2 ? `,${rest.slice(1)}` : '}'}`;
    }
    const kv = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`)
      .join(' ');
    return `${this.now()} ${level.toUpperCase()} ${msg}${kv ? ' ' + kv : ''}`;
  }

  /** The time now, as in the lines; made once a millisecond (many lines share one). */
  private now(): string {
    const ms = Date.now();
    if (ms !== this.nowMs) {
      this.nowMs = ms;
      this.nowIso = new Date(ms).toISOString();
    }
    return this.nowIso;
  }

  log(level: Level, msg: string, fields?: Fields): void {
    if (level === 'debug' && !this.debugOn) return;
    const line = this.line(level, msg, fields) + '\n';
    if (!this.batched) {
      this.flush();
      this.write(line);
      return;
    }
    // Query lines queued before this line go out before it.
    if (this.pending.length > 0) this.gathered += this.takeQueryLines();
    this.gathered += line;
    if (this.gathered.length >= MAX_BATCH_CHARS) this.flush();
    else this.turnEnd ??= setImmediate(() => this.flush());
  }

  debug(msg: string, fields?: Fields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.log('error', msg, fields);
  }


  /** Queues a per-query line; written in batches. */
  query(fields: Fields): void {
    if (this.pending.length >= MAX_PENDING_QUERY_LINES || this.backlog() > MAX_UNWRITTEN_BYTES) {
      this.droppedQueryLines++;
      return;
    }
    this.pending.push(this.line('info', 'query', fields));
    this.timer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  flush(): void {
    if (this.turnEnd) {
      clearImmediate(this.turnEnd);
      this.turnEnd = null;
    }
    const batch = this.gathered + (this.pending.length > 0 ? this.takeQueryLines() : '');
    this.gathered = '';
    if (batch !== '') this.write(batch);
  }

  private takeQueryLines(): string {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const lines = this.pending.join('\n') + '\n';
    this.pending = [];
    return lines;
  }
}
