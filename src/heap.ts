import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * The young generation of a thread's heap, sized for the thread's work. A DNS thread allocates
 * little per query (node:dgram's message and address) and holds its zones: a large young generation
 * is memory it commits and hardly uses (bench/RESULTS.md: 32 MiB of a DNS thread's 61 were young
 * generation, 4–13 MiB of it in use). A compile thread allocates several KiB a record, nearly all
 * of it dead by the zone's end: with 48 MiB (semi-spaces of 16, the image's flag) it collects its
 * young generation 160 times in a cold start at 1M records, not 275 times as with 16, in half the
 * time (bench/RESULTS.md); it gives the memory back once idle (releaseMemory).
 */
export const YOUNG_GENERATION_MB = { compile: 48, dns: 8 } as const;

let flagCleared = false;

/**
 * Resource limits for a Worker whose young generation is `mb` MiB. V8 lets the process's
 * `--max-semi-space-size` override a Worker's own limit; the image starts Node.js with that flag
 * for the main thread's heap (README: Memory), whose size it has by now, so the flag is cleared
 * before the first Worker: from then on each thread's limit holds.
 */
export function youngGeneration(mb: number): ResourceLimits {
  if (!flagCleared) {
    // 0 is V8's "not set": the heap sizes the young generation from the limits it is given.
    setFlagsFromString('--max-semi-space-size=0');
    flagCleared = true;
  }
  return { maxYoungGenerationSizeMb: mb };
}

/** V8's `gc`, which it offers only with `--expose-gc`: that makes it a global of contexts created after it is set, so one is. */
function v8Gc(): (options?: { type: 'major'; execution: 'sync'; flavor?: 'regular' | 'last-resort' }) => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Collects the garbage of the heap of the calling thread, now. Called once the first load is done
 * and before the port is opened (no query waits for it): the load leaves every file's text and
 * every message behind it, which V8 otherwise keeps until its heap grows again or its memory
 * reducer runs, many seconds later and not always (bench/RESULTS.md: a quarter of the PSS 15 s
 * after a start, for a pause of tens of milliseconds). Node.js has no public call for this.
 */
export function collectGarbage(): void {
  v8Gc()();
}

/**
 * Collects the garbage of the calling thread's heap and gives the pages it frees back to the
 * system. Otherwise V8 keeps them pooled for the thread to reuse, and when the thread ends, for
 * another thread to reuse, freed only 8 s later (deps/v8/src/heap/page-pool.cc): after a compile
 * thread had compiled a zone of 1M records, 1 GiB of RSS that nothing used for 10 s
 * (bench/RESULTS.md). V8's last-resort collection is the one that empties the pool.
 */
export function releaseMemory(): void {
  v8Gc()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
