import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerCache } from '../../src/forward/cache.js';
import type { cacheable } from '../../src/forward/message.js';

describe('forward/cache: LRU, bounded, entries expire with their TTL', () => {
  const shape = (ttl: number): NonNullable<ReturnType<typeof cacheable>> => ({ ttl, ttlAt: [], optAt: 0 });

  it('gives an entry with its age in whole seconds until its TTL has passed', () => {
    let now = 0;
    const c = new AnswerCache(10, () => now);
    c.put('k', Buffer.from('x'), shape(5));
    now = 4999;
    assert.equal(c.get('k')!.age, 4);
    now = 5000;
    assert.equal(c.get('k'), null);
    assert.equal(c.size, 0);
  });

  it('keeps `capacity` entries, pushing out the least recently used; 0 keeps none', () => {
    const c = new AnswerCache(2);
    c.put('a', Buffer.from('a'), shape(60));
    c.put('b', Buffer.from('b'), shape(60));
    assert.ok(c.get('a'));
    c.put('c', Buffer.from('c'), shape(60));
    assert.equal(c.get('b'), null);
    assert.ok(c.get('a') && c.get('c'));
    const off = new AnswerCache(0);
    off.put('a', Buffer.from('a'), shape(60));
    assert.equal(off.size, 0);
  });
});

