import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Health } from './health.js';
import { OpsServer } from './http.js';
import type { ServerSnapshot } from '../counters/snapshot.js';
import { renderMetrics } from './metrics.js';

export interface Ops {
  readonly health: Health;
  /** Stops the HTTP listener (last, so probes and scrapes work through the lame duck). */
  close(): Promise<void>;
}

/** What the ops listener asks of the server. */
export interface OpsProbes {
  /** Whether queries are answered right now (readiness). */
  answering(): boolean;
  /** The numbers for /metrics, gathered at each scrape: this process's, or the sum over the workers. */
  snapshot(): Promise<ServerSnapshot>;
}

/**
 * Starts the ops listener (unless METRICS_PORT=0) before the zones load, so /healthz answers and
 * /readyz says 503 during a long first sync.
 */
export async function startOps(config: Config, log: Logger, probes: OpsProbes): Promise<Ops> {
  const health = new Health(probes.answering);
  if (config.metricsPort === 0) return { health, close: async () => {} };
  const server = new OpsServer({ health, metrics: async () => renderMetrics(await probes.snapshot()) }, log);
  try {
    await server.listen(config.metricsHost, config.metricsPort);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    log.error(`cannot listen for metrics on ${config.metricsHost}:${config.metricsPort}: ${err.message}`, {
      todo: 'choose another METRICS_PORT (or --metrics-port), or 0 to turn the listener off',
    });
    log.flush();
    process.exit(1);
  }
  return { health, close: () => server.close() };
}
