/**
 * What /healthz and /readyz report. Alive as soon as the process answers HTTP; ready only once
 * every zone has been loaded and the DNS sockets listen, while something answers queries (in a
 * pool, at least one live worker), and no longer once shutdown has begun, so a load balancer or
 * a Kubernetes Service stops sending queries before the sockets close.
 */
export type Phase = 'starting' | 'ready' | 'draining';

export class Health {
  private current: Phase = 'starting';

  /** `answering`: whether queries are answered right now (a pool may have lost every worker). */
  constructor(private readonly answering: () => boolean = () => true) {}

  get phase(): Phase {
    return this.current;
  }

  get ready(): boolean {
    return this.current === 'ready' && this.answering();
  }

  /** After the first full zone load, with the DNS sockets listening. */
  markReady(): void {
    if (this.current === 'starting') this.current = 'ready';
  }

  /** On SIGTERM / SIGINT: never ready again. Returns whether it had been ready. */
  beginDrain(): boolean {
    const was = this.current === 'ready';
    this.current = 'draining';
    return was;
  }
}
