import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { collectGarbage, YOUNG_GENERATION_MB } from '../src/heap.js';

const HEAP = new URL('../src/heap.js', import.meta.url).href;

/**
 * Starts Node.js as the image does (`--max-semi-space-size=16`), starts a Worker with
 * `youngGeneration(mb)` (or, with `mb` null, with no limits of its own) that allocates a few
 * hundred MiB of short-lived objects, and says how large its young generation became (MiB committed).
 */
async function workerYoungGeneration(mb: number | null): Promise<number> {
  const script = `
    import { Worker } from 'node:worker_threads';
    import { youngGeneration } from ${JSON.stringify(HEAP)};
    const code = \`
      import { parentPort } from 'node:worker_threads';
      import v8 from 'node:v8';
      let kept = [];
      for (let i = 0; i < 3e6; i++) { const o = { i, a: [i], s: 'x' + i }; if (i % 1000 === 0) kept.push(o); }
      parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size + kept.length * 0);
    \`;
    const w = new Worker(code, { eval: true, ${mb === null ? '' : `resourceLimits: youngGeneration(${mb})`} });
    w.once('message', (size) => { console.log(size); w.terminate(); });
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--max-semi-space-size=16', '--input-type=module', '-e', script], { timeout: 60_000 });
  return Number(stdout.trim()) / 2 ** 20;
}

describe("each thread's heap", () => {
  it('a Worker given a young generation keeps to it, though Node.js was started with --max-semi-space-size', async () => {
    const dns = await workerYoungGeneration(YOUNG_GENERATION_MB.dns);
    assert.ok(dns <= YOUNG_GENERATION_MB.dns, `a DNS thread's young generation is ${dns} MiB, above the ${YOUNG_GENERATION_MB.dns} MiB it was given`);
    // Without the limits, the flag's 16 MiB semi-spaces: what a DNS thread committed before.
    const flag = await workerYoungGeneration(null);
    assert.ok(flag > YOUNG_GENERATION_MB.dns, `without its own limit the Worker's young generation is ${flag} MiB, no more than ${YOUNG_GENERATION_MB.dns}: the test shows nothing`);
  });

  it('collects what the load left behind at once, not when V8 next gets round to it', () => {
    // Objects that outlive the young generation, as a load's texts and messages do, then dropped.
    let load: { text: string }[] | null = Array.from({ length: 200_000 }, (_, i) => ({ text: `zone ${i} `.repeat(10) }));
    const held = getHeapStatistics().used_heap_size;
    load = null;
    collectGarbage();
    const after = getHeapStatistics().used_heap_size;
    assert.equal(load, null);
    assert.ok(after < held - 20 * 2 ** 20, `the heap used ${(held / 2 ** 20).toFixed(1)} MiB with the load and ${(after / 2 ** 20).toFixed(1)} MiB after collecting: its garbage was not collected`);
  });

  // Node.js 20 (past its end of life, not supported: README) gives back less either way.
  const before22 = Number(process.versions.node.split('.')[0]) < 22;
  it('gives the pages of what a compile left back to the system, which a plain collection keeps pooled', { skip: before22 && 'Node.js 20' }, async () => {
    // In a process of its own: its RSS is the test's alone. A compile's work: objects that live until it ends.
    const script = `
      import { collectGarbage, releaseMemory } from ${JSON.stringify(HEAP)};
      const rss = () => process.memoryUsage().rss;
      const base = rss();
      let compiled = Array.from({ length: 2e6 }, (_, i) => ({ i, name: 'host-' + i }));
      const held = rss();
      compiled = null;
      collectGarbage();
      const collected = rss();
      releaseMemory();
      console.log(JSON.stringify({ base, held, collected, released: rss() }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--max-semi-space-size=16', '--input-type=module', '-e', script], { timeout: 60_000 });
    const { base, held, collected, released } = JSON.parse(stdout) as Record<string, number>;
    const mib = (n: number): string => `${((n - base) / 2 ** 20).toFixed(0)} MiB`;
    const added = held - base;
    assert.ok(collected - base > added / 2, `a plain collection kept ${mib(collected)} of the ${mib(held)} the work added: the test shows nothing`);
    assert.ok(released - base < added / 4, `after releaseMemory the process still holds ${mib(released)} of the ${mib(held)} the work added`);
  });
});
