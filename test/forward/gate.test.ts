import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyGate } from '../../src/forward/gate.js';

describe('forward/gate: FORWARD_MAX_CONCURRENT', () => {
  it('lets `max` in, refuses the next, and counts across gates sharing one buffer (DNS threads)', () => {
    const shared = new SharedArrayBuffer(4);
    const [g1, g2] = [new ConcurrencyGate(2, shared), new ConcurrencyGate(2, shared)];
    assert.equal(g1.tryEnter(), true);
    assert.equal(g2.tryEnter(), true);
    assert.equal(g1.tryEnter(), false);
    g2.leave();
    assert.equal(g1.tryEnter(), true);
  });
});

