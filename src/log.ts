/**
 * Logs: one JSON object per line (level, time, msg, fields) or plain text, to stdout. Per-query
 * lines are batched and written off the hot path; when the batch is full, lines are dropped and
 * counted rather than letting a slow log reader slow down answers.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, string | number | boolean | undefined>;

/** Pending query lines at most; beyond that they are dropped (and counted). */
const MAX_PENDING_QUERY_LINES = 10_000;
const FLUSH_INTERVAL_MS = 200;
/** Beyond this much unread output, query lines are dropped instead of queued in memory. */
const MAX_UNWRITTEN_BYTES = 4 * 2 ** 20;

export class Logger {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  droppedQueryLines = 0;

  constructor(
    private readonly format: 'json' | 'text',
    private readonly debugOn: boolean,
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
    /** Bytes written but not yet taken by the reader of stdout (a pipe may not keep up). */
    private readonly backlog: () => number = () => process.stdout.writableLength,
  ) {}

  line(level: Level, msg: string, fields: Fields = {}): string {
    if (this.format === 'json') return JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields });
    const kv = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`)
      .join(' ');
    return `${new Date().toISOString()} ${level.toUpperCase()} ${msg}${kv ? ' ' + kv : ''}`;
  }

  log(level: Level, msg: string, fields?: Fields): void {
    if (level === 'debug' && !this.debugOn) return;
    this.flush();
    this.write(this.line(level, msg, fields) + '\n');
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
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending.join('\n') + '\n';
    this.pending = [];
    this.write(batch);
  }
}
