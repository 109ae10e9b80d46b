import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { Health, Phase } from './health.js';
import { PROMETHEUS_CONTENT_TYPE } from './prom.js';

export interface OpsHandlers {
  health: Health;
  /** The Prometheus text for /metrics (in multi-worker mode, summed over the workers). */
  metrics(): Promise<string>;
}

const NOT_READY: Record<Phase, string> = {
  starting: 'not ready: zones are still loading\n',
  // Loaded, but nothing answers queries now (every DNS worker died and is being replaced).
  ready: 'not ready: no DNS worker is answering; new ones are starting\n',
  draining: 'not ready: shutting down\n',
};

/**
 * The operations listener on its own port (METRICS_PORT, 9153 like CoreDNS's prometheus plugin):
 * /metrics, /healthz (liveness) and /readyz (readiness). Kept off the DNS port so a scrape or a
 * probe never competes with queries for the same socket.
 */
export class OpsServer {
  private server: Server | null = null;

  constructor(
    private readonly handlers: OpsHandlers,
    private readonly log: Logger,
  ) {}

  listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log.error('metrics listener error; still serving DNS', { error: e.message }));
        const bound = (server.address() as AddressInfo).port;
        this.log.info('ops listening', { host, port: bound, paths: '/metrics /healthz /readyz' });
        resolve(bound);
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    switch (path) {
      case '/healthz':
        return send(res, 200, 'ok\n');
      case '/readyz': {
        const h = this.handlers.health;
        return h.ready ? send(res, 200, 'ready\n') : send(res, 503, NOT_READY[h.phase]);
      }
      case '/metrics':
        try {
          return send(res, 200, await this.handlers.metrics(), { 'content-type': PROMETHEUS_CONTENT_TYPE });
        } catch (e) {
          this.log.error('cannot collect metrics', { error: (e as Error).message });
          return send(res, 500, `cannot collect metrics: ${(e as Error).message}\n`);
        }
      default:
        return send(res, 404, 'not found; try /metrics, /healthz or /readyz\n');
    }
  }

  /** Stops listening and drops idle keep-alive connections (a scraper's) so the process can exit. */
  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
