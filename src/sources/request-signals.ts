/**
 * One AbortSignal per request, all aborted when the caller's long-lived stop signal aborts.
 *
 * The AWS SDK adds an 'abort' listener to a request's signal for as long as the request runs.
 * The S3 source's stop signal, handed to 16 fetches at once, went past Node's 10 listeners per
 * signal (MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]). Here a stop
 * signal gets one listener, however many requests run under it; each request's own signal gets
 * the SDK's listener, which goes when the request ends.
 */
export class RequestSignals {
  /** Controllers of the requests still running, per stop signal. */
  private readonly running = new WeakMap<AbortSignal, Set<AbortController>>();

  /** Runs `request` with a signal of its own that aborts when `stop` does (at once if it has). */
  async run<T>(stop: AbortSignal, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const running = this.under(stop);
    const controller = new AbortController();
    if (stop.aborted) controller.abort(stop.reason);
    running.add(controller);
    try {
      return await request(controller.signal);
    } finally {
      running.delete(controller);
    }
  }

  private under(stop: AbortSignal): Set<AbortController> {
    let running = this.running.get(stop);
    if (!running) {
      const set = new Set<AbortController>();
      stop.addEventListener('abort', () => {
        for (const c of set) c.abort(stop.reason);
      }, { once: true });
      this.running.set(stop, set);
      running = set;
    }
    return running;
  }
}
