import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { authenticate } from './auth.js';
import { ApiError } from './errors.js';
import { OPENAPI } from './openapi.js';
import { route, type Route } from './router.js';
import type { ApiSettings } from './settings.js';
import type { Reply, ZonesApi } from './zones.js';

/** Idle time of a keep-alive connection between requests. */
const KEEP_ALIVE_MS = 5_000;
/**
 * How often requests are checked against API_REQUEST_TIMEOUT: node:http checks every 30 s by
 * default, which would let a slow client keep a connection half a minute past its time.
 */
const TIMEOUT_CHECK_MS = 1_000;

type Handler = (req: IncomingMessage, params: string[]) => Promise<Reply> | Reply;

/**
 * The HTTP zone API on its own listener (API_PORT), never the DNS port's: a slow or abusive
 * client holds at most API_MAX_CONNECTIONS connections, each for at most API_REQUEST_TIMEOUT to
 * send its request, and nothing it does runs on the DNS threads. Every answer is JSON; every
 * error says what to do.
 */
export class ApiServer {
  private server: Server | null = null;
  private readonly routes: Route<Handler>[];

  constructor(
    private readonly config: Config,
    private readonly settings: ApiSettings,
    zones: ZonesApi,
    private readonly log: Logger,
  ) {
    const auth = (req: IncomingMessage) => authenticate(req.headers, settings.tokens);
    const zoneRoutes = (prefix: string, pdns: boolean): Route<Handler>[] => [
      {
        pattern: `${prefix}/zones/{zone}`,
        methods: {
          GET: (req, [z]) => zones.get(auth(req), z, req, pdns),
          ...(!pdns && { PUT: (req: IncomingMessage, [z]: string[]) => zones.put(auth(req), z, req) }),
          PATCH: (req, [z]) => zones.patch(auth(req), z, req, pdns),
          DELETE: (req, [z]) => zones.delete(auth(req), z, req),
        },
      },
    ];
    this.routes = [
      { pattern: '/api/v1/openapi.json', methods: { GET: () => ({ status: 200, body: OPENAPI }) } },
      { pattern: '/api/v1/zones', methods: { GET: (req) => zones.list(auth(req)) } },
      ...zoneRoutes('/api/v1', false),
      { pattern: '/api/v1/changes/{id}', methods: { GET: (req, [id]) => zones.change(auth(req), id) } },
      // PowerDNS's paths, for tools that speak its API (lexicon, cert-manager webhooks, octoDNS):
      // the zone in its shape (rrsets) and PATCH; NOTIFY is sent by the serving path by itself.
      ...zoneRoutes('/api/v1/servers/localhost', true),
      {
        pattern: '/api/v1/servers/localhost/zones/{zone}/notify',
        methods: { PUT: (req) => (auth(req), { status: 200, body: { result: 'Eclipso sends NOTIFY on every change (XFR_NOTIFY) by itself' } }) },
      },
    ];
  }

  listen(): Promise<number> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    const options = { connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, this.config.apiRequestTimeoutMs) };
    const server = this.settings.tls ? createHttps({ ...options, cert: this.settings.tls.cert, key: this.settings.tls.key, handshakeTimeout: this.config.apiRequestTimeoutMs }, handler) : createHttp(options, handler);
    server.maxConnections = this.config.apiMaxConnections;
    server.headersTimeout = this.config.apiRequestTimeoutMs;
    server.requestTimeout = this.config.apiRequestTimeoutMs;
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.config.apiHost, port: this.config.apiPort }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log.error('API listener error; still serving DNS', { error: e.message }));
        const port = (server.address() as AddressInfo).port;
        this.log.info('api listening', { host: this.config.apiHost, port, tls: this.settings.tls !== null, tokens: this.settings.tokens.length });
        resolve(port);
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    let reply: Reply;
    try {
      const { handler, params } = route(this.routes, req.method ?? 'GET', path);
      reply = await handler(req, params);
    } catch (e) {
      reply = this.failure(e, req, path);
    }
    send(res, reply);
    // A body left unread (413, or an error before reading it) is not drained: the connection ends.
    if (!req.complete) res.once('finish', () => req.destroy());
  }

  private failure(e: unknown, req: IncomingMessage, path: string): Reply {
    if (e instanceof ApiError) return { status: e.status, body: { error: e.message, ...e.details }, headers: e.headers };
    this.log.error('API request failed', { method: req.method, path, error: (e as Error).message });
    return { status: 500, body: { error: `internal error: ${(e as Error).message}; the zone is as it was unless the write was logged ("api write"); try again, and report it if it persists` } };
  }

  /** Stops listening and ends open connections. */
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

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...reply.headers };
  if (reply.text) {
    res.writeHead(reply.status, { ...headers, 'content-type': reply.text.type });
    res.end(reply.text.data);
  } else if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
  } else {
    res.writeHead(reply.status, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }
}
