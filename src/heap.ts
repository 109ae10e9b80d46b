import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * The young generation of a thread's heap, sized for the thread's work. A DNS thread allocates
 * little per query (node:dgram's message and address) and holds its zones: a large young generation
 * is memory it commits and hardly uses (bench/RESULTS.md: 32 MiB of a DNS thread's 61 were young
 * generation, 4–13 MiB of it in use). A compile thread's garbage dies young whatever the size: a
 * cold start at 1M records is as fast with 16 MiB as with 48 (the image's semi-spaces of 16 MiB)
 * and holds 40 MiB less until the threads end.
 */
export const YOUNG_GENERATION_MB = { compile: 16, dns: 8 } as const;

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

/**
 * Collects the garbage of the heap of the calling thread, now. Called once the first load is done
 * and before the port is opened (no query waits for it): the load leaves every file's text and
 * every message behind it, which V8 otherwise keeps until its heap grows again or its memory
 * reducer runs, many seconds later and not always (bench/RESULTS.md: a quarter of the PSS 15 s
 * after a start, for a pause of tens of milliseconds). V8 offers it only with `--expose-gc`, which
 * makes `gc` a global of contexts created after it is set; one is created for it.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
