import type { Cacheable } from './message.js';

/** A reply kept with what serving it again needs: where its TTLs are, and when it came. */
export interface CachedReply {
  reply: Buffer;
  shape: Cacheable;
  /** Milliseconds (the cache's clock) when it was stored. */
  storedAt: number;
}

/**
 * Upstream answers by question, least recently used first out (a Map keeps insertion order: a hit
 * moves its entry to the end). An entry lives for its TTL (src/forward/message.ts `cacheable`);
 * `get` gives it with its age in whole seconds, for the TTLs served to be counted down.
 */
export class AnswerCache {
  private readonly entries = new Map<string, CachedReply>();

  constructor(
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key` and its age in seconds, or null (none, or expired: then removed). */
  get(key: string): { entry: CachedReply; age: number } | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    const age = Math.floor((this.now() - entry.storedAt) / 1000);
    this.entries.delete(key);
    if (age >= entry.shape.ttl) return null;
    this.entries.set(key, entry);
    return { entry, age };
  }

  /** Keeps a reply whose TTL is above 0, pushing out the least recently used past the capacity. */
  put(key: string, reply: Buffer, shape: Cacheable): void {
    if (this.capacity === 0 || shape.ttl <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { reply, shape, storedAt: this.now() });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
