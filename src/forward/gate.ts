/**
 * FORWARD_MAX_CONCURRENT: client queries waiting on upstreams at once, per process. With DNS
 * threads, each thread counts its own in one slot of a SharedArrayBuffer they all read, so the
 * bound is the process's whichever thread the kernel hands a query to; a thread that is restarted
 * after a crash starts its slot again at 0, so the queries it had in flight do not hold slots for ever.
 */
export class ConcurrencyGate {
  private readonly slots: Int32Array;

  /**
   * `shared`: one 4-octet slot per DNS thread, made by the main thread, of which this thread owns
   * slot `index`; a single slot of its own if absent.
   */
  constructor(private readonly max: number, shared?: SharedArrayBuffer, private readonly index = 0) {
    this.slots = new Int32Array(shared ?? new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(this.slots, index, 0);
  }

  /** Takes a place; false when `max` are taken (the query is refused, not queued). */
  tryEnter(): boolean {
    Atomics.add(this.slots, this.index, 1);
    let total = 0;
    for (let i = 0; i < this.slots.length; i++) total += Atomics.load(this.slots, i);
    if (total <= this.max) return true;
    Atomics.sub(this.slots, this.index, 1);
    return false;
  }

  leave(): void {
    Atomics.sub(this.slots, this.index, 1);
  }
}
