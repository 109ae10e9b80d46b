/**
 * Response rate limiting's state (the design of BIND's RRL, as NSD and Knot ship it): one token
 * bucket per (client prefix, response kind, name) key, refilled at `rate` responses a second and
 * holding one second's worth. The table has a fixed number of entries whatever the number of
 * clients: a key hashes to a set of WAYS entries, and a new key takes the set's least recently
 * used one (the oldest reused: an entry unused for a second is full again, so nothing is lost but
 * a flood's own history). Pure: the time is passed in; nothing allocates after construction.
 */

/** Entries in the table: 2^16, about 1.3 MB per DNS thread, whatever the number of sources. */
export const RRL_TABLE_SIZE = 1 << 16;
/** Entries a key may land in: the least recently used of them is reused for a new key. */
const WAYS = 4;

/** What to do with a response. */
export const RRL_ACTION = { SEND: 0, DROP: 1, SLIP: 2 } as const;

export class RateTable {
  /** Nonzero key tags (0: empty entry). */
  private readonly tags: Uint32Array;
  /** When each entry was last used (milliseconds, the caller's clock). */
  private readonly used: Float64Array;
  private readonly tokens: Float32Array;
  /** Responses limited since the entry's key took it: every `slip`th slips. */
  private readonly limited: Uint32Array;
  private readonly mask: number;
  /** Entries holding a key. */
  entries = 0;

  /** `rate`: responses per second per key; `slip`: every slip-th limited response slips (0: none). */
  constructor(private readonly rate: number, private readonly slip: number, readonly size = RRL_TABLE_SIZE) {
    this.tags = new Uint32Array(size);
    this.used = new Float64Array(size);
    this.tokens = new Float32Array(size);
    this.limited = new Uint32Array(size);
    this.mask = size / WAYS - 1;
  }

  /** Accounts one response to the key (`set`, `tag`: two independent hashes of it) at `nowMs`. */
  account(set: number, tag: number, nowMs: number): number {
    tag = (tag | 1) >>> 0;
    const first = (set & this.mask) * WAYS;
    // The entry to take for a new key: an empty one, else the least recently used.
    let oldest = -1;
    for (let i = first; i < first + WAYS; i++) {
      if (this.tags[i] === tag) return this.spend(i, nowMs);
      if (oldest < 0 || (this.tags[oldest] !== 0 && (this.tags[i] === 0 || this.used[i] < this.used[oldest]))) oldest = i;
    }
    if (this.tags[oldest] === 0) this.entries++;
    this.tags[oldest] = tag;
    this.used[oldest] = nowMs;
    this.tokens[oldest] = this.rate - 1;
    this.limited[oldest] = 0;
    return RRL_ACTION.SEND;
  }

  private spend(i: number, nowMs: number): number {
    const elapsed = nowMs - this.used[i];
    this.used[i] = nowMs;
    let tokens = this.tokens[i] + (elapsed > 0 ? (elapsed * this.rate) / 1000 : 0);
    if (tokens > this.rate) tokens = this.rate;
    if (tokens >= 1) {
      this.tokens[i] = tokens - 1;
      return RRL_ACTION.SEND;
    }
    this.tokens[i] = tokens;
    const n = ++this.limited[i];
    return this.slip > 0 && n % this.slip === 0 ? RRL_ACTION.SLIP : RRL_ACTION.DROP;
  }
}
