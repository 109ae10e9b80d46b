/**
 * Delay before the next try after `failures` failures in a row: exponential from `baseMs`, capped
 * at `capMs`, with "equal jitter" (half fixed, half random) so that many replicas that lost S3 at
 * the same moment do not all come back to it at the same moment.
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function backoffMs(failures: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
