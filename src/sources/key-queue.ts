/**
 * Jobs run one after another per key (a zone's writes through the HTTP API), and at once across
 * keys: a write's check of its condition and the write itself are never interleaved with another
 * write of this process to the same zone.
 */
export class KeyQueue {
  private readonly last = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const before = this.last.get(key) ?? Promise.resolve();
    const done = before.then(job, job);
    const settled = done.catch(() => undefined);
    this.last.set(key, settled);
    void settled.then(() => {
      if (this.last.get(key) === settled) this.last.delete(key);
    });
    return done;
  }
}
