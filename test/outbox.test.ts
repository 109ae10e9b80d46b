import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Outbox } from '../src/outbox.js';

/** The batches `port` receives, each as it arrived. */
function received(port: MessagePort): unknown[][] {
  const batches: unknown[][] = [];
  port.on('message', (b: unknown[]) => batches.push(b));
  return batches;
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited 30 s for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('messages to another thread, in batches', () => {
  it('posts the messages of one turn as one array, in order; a later turn as another', async () => {
    const { port1, port2 } = new MessageChannel();
    const batches = received(port2);
    try {
      const outbox = new Outbox<number>(port1);
      // Sent from promise steps too, as a catalog applies compiled zones: still one turn.
      outbox.send(1);
      await Promise.resolve();
      outbox.send(2);
      await Promise.resolve().then(() => outbox.send(3));
      await new Promise(setImmediate);
      outbox.send(4);
      await until(() => batches.flat().length === 4, 'four messages');
      assert.deepEqual(batches, [[1, 2, 3], [4]]);
    } finally {
      port1.close();
    }
  });

  it('flush() posts at once (before a thread exits)', async () => {
    const { port1, port2 } = new MessageChannel();
    const batches = received(port2);
    try {
      const outbox = new Outbox<string>(port1);
      outbox.send('failed');
      outbox.flush();
      outbox.flush();
      await until(() => batches.length === 1, 'the flushed batch');
      await new Promise(setImmediate);
      assert.deepEqual(batches, [['failed']], 'posted once, and no empty batch after it');
    } finally {
      port1.close();
    }
  });
});
