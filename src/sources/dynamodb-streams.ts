import type { DynamoDBStreamsClient, Shard } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from '../log.js';
import { backoffMs } from './backoff.js';
import { PARTITION_KEY } from './dynamodb-items.js';
import { describeS3Error, seedCredentials } from './remote-zones.js';

/** An idle shard is asked for records this often: changes within a second, well under the 5 reads a second a shard allows. */
const POLL_MS = 500;
/** New shards (DynamoDB rolls them every few hours, and on splits) are looked for this often. */
const DESCRIBE_INTERVAL_MS = 10_000;
/** Records per GetRecords: the API's maximum. */
const RECORDS_LIMIT = 1000;
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Changes pushed by a store, beside the periodic sync: which zones a change touched, and when
 * the feed lost track (then a full sync repairs whatever it missed).
 */
export interface ChangeFeed {
  readonly description: string;
  /** Takes a position at the feed's end, so that what changes from now on is seen; before the first full load. */
  prepare(): Promise<void>;
  /**
   * Follows the feed: `touched` gets the zone files of each batch of changes; `resync` asks for a
   * full sync at once; `failed` counts a request to the feed that failed (it is retried).
   */
  start(touched: (files: string[]) => Promise<void>, resync: (why: string) => void, failed: () => void): void;
  stop(): Promise<void>;
}

interface Reading {
  /** The iterator for the next GetRecords; refreshed by every call (an iterator lives 15 minutes). */
  iterator: string;
  /** The last record's sequence number: where a replacement iterator starts after one expired. */
  last?: string;
}

type Streams = typeof import('@aws-sdk/client-dynamodb-streams');

/** A batch of stream records whose zones could not be read from the table: the store's failure, not the stream's. */
class NotApplied extends Error {
  constructor(cause: unknown) {
    super(describeS3Error(cause), { cause });
  }
}

/**
 * Tails a table's DynamoDB stream (DYNAMODB_STREAMS=1). Shards form a tree: a shard is read only
 * once its parent has been read to its end, so that a key's changes are seen in order
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html#Streams.Processing).
 * Open shards are joined at their end (LATEST) before the first full load, shards born later from
 * their start (TRIM_HORIZON). An expired iterator is replaced after the last record read; records
 * trimmed away before they were read (TrimmedDataAccessException), or a shard gone, are answered
 * with a full sync. Only keys are read (a KEYS_ONLY stream is enough): the zones touched are read
 * again from the table.
 */
