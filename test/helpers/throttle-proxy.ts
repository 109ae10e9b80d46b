import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a real AWS-protocol server (dynalite, s3rver) that passes requests
 * through (and records them, with their answers, so that a test can see what a client asked for),
 * or, while `throttling`, answers every DynamoDB call as DynamoDB does when a table is throttled:
 * HTTP 400 with ProvisionedThroughputExceededException (AWS JSON 1.0); and S3 GETs of the paths
 * `denied` names get 403 AccessDenied, as an object encrypted with a key the reader may not use
 * does. A fault injector for tests, not a model of DynamoDB's capacity or of S3's permissions.
 */
export class ThrottleProxy {
  private server: Server | null = null;
  port = 0;
  throttling = false;
  throttled = 0;
  /** Request paths (without the query) answered 403 AccessDenied. */
  readonly denied = new Set<string>();
  /** Every request passed through: its method and path, its X-Amz-Target, its JSON body and the JSON answered. */
  readonly calls: { method: string; path: string; target: string; request: Record<string, unknown>; answer?: Record<string, unknown> }[] = [];

  constructor(private readonly target: () => number) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (this.throttling) {
        this.throttled++;
        req.resume();
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
        }));
        return;
      }
      if (this.denied.has((req.url ?? '').split('?')[0])) {
        req.resume();
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
        return;
      }
      const call: (typeof this.calls)[number] = { method: req.method ?? '', path: req.url ?? '', target: String(req.headers['x-amz-target'] ?? ''), request: {} };
      const sent: Buffer[] = [];
      req.on('data', (d: Buffer) => sent.push(d));
      req.on('end', () => (call.request = parseJson(sent)));
      const upstream = request({ host: '127.0.0.1', port: this.target(), method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        const got: Buffer[] = [];
        up.on('data', (d: Buffer) => got.push(d));
        up.on('end', () => {
          call.answer = up.headers['content-encoding'] ? undefined : parseJson(got);
          this.calls.push(call);
        });
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

function parseJson(chunks: Buffer[]): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
