import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildServer } from './child-server.js';
import { pollUntil } from './server.js';

const CHILD = new URL('./dynalite-child.js', import.meta.url).pathname;

/**
 * A real DynamoDB-protocol server (dynalite) on 127.0.0.1, in a child process so that it can be
 * stopped and started again on the same port and data, as a DynamoDB outage looks to Eclipso.
 */
export class Dynalite {
  readonly dir = mkdtempSync(join(tmpdir(), 'eclipso-dynalite-'));
  private readonly server = new ChildServer('dynalite');
  private ddb: DynamoDBClient | null = null;

  get port(): number {
    return this.server.port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The variables that point Eclipso at this server. */
  env(): Record<string, string> {
    return { AWS_ENDPOINT_URL: this.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  }

  /** Starts (or restarts, on the same port and data) and resolves once it listens. */
  async start(): Promise<void> {
    await this.server.start([CHILD, String(this.port), join(this.dir, 'db')]);
  }

  /** Kills it outright, as a crash or a network cut looks to clients. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  /** A client of this server, as the tests' own writer. */
  client(): DynamoDBClient {
    this.ddb ??= new DynamoDBClient({ endpoint: this.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    return this.ddb;
  }

  /**
   * Creates a zone table with the README's key schema and its sparse zone index (unless `zoneIndex`
   * is false; `keysOnly` makes the index without the README's projection of revision and generation).
   */
  async createZoneTable(name: string, { zoneIndex = true, keysOnly = false } = {}): Promise<void> {
    await this.client().send(new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: 'zone', AttributeType: 'S' }, { AttributeName: 'item', AttributeType: 'S' },
        ...(zoneIndex ? [{ AttributeName: 'zoneIndex', AttributeType: 'S' as const }] : []),
      ],
      KeySchema: [{ AttributeName: 'zone', KeyType: 'HASH' }, { AttributeName: 'item', KeyType: 'RANGE' }],
      ...(zoneIndex ? {
        GlobalSecondaryIndexes: [{
          IndexName: 'zone-index',
          KeySchema: [{ AttributeName: 'zoneIndex', KeyType: 'HASH' }],
          Projection: keysOnly ? { ProjectionType: 'KEYS_ONLY' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: ['revision', 'generation'] },
        }],
      } : {}),
      BillingMode: 'PAY_PER_REQUEST',
    }));
    // As with DynamoDB, a table takes writes once it is ACTIVE (dynalite: a tick after CreateTable).
    await pollUntil(async () => (await this.client().send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus === 'ACTIVE', `table ${name} to be ACTIVE`);
  }

  /** Deletes a table, and waits until it is gone (so that a table of the same name can be made). */
  async deleteTable(name: string): Promise<void> {
    await this.client().send(new DeleteTableCommand({ TableName: name }));
    await pollUntil(() => this.client().send(new DescribeTableCommand({ TableName: name })).then(() => false, (e: Error) => e.name === 'ResourceNotFoundException'), `table ${name} to be deleted`);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    this.ddb?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
