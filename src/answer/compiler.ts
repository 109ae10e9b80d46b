import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { Outbox } from '../outbox.js';
import { YOUNG_GENERATION_MB, youngGeneration } from '../heap.js';
import { textDigest, type ZoneContent } from '../zone/text.js';
import { compileFile, type CompiledFile, type PreviousVersion, type SerialInput } from './compile-file.js';
import { dropCached, sweepCached } from './compiled-cache.js';

/**
 * What a file compiled to, and the digest of its text (src/zone/text.ts textDigest): hashing a
 * large zone's text takes milliseconds, so it is done where the file is compiled, not on the
 * thread that answers.
 */
export type DigestedFile = CompiledFile & { digest: string };

/** Compiles zone files somewhere: on threads of their own (serving), or here (tools and tests). */
export interface ZoneCompiler {
  /**
   * `serial`: how the served serial is decided (the file's own when empty); `previous`: the version
   * compiled before, which the result's difference (for IXFR) starts from.
   */
  compile(content: ZoneContent, origin: string, fileName: string, serial?: SerialInput, previous?: PreviousVersion): Promise<DigestedFile>;
  /** The file no longer serves a zone: what was kept of its compiled form may go. */
  forget(origin: string): void;
  close(): Promise<void>;
}

export interface CompileThreadData {
  /** Where compiled zones are kept across restarts (src/answer/compiled-cache.ts); null: nowhere. */
  cacheDir: string | null;
  /** The Eclipso version: a new one compiles every zone again (its output may differ). */
  version: string;
  /** Whether each zone's transfer messages are made with it (zone transfers on). */
  transfers: boolean;
  /**
   * Whether a zone's image and transfer messages are handed over in SharedArrayBuffers, for DNS
   * threads to read where they lie (src/serving/threads.ts): copied there by the compile thread,
   * so the serving thread never holds a private copy of them.
   */
  shared: boolean;
}

/** How a ThreadCompiler's output is made and handed over (CompileThreadData). */
export type CompileOutputs = Pick<CompileThreadData, 'transfers' | 'shared'>;

/** What the serving thread asks a compile thread: compile a file (several go in one message). */
export interface ToThread {
  id: number;
  /** Octets are copied into the message, not transferred: a thread that dies leaves its files to be sent again. */
  content: ZoneContent;
  origin: string;
  fileName: string;
  serial: SerialInput;
  previous?: PreviousVersion;
  /** Compiled during the first load: its cache entry is written once the load is done (compile-thread.ts). */
  deferCache?: true;
}

/** A message to a compile thread: files to compile, or `writeDeferred`: the first load is done. */
export type ToThreadMessage = ToThread[] | typeof WRITE_DEFERRED;
const WRITE_DEFERRED = { writeDeferred: true } as const;

/** A compile thread's word that it wrote the cache entries it deferred: how many, and why one failed. */
export interface DeferredWritten {
  written: number;
  cacheError?: string;
}

export interface CompileReply {
  id: number;
  result: DigestedFile;
  /** The cache entry the result is kept in (null: none). */
  key: string | null;
  /** Why it could not be kept. */
  cacheError?: string;
}

/** Compiles on the calling thread: for `eclipso check`, tests and benchmarks. */
export class InlineCompiler implements ZoneCompiler {
  /** `transfers`: each zone's transfer messages made with it (zone transfers on). */
  constructor(private readonly transfers = false) {}

  async compile(content: ZoneContent, origin: string, fileName: string, serial: SerialInput = {}, previous?: PreviousVersion): Promise<DigestedFile> {
    const digest = serial.digest ?? textDigest(content);
    return { ...compileFile(content, origin, fileName, { ...serial, digest }, { previous, transfers: this.transfers }), digest };
  }

  forget(): void {}

  async close(): Promise<void> {}
}

const THREAD_MAIN = new URL('./compile-thread.js', import.meta.url);
/** How long a compile thread waits for work before it is ended (see ThreadCompiler#release). */
const IDLE_THREAD_MS = 2000;

/** What a file sent to a thread gets when the compiler is closed before it is compiled. */
const STOPPED: DigestedFile = { kind: 'failed', message: 'not compiled: the server is stopping', stopped: true, digest: '' };

/** A file sent to a thread and not compiled yet; `alone`: sent again alone, after its thread died. */
interface Waiting {
  resolve: (r: DigestedFile) => void;
  thread: Worker;
  message: ToThread;
  alone: boolean;
}

interface CompileThread {
  worker: Worker;
  /** Files sent and not compiled yet, and deferred cache entries being written (one). */
  busy: number;
  /** Files sent with `deferCache` since it last wrote its deferred entries. */
  deferred: number;
  /** Resolves with how many when the thread has written its deferred entries (0 when it ended); null: not asked to. */
  writing: Promise<number> | null;
  /** Resolves `writing`. */
  written: ((entries: number) => void) | null;
  /** Files handed over together (a source's batch) go in one message, and come back in one. */
  outbox: Outbox<ToThread>;
  /** Ends the thread once it has been idle IDLE_THREAD_MS. */
  idle: NodeJS.Timeout | null;
}

