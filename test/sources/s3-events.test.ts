import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSequencers, EventParseError, parseS3EventMessage } from '../../src/sources/s3-events.js';

/** S3's own notification (event structure version 2.1), one record. */
function s3Record(bucket: string, key: string, eventName: string, sequencer: string, eTag = 'd41d8cd98f00b204e9800998ecf8427e'): object {
  return {
    eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: '2026-11-30T16:00:00.000Z', eventName,
    s3: { s3SchemaVersion: '1.0', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key, size: 10, eTag, sequencer } },
  };
}

describe('S3 event notifications read from an SQS message body', () => {
  it('reads S3\'s own shape, with URL-encoded keys and bare ETags', () => {
    const body = JSON.stringify({ Records: [s3Record('zones', 'dns/my+zone%2B.test.toml', 'ObjectCreated:Put', '0055AED6DCD90281E5', 'abc')] });
    assert.deepEqual(parseS3EventMessage(body), {
      kind: 'events',
      events: [{ bucket: 'zones', key: 'dns/my zone+.test.toml', kind: 'created', sequencer: '0055AED6DCD90281E5', etag: '"abc"' }],
    });
  });

  it('reads removals and skips event types that change no object (tagging, restore)', () => {
    const body = JSON.stringify({ Records: [
      s3Record('zones', 'a.test.toml', 'ObjectRemoved:Delete', '01'),
      s3Record('zones', 'a.test.toml', 'ObjectTagging:Put', '02'),
    ] });
    assert.deepEqual(parseS3EventMessage(body), { kind: 'events', events: [{ bucket: 'zones', key: 'a.test.toml', kind: 'removed', sequencer: '01', etag: '' }] });
  });

  it('unwraps an SNS notification', () => {
    const inner = JSON.stringify({ Records: [s3Record('zones', 'b.test.toml', 'ObjectCreated:CompleteMultipartUpload', '0A')] });
    const body = JSON.stringify({ Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: inner });
    const parsed = parseS3EventMessage(body);
    assert.equal(parsed.kind, 'events');
    assert.equal(parsed.kind === 'events' && parsed.events[0].key, 'b.test.toml');
  });

  it('reads EventBridge\'s shape (keys not encoded)', () => {
    const body = JSON.stringify({
      version: '0', 'detail-type': 'Object Deleted', source: 'aws.s3',
      detail: { version: '0', bucket: { name: 'zones' }, object: { key: 'c+d.test.toml', sequencer: '617f08299329d189' }, reason: 'DeleteObject' },
    });
    assert.deepEqual(parseS3EventMessage(body), { kind: 'events', events: [{ bucket: 'zones', key: 'c+d.test.toml', kind: 'removed', sequencer: '617f08299329d189', etag: '' }] });
  });

  it('recognises the test event S3 sends when notifications are configured', () => {
    const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-11-30T16:00:00.000Z', Bucket: 'zones' });
    assert.deepEqual(parseS3EventMessage(body), { kind: 'test' });
    assert.deepEqual(parseS3EventMessage(JSON.stringify({ Type: 'Notification', Message: body })), { kind: 'test' });
  });

  it('refuses what is not an S3 event, saying what it found', () => {
    assert.throws(() => parseS3EventMessage('not json'), EventParseError);
    assert.throws(() => parseS3EventMessage('[1]'), /not a JSON object/);
    assert.throws(() => parseS3EventMessage('{"hello": 1}'), /not an S3 event notification/);
    assert.throws(() => parseS3EventMessage(JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put' }] })), /no s3 part/);
  });
});

describe('sequencers', () => {
  it('compare as hexadecimal after right-padding the shorter with zeros (AWS\'s rule)', () => {
    assert.ok(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6') < 0);
    assert.ok(compareSequencers('0055AED6DCD90281E6', '0055AED6DCD90281E5') > 0);
    assert.equal(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E500'), 0);
    assert.ok(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E501') < 0);
    assert.ok(compareSequencers('0056', '0055AED6DCD90281E5') > 0);
    assert.equal(compareSequencers('00ab', '00AB'), 0);
  });
});
