/** Past this many elements, a zone's work arrays are its own: a large zone's are not kept after it. */
const WORK_MAX_LENGTH = 1 << 16;

/**
 * An array packing works in (pack.ts, same-responses.ts), kept from zone to zone (packing is
 * synchronous): typed arrays of their own for each zone were a third of packing a zone of 50
 * records (an ArrayBuffer costs its allocation and the collector's bookkeeping, whatever its size).
 */
export class Work<T extends Int32Array | Uint8Array> {
  private array: T;

  constructor(private readonly make: (length: number) => T) {
    this.array = make(0);
  }

  /** `n` elements, as the last zone left them. */
  take(n: number): T {
    if (n > WORK_MAX_LENGTH) return this.make(n);
    if (this.array.length < n) this.array = this.make(Math.min(WORK_MAX_LENGTH, Math.max(n, 2 * this.array.length)));
    return this.array.subarray(0, n) as T;
  }
}

export const workInts = (): Work<Int32Array> => new Work((n) => new Int32Array(n));
