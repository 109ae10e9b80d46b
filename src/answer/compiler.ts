import { Worker } from 'node:worker_threads';
import { compileFile, type CompiledFile } from './compile-file.js';

/** Compiles zone files somewhere: on threads of their own (serving), or here (tools and tests). */
export interface ZoneCompiler {
  compile(text: string, origin: string, fileName: string): Promise<CompiledFile>;
  close(): Promise<void>;
}

export interface CompileRequest {
  id: number;
  text: string;
  origin: string;
  fileName: string;
}

export interface CompileReply {
  id: number;
  result: CompiledFile;
}

/** Compiles on the calling thread: for `eclipso check`, tests and benchmarks. */
export class InlineCompiler implements ZoneCompiler {
  async compile(text: string, origin: string, fileName: string): Promise<CompiledFile> {
    return compileFile(text, origin, fileName);
  }

  async close(): Promise<void> {}
}

const THREAD_MAIN = new URL('./compile-thread.js', import.meta.url);

/**
 * Compiles on worker threads, so that parsing and compiling a zone, however large, never holds up
 * the thread that answers queries: it only installs the result, in one step (src/answer/table.ts).
 * Several threads compile several zones at once (all cores at start); each zone on one thread.
 * A thread that dies (out of memory on a huge zone) fails what it was compiling and is replaced.
 */
export class ThreadCompiler implements ZoneCompiler {
  private readonly threads: { worker: Worker; busy: number }[] = [];
  private readonly waiting = new Map<number, { resolve: (r: CompiledFile) => void; thread: Worker }>();
  private nextId = 1;

  constructor(private readonly size: number) {}

  compile(text: string, origin: string, fileName: string): Promise<CompiledFile> {
    const thread = this.leastBusy();
    const id = this.nextId++;
    // A busy thread keeps the process alive (the answer is awaited); an idle one does not.
    if (thread.busy++ === 0) thread.worker.ref();
    return new Promise((resolve) => {
      this.waiting.set(id, {
        resolve: (r) => {
          if (--thread.busy === 0) thread.worker.unref();
          resolve(r);
        },
        thread: thread.worker,
      });
      thread.worker.postMessage({ id, text, origin, fileName } satisfies CompileRequest);
    });
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private leastBusy(): { worker: Worker; busy: number } {
    if (this.threads.length < this.size && this.threads.every((t) => t.busy > 0)) return this.start();
    return this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private start(): { worker: Worker; busy: number } {
    const worker = new Worker(THREAD_MAIN);
    const thread = { worker, busy: 0 };
    worker.on('message', (m: CompileReply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.resolve(m.result);
    });
    const fail = (why: string): void => {
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads.splice(i, 1);
      for (const [id, w] of this.waiting) {
        if (w.thread !== worker) continue;
        this.waiting.delete(id);
        w.resolve({ kind: 'failed', message: `the compile thread ${why}` });
      }
    };
    worker.on('error', (e) => fail(`failed: ${e.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.threads.push(thread);
    return thread;
  }
}