/**
 * Compiles on worker threads, so that parsing and compiling a zone, however large, never holds up
 * the thread that answers queries: it only installs the result, in one step (src/answer/table.ts).
 * Several threads compile several zones at once (all cores at start); each zone on one thread.
 * A thread that dies (out of memory on a huge zone) is replaced, and the files it was compiling
 * are compiled again one at a time on a thread of their own: the file that killed it is rejected
 * alone, the others are served (a bad input never takes a good zone down).
 */
export class ThreadCompiler implements ZoneCompiler {
  private readonly threads: CompileThread[] = [];
  private readonly waiting = new Map<number, Waiting>();
  /** Files a dead thread was compiling, compiled again one at a time on `retryThread`. */
  private readonly retries: Waiting[] = [];
  private retryThread: CompileThread | null = null;
  /** Closed: threads ended by close() leave nothing to compile again. */
  private closed = false;
  private nextId = 1;
  /** The cache entry each file's served version is kept in, and how many files share one. */
  private readonly keys = new Map<string, string>();
  private readonly users = new Map<string, number>();
  private cacheErrorLogged = false;
  /** During the first load (until settleCache): cache entries are written once it is done. */
  private deferring: boolean;

  /**
   * `size` threads at most. `cache`: where compiled zones are kept for the next start (the folder
   * is created if missing), by which Eclipso version, and where to say once that it cannot be
   * written; null: nowhere. `outputs`: transfer messages made with each zone, buffers shared.
   */
  constructor(
    private readonly size: number,
    private readonly cache: { dir: string; version: string; log: Logger } | null = null,
    private readonly outputs: CompileOutputs = { transfers: false, shared: false },
  ) {
    this.deferring = cache !== null;
  }

  compile(content: ZoneContent, origin: string, fileName: string, serial: SerialInput = {}, previous?: PreviousVersion): Promise<DigestedFile> {
    const thread = this.leastBusy();
    const id = this.nextId++;
    this.claim(thread);
    if (this.deferring) thread.deferred++;
    return new Promise((resolve) => {
      const message: ToThread = { id, content, origin, fileName, serial, previous, ...(this.deferring && { deferCache: true as const }) };
      this.waiting.set(id, {
        resolve: (r) => {
          this.release(thread);
          resolve(r);
        },
        thread: thread.worker,
        message,
        alone: false,
      });
      thread.outbox.send(message);
    });
  }

  /** Compiles the next file a dead thread left, alone on the retry thread; ends that thread when none is left. */
  private retryNext(): void {
    if (this.closed) return;
    const w = this.retries.shift();
    if (w === undefined) {
      void this.retryThread?.worker.terminate();
      this.retryThread = null;
      return;
    }
    this.retryThread ??= this.start(false);
    // Written at once: the retry thread ends when it has nothing left to compile.
    const message = { ...w.message, id: this.nextId++, deferCache: undefined };
    this.waiting.set(message.id, {
      resolve: (r) => {
        w.resolve(r);
        this.retryNext();
      },
      thread: this.retryThread.worker,
      message,
      alone: true,
    });
    this.retryThread.outbox.send(message);
  }

  forget(origin: string): void {
    this.use(origin, null);
  }

  /**
   * Called once the first load is done, when every file in service has its entry: removes from the
   * cache folder what no file uses and was written before `since` (epoch ms; see sweepCached), then
   * has the threads write the entries they deferred (and from then on, each as it is compiled).
   * Resolves with how many went.
   */
  async settleCache(since: number): Promise<number> {
    if (this.cache === null) return 0;
    // Swept first: a temporary file being written is kept by its time, which the sweep and the
    // file system's clock may not tell apart.
    const removed = await sweepCached(this.cache.dir, (key) => this.users.has(key), since);
    this.deferring = false;
    const started = performance.now();
    void Promise.all(this.threads.map((t) => this.writeDeferred(t))).then((counts) => {
      const entries = counts.reduce((a, b) => a + b, 0);
      if (entries > 0) this.cache?.log.info('wrote the first load\'s compiled zones to the cache', { dir: this.cache.dir, entries, ms: Math.round(performance.now() - started) });
    });
    return removed;
  }

  /** Has `thread` write the cache entries it deferred, if any; resolves with how many once it has (or has ended). */
  private writeDeferred(thread: CompileThread): Promise<number> {
    if (thread.writing !== null || thread.deferred === 0) return thread.writing ?? Promise.resolve(0);
    this.claim(thread);
    thread.outbox.flush();
    thread.worker.postMessage(WRITE_DEFERRED);
    thread.writing = new Promise<number>((resolve) => (thread.written = resolve)).then((entries) => {
      thread.written = null;
      thread.writing = null;
      thread.deferred = 0;
      this.release(thread);
      return entries;
    });
    return thread.writing;
  }

