/**
 * A TEST DOUBLE of DynamoDB Streams, not an emulator: a small HTTP server speaking the AWS JSON
 * 1.0 protocol (`X-Amz-Target: DynamoDBStreams_20120810.<Action>`), so that the real
 * @aws-sdk/client-dynamodb-streams client in the server under test talks to it over HTTP. No
 * installable emulator implements Streams here (dynalite has no streams). The test writes to
 * the table (dynalite) and tells the double what the stream records, as DynamoDB would. It models
 * what AWS documents (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
 * and the DynamoDB Streams API reference):
 * - shards that close and have children (`split`), each record in exactly one shard, in order;
 * - DescribeStream in pages (`pageSize` shards a page, LastEvaluatedShardId);
 * - iterators of the four types, each GetRecords handing out the next one, a closed shard read to
 *   its end answering without NextShardIterator;
 * - iterators that expire (`expireIterators`: ExpiredIteratorException, as after 15 minutes);
 * - records trimmed away (`trim`: TrimmedDataAccessException for iterators before the horizon).
 * Keys only (StreamViewType KEYS_ONLY). It does not check signatures nor model throttling or the
 * two-readers-per-shard limit.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

interface StreamRecord {
  seq: bigint;
  zone: string;
  item: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
}

interface ShardState {
  id: string;
  parent?: string;
  start: bigint;
  /** Set once the shard is closed: its last sequence number. */
  end?: bigint;
  records: StreamRecord[];
  /** Records below this sequence number were trimmed away. */
  horizon: bigint;
  /** When a reader first asked it for records, and when it was told the shard ended (for order checks). */
  firstRead?: number;
  endedRead?: number;
}

interface IteratorState {
  shard: string;
  /** Next record to hand out: the first with seq >= this. */
  from: bigint;
  expired: boolean;
}

class StreamsError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

export class StreamsDouble {
  private server: Server | null = null;
  private readonly shards: ShardState[] = [];
  private readonly iterators = new Map<string, IteratorState>();
  private seq = 100000000000000000000n;
  private clock = 0;
  /** Every GetShardIterator asked, as "<type>" (for checks that an iterator was renewed in place). */
  readonly iteratorRequests: string[] = [];
  port = 0;
  pageSize = 1;

  constructor(readonly table: string) {
    this.shards.push(this.newShard());
  }

