import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a real AWS-protocol server (dynalite) that passes requests through,
 * or, while `throttling`, answers every DynamoDB call as DynamoDB does when a table is throttled:
 * HTTP 400 with ProvisionedThroughputExceededException (AWS JSON 1.0). A fault injector for tests,
 * not a model of DynamoDB's capacity.
 */
export class ThrottleProxy {
  private server: Server | null = null;
  port = 0;
  throttling = false;
  throttled = 0;

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
      const upstream = request({ host: '127.0.0.1', port: this.target(), method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
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
