import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { ConfigError } from '../../src/config.js';
import { itemsToZoneText, parseDynamoUrl, zoneToItems } from '../../src/sources/dynamodb-items.js';

const EXAMPLE = readFileSync(new URL('../../../zones/example.com.toml', import.meta.url), 'utf8');

describe('a zone file as DynamoDB items', () => {
  it('keeps the zone-level tables in the zone item and each record in an item of its own, with the files\' field names', () => {
    const { top, records } = zoneToItems('example.com', EXAMPLE, 'g1');
    assert.deepEqual(Object.keys(top).sort(), ['defaults', 'domain', 'version']);
    assert.equal(top.domain.M?.domain.S, 'example.com');
    assert.equal(top.defaults.M?.ttl.N, '3600');
    assert.ok(records.length > 5);
    assert.deepEqual(records[0], { zone: { S: 'example.com' }, item: { S: 'r#g1#000000000' }, domain: { S: '@' }, type: { S: 'NS' }, address: { S: 'ns1.example.com.' } });
    assert.equal(records[10].item.S, 'r#g1#000000010', 'sort keys keep the file\'s order');
  });

  it('gives back the same zone (fields, values, record order); comments are not kept', () => {
    const { top, records } = zoneToItems('example.com', EXAMPLE, 'g1');
    const text = itemsToZoneText({ zone: { S: 'example.com' }, item: { S: '#zone' }, zoneIndex: { S: 'example.com' }, revision: { N: '3' }, generation: { S: 'g1' }, ...top }, records);
    assert.deepEqual(parse(text), parse(EXAMPLE));
    assert.match(text, /^version = 1\n/);
  });

  it('refuses text that is not TOML, and fields that collide with the table\'s own names', () => {
    assert.throws(() => zoneToItems('a.test', 'version = ', 'g'), /not TOML/);
    assert.throws(() => zoneToItems('a.test', 'revision = 2\n', 'g'), /top-level field "revision"/);
    assert.throws(() => zoneToItems('a.test', 'zoneIndex = "b.test"\n', 'g'), /top-level field "zoneIndex"/);
    assert.throws(() => zoneToItems('a.test', '[[records]]\nzone = "x"\n', 'g'), /record 1: the field "zone"/);
  });
});

describe('ZONE_DIR=dynamodb://…', () => {
  it('names a table', () => {
    assert.equal(parseDynamoUrl('dynamodb://eclipso-zones'), 'eclipso-zones');
    assert.equal(parseDynamoUrl('dynamodb://Zones_1.prod/'), 'Zones_1.prod');
    assert.throws(() => parseDynamoUrl('dynamodb://ab'), ConfigError);
    assert.throws(() => parseDynamoUrl('dynamodb://a/b/c'), /not a DynamoDB table name/);
  });
});
