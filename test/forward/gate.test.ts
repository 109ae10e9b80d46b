import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyGate } from '../../src/forward/gate.js';

describe('forward/gate: FORWARD_MAX_CONCURRENT', () => {
  it('lets `max` in, refuses the next, and counts across gates sharing one buffer (DNS threads)', () => {
    const shared = new SharedArrayBuffer(8);
    const [g1, g2] = [new ConcurrencyGate(2, shared, 0), new ConcurrencyGate(2, shared, 1)];
    assert.equal(g1.tryEnter(), true);
    assert.equal(g2.tryEnter(), true);
    assert.equal(g1.tryEnter(), false);
    g2.leave();
    assert.equal(g1.tryEnter(), true);
  });

  it('a thread started again in the slot of one that crashed starts from 0', () => {
    const shared = new SharedArrayBuffer(8);
    const crashed = new ConcurrencyGate(2, shared, 1);
    assert.ok(crashed.tryEnter() && crashed.tryEnter());
    assert.equal(new ConcurrencyGate(2, shared, 0).tryEnter(), false);
    const again = new ConcurrencyGate(2, shared, 1);
    assert.equal(again.tryEnter(), true);
  });
});