export class DynamoStreamFeed implements ChangeFeed {
  readonly description: string;
  private arn = '';
  private readonly reading = new Map<string, Reading>();
  /** Shards read to their end (or skipped at start): their children may be read. */
  private readonly finished = new Set<string>();
  private positioned = false;
  private nextDescribe = 0;
  private failures = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly table: string,
    private readonly client: DynamoDBStreamsClient,
    private readonly api: Streams,
    private readonly log: Logger,
  ) {
    this.description = `the stream of dynamodb://${table}`;
  }

  static async open(table: string, env: NodeJS.ProcessEnv, log: Logger): Promise<DynamoStreamFeed> {
    const api = await import('@aws-sdk/client-dynamodb-streams');
    const credentials = seedCredentials(env);
    const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS || env.AWS_ENDPOINT_URL;
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    const client = new api.DynamoDBStreamsClient({
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
      ...(credentials ? { credentials } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
    });
    return new DynamoStreamFeed(table, client, api, log);
  }

  async prepare(): Promise<void> {
    this.arn = await this.findStream();
    this.reading.clear();
    this.finished.clear();
    for (const shard of await this.shards()) {
      if (shard.SequenceNumberRange?.EndingSequenceNumber) this.finished.add(shard.ShardId!);
      else this.reading.set(shard.ShardId!, { iterator: await this.iterator(shard.ShardId!, 'LATEST') });
    }
    this.positioned = true;
    this.nextDescribe = Date.now() + DESCRIBE_INTERVAL_MS;
    this.log.info('following the DynamoDB stream', { stream: this.arn, shards: this.reading.size });
  }

  start(touched: (files: string[]) => Promise<void>, resync: (why: string) => void, failed: () => void): void {
    this.loop = this.run(touched, resync, failed);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop.catch(() => undefined);
    this.client.destroy();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(touched: (files: string[]) => Promise<void>, resync: (why: string) => void, failed: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.positioned) {
          // Positions were lost (no stream yet at start, or an error): join at the end, then sync all.
          await this.prepare();
          resync('the stream was joined anew');
        }
        if (Date.now() >= this.nextDescribe) await this.discover();
        let records = 0;
        for (const [id, reading] of [...this.reading]) records += await this.poll(id, reading, touched, resync);
        if (this.failures > 0) this.log.info('the DynamoDB stream answers again', { afterFailures: this.failures });
        this.failures = 0;
        if (records === 0) await this.sleep(POLL_MS);
      } catch (e) {
        if (this.stopped) return;
        this.failures++;
        const delay = backoffMs(this.failures, RETRY_BASE_MS, RETRY_CAP_MS);
        if (e instanceof NotApplied) {
          // The store's failed request is counted where it was made (remote-source.ts).
          this.log.error('a change from the DynamoDB stream cannot be applied now; it is read again', {
            source: this.description, error: describeS3Error(e.cause), failures: this.failures, retryInSeconds: delay / 1000,
          });
          await this.sleep(delay);
          continue;
        }
        failed();
        this.positioned = this.positioned && this.reading.size > 0;
        this.log.error('cannot read the DynamoDB stream; changes wait for the periodic sync', {
          source: this.description, error: describeS3Error(e), failures: this.failures, retryInSeconds: delay / 1000,
          todo: 'check that the table has a stream (StreamSpecification, KEYS_ONLY is enough) and the dynamodb:ListStreams, DescribeStream, GetShardIterator and GetRecords permissions',
        });
        await this.sleep(delay);
      }
    }
  }

  /** One GetRecords on one shard; returns how many records it read. */
  private async poll(id: string, reading: Reading, touched: (files: string[]) => Promise<void>, resync: (why: string) => void): Promise<number> {
    let out;
    try {
      out = await this.client.send(new this.api.GetRecordsCommand({ ShardIterator: reading.iterator, Limit: RECORDS_LIMIT }), { abortSignal: this.abort.signal });
    } catch (e) {
      if (e instanceof this.api.ExpiredIteratorException) {
        // Unused for 15 minutes (a long sync held us): start again after the last record read.
        try {
          reading.iterator = reading.last
            ? await this.iterator(id, 'AFTER_SEQUENCE_NUMBER', reading.last)
            : await this.iterator(id, 'LATEST');
          if (!reading.last) resync(`an iterator of shard ${id} expired before any record was read`);
          this.log.info('DynamoDB stream iterator renewed', { shard: id, after: reading.last });
          return 0;
        } catch (again) {
          e = again;
        }
      }
      if (e instanceof this.api.TrimmedDataAccessException) {
        // Records went (24 h retention) before we read them: what they said is lost, so sync
        // everything, and go on from the oldest record the shard still has.
        resync(`shard ${id}: ${e.name}`);
        reading.iterator = await this.iterator(id, 'TRIM_HORIZON');
        return 0;
      }
      if (e instanceof this.api.ResourceNotFoundException) {
        // The shard itself is gone (trimmed whole): its children are read from their start.
        this.reading.delete(id);
        this.finished.add(id);
        this.nextDescribe = 0;
        resync(`shard ${id}: ${e.name}`);
        return 0;
      }
      throw e;
    }
    const records = out.Records ?? [];
    const files = new Set<string>();
    for (const r of records) {
      const zone = r.dynamodb?.Keys?.[PARTITION_KEY]?.S;
      if (zone) files.add(`${zone}.toml`);
      reading.last = r.dynamodb?.SequenceNumber ?? reading.last;
    }
    // The batch is read again (its iterator stays) when a zone it names cannot be fetched now.
    if (files.size > 0) await touched([...files]).catch((e: unknown) => Promise.reject(new NotApplied(e)));
    if (out.NextShardIterator) reading.iterator = out.NextShardIterator;
    else {
      // The shard is closed and read to its end: its children may be read now.
      this.reading.delete(id);
      this.finished.add(id);
      this.nextDescribe = 0;
    }
    return records.length;
  }

  /** Starts reading new shards whose parents are done (or unknown: trimmed away, or before our time). */
  private async discover(): Promise<void> {
    const shards = await this.shards();
    const known = new Set(shards.map((s) => s.ShardId!));
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (this.reading.has(id) || this.finished.has(id)) continue;
      const parent = shard.ParentShardId;
      if (parent && known.has(parent) && !this.finished.has(parent)) continue; // its parent first
      this.reading.set(id, { iterator: await this.iterator(id, 'TRIM_HORIZON') });
      this.log.debug('DynamoDB stream shard started', { shard: id, parent });
    }
    this.nextDescribe = Date.now() + DESCRIBE_INTERVAL_MS;
  }

  private async findStream(): Promise<string> {
    const out = await this.client.send(new this.api.ListStreamsCommand({ TableName: this.table }), { abortSignal: this.abort.signal });
    for (const s of out.Streams ?? []) {
      const d = await this.client.send(new this.api.DescribeStreamCommand({ StreamArn: s.StreamArn, Limit: 1 }), { abortSignal: this.abort.signal });
      if (d.StreamDescription?.StreamStatus === 'ENABLED') return s.StreamArn!;
    }
    throw new Error(`the table ${this.table} has no enabled stream; enable one (aws dynamodb update-table --table-name ${this.table} --stream-specification StreamEnabled=true,StreamViewType=KEYS_ONLY) or unset DYNAMODB_STREAMS`);
  }

  /** Every shard of the stream, following DescribeStream's pages. */
  private async shards(): Promise<Shard[]> {
    const all: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.client.send(new this.api.DescribeStreamCommand({ StreamArn: this.arn, ExclusiveStartShardId: start }), { abortSignal: this.abort.signal });
      all.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return all;
  }

  private async iterator(shard: string, type: 'LATEST' | 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER', sequence?: string): Promise<string> {
    const out = await this.client.send(new this.api.GetShardIteratorCommand({
      StreamArn: this.arn, ShardId: shard, ShardIteratorType: type, SequenceNumber: sequence,
    }), { abortSignal: this.abort.signal });
    if (!out.ShardIterator) throw new Error(`no iterator for shard ${shard}`);
    return out.ShardIterator;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
