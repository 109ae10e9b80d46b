import { Worker } from 'node:worker_threads';
import { ApiError } from './errors.js';
import type { ZoneDocOps } from './zone-docs.js';

const THREAD_MAIN = new URL('./doc-thread.js', import.meta.url);
/** How long the thread is kept without a request: its heap (a large zone's document) goes with it. */
const IDLE_THREAD_MS = 5000;

/** A request to the document thread: an operation of ZONE_DOCS and its arguments. */
export interface DocRequest {
  id: number;
  op: keyof ZoneDocOps;
  args: unknown[];
}

/** Its reply: the result, or the ApiError (as data) or other error the operation threw. */
export type DocReply =
  | { id: number; result: unknown }
  | { id: number; apiError: { status: number; message: string; details: ApiError['details']; headers: Record<string, string> } }
  | { id: number; error: string };

/** ZONE_DOCS's operations, run on the document thread. */
export type ZoneDocs = { [K in keyof ZoneDocOps]: (...args: Parameters<ZoneDocOps[K]>) => Promise<ReturnType<ZoneDocOps[K]>> };

/**
 * The API's document thread: ZONE_DOCS run off the thread that answers queries. Started at the
 * first request and ended once idle IDLE_THREAD_MS, it does not keep the process alive; one that
 * exits (a bug, or out of memory on a huge zone) fails the requests it held with a 500's error,
 * and the next request starts another.
 */
export class DocWorker {
  private worker: Worker | null = null;
  private idle: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { worker: Worker; resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  readonly docs: ZoneDocs = {
    docJson: (...args) => this.run('docJson', args),
    pdnsJson: (...args) => this.run('pdnsJson', args),
    summary: (...args) => this.run('summary', args),
    patched: (...args) => this.run('patched', args),
    tomlBody: (...args) => this.run('tomlBody', args),
    jsonBody: (...args) => this.run('jsonBody', args),
  };

  async close(): Promise<void> {
    clearTimeout(this.idle ?? undefined);
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private run<T>(op: keyof ZoneDocOps, args: unknown[]): Promise<T> {
    const id = this.nextId++;
    clearTimeout(this.idle ?? undefined);
    const worker = this.thread();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { worker, resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, args } satisfies DocRequest);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_MAIN);
    worker.unref();
    worker.on('message', (m: DocReply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if ('result' in m) w?.resolve(m.result);
      else if ('apiError' in m) w?.reject(new ApiError(m.apiError.status, m.apiError.message, m.apiError.details, m.apiError.headers));
      else w?.reject(new Error(m.error));
      if (this.waiting.size === 0) this.idle = setTimeout(() => void this.close(), IDLE_THREAD_MS).unref();
    });
    const fail = (why: string): void => {
      if (this.worker === worker) this.worker = null;
      for (const [id, w] of this.waiting) {
        if (w.worker !== worker) continue;
        this.waiting.delete(id);
        w.reject(new Error(`the API's document thread ${why}`));
      }
    };
    worker.on('error', (e) => fail(`failed: ${e.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }
}
