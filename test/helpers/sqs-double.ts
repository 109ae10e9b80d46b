/**
 * A TEST DOUBLE of Amazon SQS, not an emulator: a small HTTP server speaking the AWS JSON 1.0
 * protocol (`X-Amz-Target: AmazonSQS.<Action>`, the protocol @aws-sdk/client-sqs 3.x uses), so
 * that the real SDK client in the server under test talks to it over HTTP. No installable SQS
 * emulator exists here. It models what AWS documents for standard queues
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html):
 * - at-least-once delivery: `duplicate` delivers every message twice, as two copies;
 * - best-effort ordering: `reorder` hands out the newest visible messages first;
 * - visibility timeout: a received message is hidden for the queue's timeout, then delivered
 *   again (with a new receipt handle and a higher receive count) unless it was deleted;
 * - long polls: a receive waits up to WaitTimeSeconds for a message;
 * - MD5OfBody on every message, which the SDK checks.
 * It does not check signatures, nor model FIFO queues, batches' size limits, or dead-letter queues.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Message {
  id: string;
  body: string;
  /** When it may be received again (ms since epoch); 0: visible. */
  hiddenUntil: number;
  receiveCount: number;
  /** The receipt handle of the latest receive: a delete needs one. */
  receipt: string | null;
  sentAt: number;
}

export interface SqsDoubleOptions {
  /** Seconds a received message stays hidden (the queue's VisibilityTimeout). */
  visibilityTimeoutSeconds?: number;
  duplicate?: boolean;
  reorder?: boolean;
}

type Json = Record<string, unknown>;

class SqsError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

export class SqsDouble {
  private server: Server | null = null;
  private messages: Message[] = [];
  private readonly waiters = new Set<() => void>();
  /** Every body ever received by a client, in order: what the server under test was handed. */
  readonly deliveries: string[] = [];
  deletedCount = 0;
  port = 0;

  constructor(readonly queueName = 'eclipso-test', private readonly opts: SqsDoubleOptions = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/000000000000/${this.queueName}`;
  }

  set duplicate(on: boolean) {
    this.opts.duplicate = on;
  }

  set reorder(on: boolean) {
    this.opts.reorder = on;
  }

  /** Starts, or starts again on the same port after stop() (the queue's messages are kept), as after an outage. */
  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiters) wake();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    this.server = null;
  }

  /** Queues a message, as S3 (or SNS) would; two copies with `duplicate`. */
  send(body: string): void {
    const copies = this.opts.duplicate ? 2 : 1;
    const id = randomUUID();
    for (let i = 0; i < copies; i++) this.messages.push({ id, body, hiddenUntil: 0, receiveCount: 0, receipt: null, sentAt: Date.now() });
    for (const wake of this.waiters) wake();
  }

  /** Messages not deleted yet (visible or in flight). */
  get remaining(): number {
    return this.messages.length;
  }

  /** How many times the message with this body was received. */
  receiveCount(body: string): number {
    return this.messages.find((m) => m.body === body)?.receiveCount ?? 0;
  }

  /** Drops every message (SQS's PurgeQueue). */
  purge(): void {
    this.messages = [];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      if (!target.startsWith('AmazonSQS.')) throw new SqsError('com.amazonaws.sqs#InvalidAction', `unknown target ${target}`);
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json;
      if (input.QueueUrl !== undefined && !String(input.QueueUrl).endsWith(`/${this.queueName}`)) {
        throw new SqsError('com.amazonaws.sqs#QueueDoesNotExist', 'The specified queue does not exist.');
      }
      const out = await this.action(target.slice('AmazonSQS.'.length), input, res);
      this.reply(res, 200, out);
    } catch (e) {
      const err = e instanceof SqsError ? e : new SqsError('com.amazonaws.sqs#InternalError', (e as Error).message, 500);
      this.reply(res, err.status, { __type: err.type, message: err.message });
    }
  }

  private reply(res: ServerResponse, status: number, body: Json): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  private async action(action: string, input: Json, res: ServerResponse): Promise<Json> {
    switch (action) {
      case 'SendMessage': {
        const body = String(input.MessageBody ?? '');
        this.send(body);
        return { MessageId: randomUUID(), MD5OfMessageBody: md5(body) };
      }
      case 'ReceiveMessage':
        return { Messages: await this.receive(input, res) };
      case 'DeleteMessage':
        this.delete(String(input.ReceiptHandle ?? ''));
        return {};
      case 'DeleteMessageBatch': {
        const entries = (input.Entries ?? []) as { Id: string; ReceiptHandle: string }[];
        const Successful: Json[] = [];
        const Failed: Json[] = [];
        for (const e of entries) {
          if (this.delete(e.ReceiptHandle)) Successful.push({ Id: e.Id });
          else Failed.push({ Id: e.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The receipt handle is not valid.' });
        }
        return { Successful, Failed };
      }
      default:
        throw new SqsError('com.amazonaws.sqs#UnsupportedOperation', `${action} is not modelled by this test double`);
    }
  }

  /** A receive: what is visible now, or the first message to become visible within the wait. */
  private async receive(input: Json, res: ServerResponse): Promise<Json[]> {
    const max = Math.min(10, Number(input.MaxNumberOfMessages ?? 1));
    const end = Date.now() + Number(input.WaitTimeSeconds ?? 0) * 1000;
    let closed = false;
    res.once('close', () => (closed = true));
    for (;;) {
      const got = this.take(max, Number(input.VisibilityTimeout ?? this.opts.visibilityTimeoutSeconds ?? 30));
      if (got.length > 0 || Date.now() >= end || closed || !this.server?.listening) return got;
      // Woken by a send, or in time for a hidden message to come back.
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(t);
          this.waiters.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, Math.min(100, Math.max(0, end - Date.now())));
        this.waiters.add(wake);
      });
    }
  }

  private take(max: number, visibilitySeconds: number): Json[] {
    const now = Date.now();
    let visible = this.messages.filter((m) => m.hiddenUntil <= now);
    if (this.opts.reorder) visible = visible.reverse();
    return visible.slice(0, max).map((m) => {
      m.hiddenUntil = now + visibilitySeconds * 1000;
      m.receiveCount++;
      m.receipt = randomUUID();
      this.deliveries.push(m.body);
      return {
        MessageId: m.id,
        ReceiptHandle: m.receipt,
        MD5OfBody: md5(m.body),
        Body: m.body,
        Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
      };
    });
  }

  /** Deletes by the latest receipt handle; false for one that names no message. */
  private delete(receipt: string): boolean {
    const i = this.messages.findIndex((m) => m.receipt === receipt);
    if (i < 0) return false;
    this.messages.splice(i, 1);
    this.deletedCount++;
    return true;
  }
}

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}
