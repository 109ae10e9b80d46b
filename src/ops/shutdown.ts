import type { Logger } from '../log.js';

export interface ShutdownPlan {
  /** Lame-duck period: readiness is already 503, queries are still answered. */
  graceMs: number;
  log: Logger;
  /**
   * Turns readiness to 503 (in multi-worker mode, the primary's). Returns whether it had been
   * ready: if not (stopped while zones were loading), nothing routes queries here and the lame
   * duck is skipped.
   */
  beginDrain(): boolean;
  /**
   * A number that grows with every query received (answered or dropped). After the grace period
   * the sockets close only once it has stopped growing for QUIET_MS, so a query already received
   * is answered rather than cut off mid-burst.
   */
  activity?(): number;
  /** Closes the DNS sockets (in multi-worker mode: stops every worker), the source, the ops listener. */
  close(): Promise<void>;
}

/** Quiet time that counts as "no query in flight" once the grace period is over. */
const QUIET_MS = 100;
/** Longest wait for that quiet: a client still sending after readiness went 503 cannot hold us. */
const QUIET_MAX_MS = 2000;
/** Closing sockets and flushing logs takes milliseconds; past this, something is stuck. */
const CLOSE_TIMEOUT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `activity()` has not changed for `quietMs`, or after `maxMs` in any case. */
async function waitForQuiet(activity: () => number, quietMs = QUIET_MS, maxMs = QUIET_MAX_MS): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = activity();
  while (Date.now() < deadline) {
    await sleep(quietMs);
    const now = activity();
    if (now === last) return;
    last = now;
  }
}

/**
 * Graceful stop: readiness 503 at once, then `graceMs` of lame duck while load balancers take
 * the endpoint out (queries keep being answered), then the sockets close and the process exits 0.
 * A second signal ends the lame duck early (Ctrl-C twice when running by hand).
 */
export class Shutdown {
  private started = false;
  private cutShort: (() => void) | null = null;

  constructor(private readonly plan: ShutdownPlan) {}

  /** Handles SIGTERM (Kubernetes, ECS, docker stop) and SIGINT (Ctrl-C). */
  installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void this.run(signal));
  }

  async run(reason: string): Promise<void> {
    const { log, graceMs } = this.plan;
    if (this.started) {
      log.info('second stop signal: ending the lame-duck period now', { signal: reason });
      this.cutShort?.();
      return;
    }
    this.started = true;
    const wasReady = this.plan.beginDrain();
    const lameDuckMs = wasReady ? graceMs : 0;
    log.info('shutting down: not ready, still answering', {
      signal: reason,
      graceSeconds: lameDuckMs / 1000,
      // Whoever pressed Ctrl-C and sees nothing happen for seconds should know why, and the way out.
      todo: lameDuckMs > 0 ? `to skip the ${lameDuckMs / 1000} s lame duck, send SIGINT or SIGTERM again (Ctrl-C a second time)` : undefined,
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, lameDuckMs);
      this.cutShort = () => (clearTimeout(timer), resolve());
    });
    if (this.plan.activity) await waitForQuiet(this.plan.activity);
    log.info('closing sockets');
    const stuck = setTimeout(() => {
      log.error('shutdown stuck closing sockets; exiting anyway', { timeoutSeconds: CLOSE_TIMEOUT_MS / 1000 });
      log.flush();
      process.exit(1);
    }, CLOSE_TIMEOUT_MS);
    stuck.unref();
    try {
      await this.plan.close();
    } catch (e) {
      log.error('error while shutting down', { error: (e as Error).message });
      log.flush();
      process.exit(1);
    }
    log.info('stopped');
    log.flush();
    process.exit(0);
  }
}
