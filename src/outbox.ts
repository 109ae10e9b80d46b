/**
 * Messages to another thread, posted together: those sent in one turn of the event loop go as one
 * array, in order. A message costs about the same however little it carries, and a start hands
 * over tens of thousands of zones (to the compile threads, back, and to every DNS thread): posted
 * one at a time, those messages were most of the work of the thread that hands them over
 * (bench/RESULTS.md).
 */
export class Outbox<T> {
  private queued: T[] = [];
  private due: NodeJS.Immediate | null = null;

  constructor(private readonly port: { postMessage(batch: T[], transfer?: readonly ArrayBuffer[]): void }) {}

  /**
   * Queues `m`; it is posted with the rest of this turn's when the turn ends (not at the end of
   * the current task: a batch of compiled zones is applied one promise step after another).
   */
  send(m: T): void {
    if (this.queued.push(m) === 1) this.due = setImmediate(() => this.flush());
  }

  /** Posts what is queued now (before a thread exits, say). */
  flush(): void {
    if (this.due !== null) clearImmediate(this.due);
    this.due = null;
    if (this.queued.length > 0) this.port.postMessage(this.queued.splice(0));
  }
}