  get arn(): string {
    return `arn:aws:dynamodb:us-east-1:000000000000:table/${this.table}/stream/2026-11-30T00:00:00.000`;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts, or starts again on the same port after stop() (the stream's records are kept), as after an outage. */
  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Records a change to one item, in the open shard its partition key hashes to. */
  write(zone: string, item = '#zone', eventName: StreamRecord['eventName'] = 'MODIFY'): void {
    const open = this.shards.filter((s) => s.end === undefined);
    const shard = open[[...zone].reduce((h, c) => h + c.charCodeAt(0), 0) % open.length];
    shard.records.push({ seq: this.nextSeq(), zone, item, eventName });
  }

  /** Closes every open shard, each with two children (as DynamoDB does when a partition splits). */
  split(): string[] {
    const children: string[] = [];
    for (const s of this.shards.filter((x) => x.end === undefined)) {
      s.end = this.nextSeq();
      for (let i = 0; i < 2; i++) {
        const child = this.newShard(s.id);
        this.shards.push(child);
        children.push(child.id);
      }
    }
    return children;
  }

  /** Every iterator handed out so far expires (as 15 minutes unused would). */
  expireIterators(): void {
    for (const it of this.iterators.values()) it.expired = true;
  }

  /** Drops every record so far (as the 24-hour retention does): older iterators get TrimmedDataAccessException. */
  trim(): void {
    const horizon = this.nextSeq();
    for (const s of this.shards) {
      s.records = s.records.filter((r) => r.seq >= horizon);
      s.horizon = horizon;
    }
  }

  shard(id: string): { firstRead?: number; endedRead?: number } {
    return this.shards.find((s) => s.id === id)!;
  }

  get shardIds(): string[] {
    return this.shards.map((s) => s.id);
  }

  private newShard(parent?: string): ShardState {
    const start = this.nextSeq();
    return { id: `shardId-${String(this.shards.length).padStart(8, '0')}-${randomUUID().slice(0, 8)}`, parent, start, records: [], horizon: 0n };
  }

  private nextSeq(): bigint {
    this.seq += 1n;
    return this.seq;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    let status = 200;
    let body: Json;
    try {
      if (!target.startsWith('DynamoDBStreams_20120810.')) throw new StreamsError('UnknownOperationException', `unknown target ${target}`);
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json;
      body = this.action(target.slice('DynamoDBStreams_20120810.'.length), input);
    } catch (e) {
      status = 400;
      body = e instanceof StreamsError ? { __type: ERROR_PREFIX + e.type, message: e.message } : { __type: ERROR_PREFIX + 'InternalServerError', message: (e as Error).message };
      if (!(e instanceof StreamsError)) status = 500;
    }
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  private action(action: string, input: Json): Json {
    switch (action) {
      case 'ListStreams':
        return input.TableName === undefined || input.TableName === this.table
          ? { Streams: [{ StreamArn: this.arn, TableName: this.table, StreamLabel: '2026-11-30T00:00:00.000' }] }
          : { Streams: [] };
      case 'DescribeStream':
        return { StreamDescription: this.describe(input) };
      case 'GetShardIterator':
        return { ShardIterator: this.iterator(input) };
      case 'GetRecords':
        return this.records(input);
      default:
        throw new StreamsError('UnknownOperationException', `${action} is not modelled by this test double`);
    }
  }

  private checkArn(input: Json): void {
    if (input.StreamArn !== this.arn) throw new StreamsError('ResourceNotFoundException', `Requested resource not found: Stream: ${String(input.StreamArn)} not found`);
  }

  private describe(input: Json): Json {
    this.checkArn(input);
    const limit = Math.min(Number(input.Limit ?? this.pageSize), this.pageSize);
    const from = input.ExclusiveStartShardId ? this.shards.findIndex((s) => s.id === input.ExclusiveStartShardId) + 1 : 0;
    const page = this.shards.slice(from, from + limit);
    return {
      StreamArn: this.arn, StreamLabel: '2026-11-30T00:00:00.000', StreamStatus: 'ENABLED', StreamViewType: 'KEYS_ONLY', TableName: this.table,
      KeySchema: [{ AttributeName: 'zone', KeyType: 'HASH' }, { AttributeName: 'item', KeyType: 'RANGE' }],
      Shards: page.map((s) => ({
        ShardId: s.id,
        ...(s.parent ? { ParentShardId: s.parent } : {}),
        SequenceNumberRange: { StartingSequenceNumber: String(s.start), ...(s.end !== undefined ? { EndingSequenceNumber: String(s.end) } : {}) },
      })),
      ...(from + limit < this.shards.length ? { LastEvaluatedShardId: page[page.length - 1].id } : {}),
    };
  }

  private iterator(input: Json): string {
    this.checkArn(input);
    const shard = this.shards.find((s) => s.id === input.ShardId);
    if (!shard) throw new StreamsError('ResourceNotFoundException', `Requested resource not found: Shard: ${String(input.ShardId)} not found`);
    const type = String(input.ShardIteratorType);
    this.iteratorRequests.push(type);
    let from: bigint;
    switch (type) {
      case 'TRIM_HORIZON': from = shard.horizon > shard.start ? shard.horizon : shard.start; break;
      case 'LATEST': from = this.seq + 1n; break;
      case 'AT_SEQUENCE_NUMBER': from = BigInt(String(input.SequenceNumber)); break;
      case 'AFTER_SEQUENCE_NUMBER': from = BigInt(String(input.SequenceNumber)) + 1n; break;
      default: throw new StreamsError('ValidationException', `bad ShardIteratorType ${type}`);
    }
    if ((type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') && from <= shard.horizon) {
      throw new StreamsError('TrimmedDataAccessException', 'The operation attempted to read past the oldest stream record in a shard.');
    }
    return this.token({ shard: shard.id, from, expired: false });
  }

  private token(state: IteratorState): string {
    const t = `arn:iterator:${randomUUID()}`;
    this.iterators.set(t, state);
    return t;
  }

  private records(input: Json): Json {
    const it = this.iterators.get(String(input.ShardIterator));
    if (!it) throw new StreamsError('ValidationException', 'Invalid ShardIterator');
    if (it.expired) throw new StreamsError('ExpiredIteratorException', 'Iterator expired. The iterator was created over 15 minutes ago.');
    const shard = this.shards.find((s) => s.id === it.shard)!;
    shard.firstRead ??= ++this.clock;
    if (it.from < shard.horizon) throw new StreamsError('TrimmedDataAccessException', 'The operation attempted to read past the oldest stream record in a shard.');
    const limit = Number(input.Limit ?? 1000);
    const out = shard.records.filter((r) => r.seq >= it.from).slice(0, limit);
    const next = out.length > 0 ? out[out.length - 1].seq + 1n : it.from;
    const ended = shard.end !== undefined && !shard.records.some((r) => r.seq >= next);
    if (ended) shard.endedRead = ++this.clock;
    return {
      Records: out.map((r) => ({
        eventID: randomUUID(), eventName: r.eventName, eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: 'us-east-1',
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
          Keys: { zone: { S: r.zone }, item: { S: r.item } },
          SequenceNumber: String(r.seq), SizeBytes: 40, StreamViewType: 'KEYS_ONLY',
        },
      })),
      ...(ended ? {} : { NextShardIterator: this.token({ shard: shard.id, from: next, expired: false }) }),
    };
  }
}