  /** Records that `origin` is served from cache entry `key` (null: none), dropping entries no file uses. */
  private use(origin: string, key: string | null): void {
    const old = this.keys.get(origin);
    if (old === key) return;
    if (key !== null) {
      this.keys.set(origin, key);
      this.users.set(key, (this.users.get(key) ?? 0) + 1);
    } else {
      this.keys.delete(origin);
    }
    if (old === undefined) return;
    const left = this.users.get(old)! - 1;
    if (left > 0) {
      this.users.set(old, left);
      return;
    }
    this.users.delete(old);
    if (this.cache !== null) dropCached(this.cache.dir, old);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.retries.splice(0)) w.resolve(STOPPED);
    // What an idle thread deferred is written first (a stop soon after a start still leaves the next
    // start its cache); a thread still compiling is ended as it is.
    await Promise.all(this.threads.filter((t) => t.busy === 0 || t.writing !== null).map((t) => this.writeDeferred(t)));
    const threads = this.threads.splice(0);
    if (this.retryThread) threads.push(this.retryThread);
    this.retryThread = null;
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private cacheUnusable(why: string): void {
    if (this.cacheErrorLogged) return;
    this.cacheErrorLogged = true;
    this.cache?.log.error('cannot keep compiled zones in the cache folder; the next start compiles them again', {
      dir: this.cache.dir, error: why, todo: 'make ZONE_CACHE_DIR a folder this user can write, with room to spare, or unset it',
    });
  }

  /** A busy thread keeps the process alive (its answer is awaited), and is not ended. */
  private claim(thread: CompileThread): void {
    if (thread.busy++ > 0) return;
    thread.worker.ref();
    clearTimeout(thread.idle ?? undefined);
  }

  /**
   * An idle thread no longer keeps the process alive, and is ended after IDLE_THREAD_MS: its
   * heap, full of what it parsed and compiled, is not collected while it waits (hundreds of MiB
   * after a large load). The last one is replaced by a fresh thread, its heap empty, so that a
   * changed zone does not wait for a thread to start (tens of milliseconds).
   */
  private release(thread: CompileThread): void {
    if (--thread.busy > 0) return;
    thread.worker.unref();
    thread.idle = setTimeout(() => {
      const i = this.threads.indexOf(thread);
      // Not while it holds deferred cache entries: writeDeferred releases it again once written.
      if (i < 0 || thread.busy > 0 || thread.deferred > 0) return;
      this.threads.splice(i, 1);
      void thread.worker.terminate();
      if (this.threads.length === 0) this.start().worker.unref();
    }, IDLE_THREAD_MS).unref();
  }

  private leastBusy(): CompileThread {
    if (this.threads.length < this.size && this.threads.every((t) => t.busy > 0)) return this.start();
    return this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  /** A new thread; `pooled`: one of the threads files are given to (else the retry thread). */
  private start(pooled = true): CompileThread {
    if (this.cache !== null && this.threads.length === 0) {
      try {
        mkdirSync(this.cache.dir, { recursive: true });
      } catch (e) {
        this.cacheUnusable((e as Error).message);
      }
    }
    const worker = new Worker(THREAD_MAIN, {
      workerData: { cacheDir: this.cache?.dir ?? null, version: this.cache?.version ?? '', ...this.outputs } satisfies CompileThreadData,
      resourceLimits: youngGeneration(YOUNG_GENERATION_MB.compile),
    });
    const thread: CompileThread = { worker, busy: 0, idle: null, outbox: new Outbox(worker), deferred: 0, writing: null, written: null };
    worker.on('message', (replies: CompileReply[] | DeferredWritten) => {
      if (!Array.isArray(replies)) {
        if (replies.cacheError !== undefined) this.cacheUnusable(replies.cacheError);
        thread.written?.(replies.written);
        return;
      }
      for (const m of replies) {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.cacheError !== undefined) this.cacheUnusable(m.cacheError);
        if (w && m.result.kind !== 'rejected' && m.result.kind !== 'failed') this.use(w.message.origin, m.key);
        w?.resolve(m.result);
      }
    });
    const fail = (why: string, outOfMemory: boolean): void => {
      thread.written?.(0);
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads.splice(i, 1);
      if (this.retryThread === thread) this.retryThread = null;
      const left = [...this.waiting].filter(([, w]) => w.thread === worker);
      for (const [id] of left) this.waiting.delete(id);
      for (const [, w] of left) {
        if (this.closed) {
          w.resolve(STOPPED);
        } else if (!w.alone) {
          this.retries.push(w);
        } else {
          // Alone on its thread, this file is what ended it.
          w.resolve(outOfMemory
            ? { kind: 'rejected', problems: [{ origin: w.message.origin, message: `too large to compile in the memory this process may use (its compile thread ran out of heap); give the process more memory (README: Memory), or split the zone` }], digest: '' }
            : { kind: 'failed', message: `the compile thread ${why}`, digest: '' });
        }
      }
      if (this.retries.length > 0 && this.retryThread === null) this.retryNext();
    };
    worker.on('error', (e: NodeJS.ErrnoException) => fail(`failed: ${e.message}`, e.code === 'ERR_WORKER_OUT_OF_MEMORY'));
    worker.on('exit', (code) => fail(`exited with code ${code}`, false));
    if (pooled) this.threads.push(thread);
    return thread;
  }
}
