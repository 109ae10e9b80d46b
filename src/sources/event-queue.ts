import type { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../config.js';
import type { Logger } from '../log.js';
import { backoffMs } from './backoff.js';
import { describeS3Error, seedCredentials } from './remote-zones.js';

/**
 * Long polls: a receive waits up to this many seconds for a message (SQS's maximum), so that a
 * change is seen as soon as it is queued while an idle queue costs three requests a minute.
 */
const WAIT_TIME_SECONDS = 20;
/** Messages per receive: SQS's maximum. */
const MAX_MESSAGES = 10;
/** A receive sends nothing for up to WAIT_TIME_SECONDS; a request silent longer than this is dead. */
const REQUEST_TIMEOUT_MS = (WAIT_TIME_SECONDS + 10) * 1000;
const CONNECT_TIMEOUT_MS = 5_000;
/** After a failed receive the next try comes this soon, backing off to RETRY_CAP_MS. */
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 30_000;

/**
 * Handles one message body. Resolving means it was processed (or is to be ignored): the message
 * is deleted. Throwing leaves it in the queue: SQS delivers it again after its visibility
 * timeout, and after the queue's maxReceiveCount moves it to the dead-letter queue.
 */
export type MessageHandler = (body: string, messageId: string) => Promise<void>;

/** Checks S3_EVENTS_QUEUE at start: an https (or, for tests and local stacks, http) URL. */
export function parseQueueUrl(raw: string, setting: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${setting}=${JSON.stringify(raw)}: not a URL; write the queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/eclipso-replica-1`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${setting}=${JSON.stringify(raw)}: not an http(s) URL; write the queue URL as SQS shows it`);
  return url;
}

/**
 * Consumes one SQS queue: long-polls it, hands each message to the handler, and deletes the
 * messages the handler processed. SQS delivers at least once and in no set order: the handler
 * must accept duplicates and late messages (the S3 source does, by sequencer and ETag).
 */
export class EventQueue {
  private readonly abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private failures = 0;

  private constructor(
    private readonly url: URL,
    private readonly client: SQSClient,
    private readonly sqs: typeof import('@aws-sdk/client-sqs'),
    private readonly log: Logger,
  ) {}

  /** Loads the SQS client (only now: a server without a queue never loads it). */
  static async open(url: URL, env: NodeJS.ProcessEnv, log: Logger): Promise<EventQueue> {
    const sqs = await import('@aws-sdk/client-sqs');
    // The queue URL names the endpoint and the region (sqs.<region>.amazonaws.com); a general
    // AWS_ENDPOINT_URL (a MinIO for S3, say) must not take SQS requests elsewhere.
    const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const client = new sqs.SQSClient({
      region,
      endpoint: env.AWS_ENDPOINT_URL_SQS || url.origin,
      credentials: seedCredentials(env),
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
    });
    return new EventQueue(url, client, sqs, log);
  }

  get description(): string {
    return this.url.href;
  }

  /** Starts consuming in the background; stop() ends it. `failed` counts a request to SQS that failed (it is retried). */
  start(handle: MessageHandler, failed: () => void): void {
    this.loop = this.run(handle, failed);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop.catch(() => undefined);
    this.client.destroy();
  }

  private async run(handle: MessageHandler, failed: () => void): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const out = await this.client.send(new this.sqs.ReceiveMessageCommand({
          QueueUrl: this.url.href,
          WaitTimeSeconds: WAIT_TIME_SECONDS,
          MaxNumberOfMessages: MAX_MESSAGES,
        }), { abortSignal: this.abort.signal });
        if (this.failures > 0) this.log.info('the S3 event queue answers again', { queue: this.description, afterFailures: this.failures });
        this.failures = 0;
        const done: { Id: string; ReceiptHandle: string }[] = [];
        for (const [i, m] of (out.Messages ?? []).entries()) {
          if (!m.Body || !m.ReceiptHandle) continue;
          try {
            await handle(m.Body, m.MessageId ?? '');
            done.push({ Id: String(i), ReceiptHandle: m.ReceiptHandle });
          } catch (e) {
            if (this.abort.signal.aborted) return;
            this.log.error('an S3 event message could not be processed; it stays in the queue and comes back after its visibility timeout', {
              queue: this.description, messageId: m.MessageId, error: describeS3Error(e),
              todo: 'if it keeps failing, give the queue a dead-letter queue (redrive policy) and look at the message there',
            });
          }
        }
        if (done.length > 0) await this.delete(done);
      } catch (e) {
        if (this.abort.signal.aborted) return;
        this.failures++;
        failed();
        const delay = backoffMs(this.failures, RETRY_BASE_MS, RETRY_CAP_MS);
        this.log.error('cannot receive from the S3 event queue; changes wait for the periodic sync', {
          queue: this.description, error: describeS3Error(e), failures: this.failures, retryInSeconds: delay / 1000,
          todo: 'check S3_EVENTS_QUEUE, the region and the sqs:ReceiveMessage and sqs:DeleteMessage permissions',
        });
        await this.sleep(delay);
      }
    }
  }

  /** Deletes processed messages; one that cannot be deleted comes back, and is processed again harmlessly. */
  private async delete(entries: { Id: string; ReceiptHandle: string }[]): Promise<void> {
    const out = await this.client.send(new this.sqs.DeleteMessageBatchCommand({ QueueUrl: this.url.href, Entries: entries }), { abortSignal: this.abort.signal });
    for (const f of out.Failed ?? []) {
      this.log.warn('an S3 event message could not be deleted; it will be delivered and processed again', { queue: this.description, code: f.Code, error: f.Message });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const signal = this.abort.signal;
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
