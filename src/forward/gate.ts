/**
 * FORWARD_MAX_CONCURRENT: client queries waiting on upstreams at once, per process. With DNS
 * threads the count lives in a SharedArrayBuffer every thread's forwarder shares, so the bound is
 * the process's, whichever thread the kernel hands a query to.
 */
export class ConcurrencyGate {
  private readonly count: Int32Array;

  /** `shared`: the process's counter (4 octets) made by the main thread; a counter of its own if absent. */
  constructor(private readonly max: number, shared?: SharedArrayBuffer) {
    this.count = new Int32Array(shared ?? new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  }

  /** Takes a slot; false when `max` are taken (the query is refused, not queued). */
  tryEnter(): boolean {
    if (Atomics.add(this.count, 0, 1) < this.max) return true;
    Atomics.sub(this.count, 0, 1);
    return false;
  }

  leave(): void {
    Atomics.sub(this.count, 0, 1);
  }
}
