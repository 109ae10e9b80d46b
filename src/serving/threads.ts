/**
 * Multi-core (WORKERS > 1): DNS threads in this one process, each with UDP and TCP sockets of its
 * own on the one port (SO_REUSEPORT: the kernel spreads clients over them), all reading the same
 * compiled zones. A zone is compiled once, by this main thread's catalog and compile threads, as
 * with WORKERS=1 (the same files accepted, rejected, logged and counted once); its image is put in
 * SharedArrayBuffers by the compile thread (src/answer/image.ts: never written after packing, but for
 * the answer words a health check swaps, src/answer/health.ts) and posted
 * to every DNS thread (src/serving/dns-thread.ts), which serves it where it lies. So the zones take
 * their memory once, not once per worker, and nothing is compiled twice.
 *
 * This thread keeps what is not per query: the source, the ops listener, NOTIFY (sent once every
 * live DNS thread serves the new serial), /metrics (summed over the threads), the compile threads
 * (which also make each zone's transfer messages, shared like its image). A DNS thread that dies is
 * replaced, and the new one is given the current zones.
 *
 * SO_REUSEPORT needs Node.js 22.12 or later (the container image runs Node.js 24; Node.js 20 is past
 * its end of life) on a kernel that has it, probed at start (reuse-port.ts): without it, WORKERS > 1
 * serves as one thread (local.ts), with a warning saying so and what to do.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ThreadCompiler } from '../answer/compiler.js';
import type { ZoneFacts } from '../answer/zone.js';
import type { Config } from '../config.js';
import { sumForwardSnapshots } from '../counters/forward.js';
import { receivedIn, sumQuerySnapshots, type ServerSnapshot } from '../counters/snapshot.js';
import type { Logger } from '../log.js';
import { Outbox } from '../outbox.js';
import { nameKey, type Name } from '../wire/name.js';
import { YOUNG_GENERATION_MB, youngGeneration } from '../heap.js';
import { sourceLabel } from '../sources/source.js';
import { transfersOn } from '../transfer/access.js';
import type { TransferSettings } from '../transfer/settings.js';
import type { ZoneFileError } from '../zone/problem.js';
import { HealthChecks } from '../health/checks.js';
import { ZoneCatalog, type ServedVersion, type ZoneTarget, type ZoneText } from './catalog.js';
import type { ZoneContent } from '../zone/text.js';
import { Notifier } from './notifier.js';
import type { Serving } from './serving.js';
import { sharedZone, type DnsThreadData, type DnsThreadSnapshot, type FromDnsThread, type ServableZone, type ToDnsThread } from './thread-messages.js';
import { inBatches, type ZoneChange } from './zone-batch.js';

const THREAD_MAIN = new URL('./dns-thread.js', import.meta.url);
/** How long a DNS thread may take to close its sockets when stopping before it is ended. */
const STOP_TIMEOUT_MS = 5000;
const SNAPSHOT_TIMEOUT_MS = 1000;
/** A DNS thread that dies sooner than this after starting is restarted with a growing delay. */
const QUICK_DEATH_MS = 5000;
const MAX_RESTART_DELAY_MS = 5000;

/** A change posted to the DNS threads, with the file it came from (for their answer, `served`). */
interface Posted {
  change: ZoneChange;
  file: Omit<ZoneText, 'text'>;
}

interface Slot {
  index: number;
  worker: Worker | null;
  /** Messages to the worker, posted together (src/outbox.ts). */
  outbox: Outbox<ToDnsThread> | null;
  /** Told to listen (DNS threads start with the first zone, and listen once all are loaded). */
  listening: boolean;
  ready: boolean;
  everReady: boolean;
  startedAt: number;
  quickDeaths: number;
  /** Why it could not listen (port in use, no permission). */
  failure: Error | null;
  /** Why it died (an uncaught error), for the log line of its exit. */
  crash: string | undefined;
  /** The `zones` messages posted to the worker that it has yet to answer (`served`), oldest first. */
  sent: Posted[][];
}

/**
 * The catalog's target: each accepted zone's image put in shared memory and posted to every DNS
 * thread, and kept (for threads yet to start) until its zone changes or goes.
 */
class SharedTarget implements ZoneTarget {
  /** The zones served now, by file name, as posted to the DNS threads. */
  readonly zones = new Map<string, Posted>();

  constructor(private readonly broadcast: (p: Posted) => void) {}

  put(file: ZoneText, zone: ServableZone): void {
    // The image and transfer messages lie in SharedArrayBuffers (the compile threads put them
    // there): posting shares them; the difference, a few records, is copied to each thread.
    const p = { change: { put: sharedZone(zone) }, file: { origin: file.origin, fileName: file.fileName } };
    this.zones.set(file.fileName, p);
    this.broadcast(p);
  }

  drop(file: Omit<ZoneText, 'text'>, apexKey: string): void {
    this.zones.delete(file.fileName);
    this.broadcast({ change: { drop: apexKey }, file: { origin: file.origin, fileName: file.fileName } });
  }
}

export class ThreadServing implements Serving {
  private readonly slots: Slot[];
  private readonly target: SharedTarget;
  private readonly catalog: ZoneCatalog;
  private readonly compiler: ThreadCompiler;
  /** NOTIFY is sent from here, never from the DNS threads. */
  private readonly notifier: Notifier;
  /**
   * The zones' health checks run here; a state change is written into the zone's shared image,
   * where every DNS thread reads it (src/answer/health.ts): no message to the threads.
   */
  private readonly health: HealthChecks;
  /**
   * New serials whose NOTIFY waits until every live DNS thread serves them (a secondary asking a
   * thread still on the old version would think itself up to date): file name → the NOTIFY, and
   * the threads (slot indexes) yet to say `served`.
   */
  private readonly unserved = new Map<string, { serial: number; send: () => void; waiting: Set<number> }>();
  private host = '';
  private port = 0;
  private stopping = false;
  /** DNS threads were started (with the first zone, or by `listen`). */
  private started = false;
  private onSettled: ((e?: Error) => void) | null = null;
  private onFirstReady: (() => void) | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (s: DnsThreadSnapshot) => void>();
  private lastReceived = 0;
  /** Files a DNS thread could not serve since they last changed: each is counted once. */
  private readonly failedInThreads = new Set<string>();
  /** FORWARD_MAX_CONCURRENT counts queries at the upstreams per process: a counter per DNS thread, read by all (src/forward/gate.ts). */
  private readonly forwardGate: SharedArrayBuffer;
  /** This turn's changes to the zones, posted to every DNS thread together when the turn ends (or before any other message). */
  private unposted: Posted[] = [];
  private unpostedDue: NodeJS.Immediate | null = null;

  /** `cache`: where the compile threads keep compiled zones across restarts (null: nowhere). */
  constructor(private readonly config: Config, private readonly log: Logger, transfers: TransferSettings, cache: ConstructorParameters<typeof ThreadCompiler>[1]) {
    // With transfers on (or for a zone that allows transfers itself), each zone is compiled with
    // its transfer messages and, for IXFR, its difference from the version before.
    this.compiler = new ThreadCompiler(availableParallelism(), cache, { transfers: transfersOn(transfers.access), shared: true });
    this.notifier = new Notifier(transfers, log);
    this.target = new SharedTarget((p) => this.broadcast(p));
    this.forwardGate = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * config.workers);
    this.health = new HealthChecks(log);
    this.catalog = new ZoneCatalog(this.target, this.compiler, log, undefined, (zone, fileName) => this.notifyWhenServed(zone, fileName), transfers.ixfrVersions > 0, this.health);
    this.slots = Array.from({ length: config.workers }, (_, index) => ({
      index, worker: null, outbox: null, listening: false, ready: false, everReady: false, startedAt: 0, quickDeaths: 0, failure: null, crash: undefined, sent: [],
    }));
  }

  get zoneCount(): number {
    return this.catalog.zoneCount;
  }

  servedFrom(apex: Name): string | undefined {
    return this.catalog.fileOf(nameKey(apex));
  }

  /** With `answering` false while a DNS thread has yet to say it serves the new serial. */
  version(fileName: string): ServedVersion | undefined {
    const v = this.catalog.version(fileName);
    return v && this.unserved.get(fileName)?.serial === v.serial ? { ...v, answering: false } : v;
  }

  upsert(origin: string, fileName: string, text: ZoneContent, modified?: number, digest?: string): Promise<boolean> {
    this.failedInThreads.delete(fileName);
    return this.catalog.upsert(origin, fileName, text, modified, digest);
  }

  unreadable(origin: string, fileName: string, error: ZoneFileError): Promise<void> {
    this.failedInThreads.delete(fileName);
    return this.catalog.unreadable(origin, fileName, error);
  }

  remove(origin: string, fileName: string): Promise<void> {
    this.failedInThreads.delete(fileName);
    return this.catalog.remove(origin, fileName);
  }

  private notifyWhenServed(zone: ZoneFacts, fileName: string): void {
    const send = (): void => this.notifier.changed(zone);
    const waiting = new Set(this.slots.filter((s) => s.worker !== null).map((s) => s.index));
    if (waiting.size === 0) return send();
    this.unserved.set(fileName, { serial: zone.serial, send, waiting });
  }

  /**
   * A DNS thread serves `fileName` with `serial`, or will not (it could not, serial null), or serves
   * nothing any more (it exited, both null): the NOTIFYs it held back go once no other thread does.
   * Looked up by file: at start every zone waits so, and every thread says so of each.
   */
  private served(slot: number, fileName: string | null, serial: number | null): void {
    if (fileName === null) {
      for (const file of [...this.unserved.keys()]) this.servedBy(slot, file, null);
      return;
    }
    this.servedBy(slot, fileName, serial);
  }

  private servedBy(slot: number, fileName: string, serial: number | null): void {
    const u = this.unserved.get(fileName);
    if (u === undefined || (serial !== null && u.serial !== serial)) return;
    u.waiting.delete(slot);
    if (u.waiting.size > 0) return;
    this.unserved.delete(fileName);
    u.send();
  }

  /** Live DNS threads listening: when all died (and are being replaced), nothing answers. */
  get answering(): boolean {
    return this.slots.some((s) => s.ready && s.worker !== null);
  }

  /**
   * The DNS threads start with the first zone, not once all are loaded: each takes in the zones
   * while the rest load (20,000 zones posted to a thread take it most of a second,
   * bench/RESULTS.md), and listens when `listen` says so.
   */
  private broadcast(p: Posted): void {
    this.startThreads();
    if (this.unposted.push(p) === 1) this.unpostedDue = setImmediate(() => this.postZones());
  }

  /**
   * Posts the changes not posted yet to every DNS thread, each batch made once for all of them
   * (zone-batch.ts). Called before any other message goes to a thread, so that each thread takes
   * every message in the order it was made.
   */
  private postZones(): void {
    if (this.unpostedDue !== null) clearImmediate(this.unpostedDue);
    this.unpostedDue = null;
    for (const { posted, batch } of inBatches(this.unposted.splice(0), (p) => p.change)) {
      for (const s of this.slots) {
        if (s.outbox === null) continue;
        s.sent.push(posted);
        s.outbox.send({ kind: 'zones', batch });
      }
    }
  }

  /** Sends `m` to the DNS thread of `slot` after the changes to the zones made before it. */
  private send(slot: Slot, m: ToDnsThread): void {
    this.postZones();
    slot.outbox?.send(m);
  }

  private startThreads(): void {
    if (this.started) return;
    this.started = true;
    for (const s of this.slots) this.spawn(s);
  }

  /** Starts the DNS threads; resolves with the port once all listen, rejects if one cannot. */
  async listen(host: string, port: number): Promise<number> {
    this.host = host;
    this.port = port;
    this.log.info('starting DNS workers', { workers: this.slots.length, sockets: 'reusePort', threads: true });
    const settled = new Promise<void>((resolve, reject) => {
      this.onSettled = (e) => (e ? reject(e) : resolve());
    });
    this.startThreads();
    // Port 0 is resolved by the first thread before the others bind the port it got.
    const [first, ...rest] = this.slots;
    this.listenOn(first);
    if (port === 0) await Promise.race([new Promise<void>((resolve) => (this.onFirstReady = resolve)), settled]);
    for (const s of rest) this.listenOn(s);
    await settled;
    this.notifier.start();
    this.log.info('workers ready', { workers: this.slots.length, port: this.port, sockets: 'reusePort', threads: true });
    return this.port;
  }

  /**
   * Starts a DNS thread in `slot`: the zones served now are posted first; it listens when told to
   * (a thread replacing one that listened, at once).
   */
  private spawn(slot: Slot): void {
    const worker = new Worker(THREAD_MAIN, {
      workerData: { config: this.config, index: slot.index, forwardGate: this.forwardGate } satisfies DnsThreadData,
      resourceLimits: youngGeneration(YOUNG_GENERATION_MB.dns),
    });
    // The changes not posted yet go to the other threads; this one starts from the zones served now, which include them.
    this.postZones();
    const outbox = new Outbox<ToDnsThread>(worker);
    Object.assign(slot, { worker, outbox, ready: false, failure: null, crash: undefined, startedAt: Date.now(), sent: [] });
    for (const { posted, batch } of inBatches([...this.target.zones.values()], (p) => p.change)) {
      slot.sent.push(posted);
      outbox.send({ kind: 'zones', batch });
    }
    if (slot.listening) this.listenOn(slot);
    worker.on('message', (batch: FromDnsThread[]) => {
      for (const m of batch) this.onMessage(slot, worker, m);
    });
    worker.on('error', (e) => (slot.crash = e.message));
    worker.on('exit', (code) => this.onExit(slot, worker, code));
  }

  /** Tells the DNS thread of `slot` to listen on the port (once this.port is known, when it was 0). */
  private listenOn(slot: Slot): void {
    slot.listening = true;
    this.send(slot, { kind: 'listen', host: this.host, port: this.port });
  }

  private onMessage(slot: Slot, worker: Worker, m: FromDnsThread): void {
    switch (m.kind) {
      case 'ready':
        if (this.port === 0) this.port = m.port;
        slot.ready = true;
        this.onFirstReady?.();
        if (slot.everReady) this.log.info('DNS worker replaced', { worker: slot.index, thread: worker.threadId });
        slot.everReady = true;
        if (this.slots.every((s) => s.everReady)) this.onSettled?.();
        return;
      case 'failed':
        slot.failure = Object.assign(new Error(m.message), { code: m.code });
        return;
      case 'served':
        // Answers the batches posted to this worker, not to the one that replaced it.
        if (slot.worker === worker) this.servedBatch(slot, m.failed);
        return;
      case 'snapshot':
        this.waiting.get(m.id)?.(m.snapshot);
        this.waiting.delete(m.id);
        return;
    }
  }

  /** The DNS thread of `slot` serves the zones of its oldest unanswered batch, but for those `failed`. */
  private servedBatch(slot: Slot, failed: { at: number; error: string }[]): void {
    const posted = slot.sent.shift();
    if (posted === undefined) return;
    const errors = new Map(failed.map((f) => [f.at, f.error]));
    for (let at = 0; at < posted.length; at++) {
      const { change, file } = posted[at];
      if (!('put' in change)) continue;
      const error = errors.get(at);
      if (error === undefined) {
        this.served(slot.index, file.fileName, change.put.facts.serial);
        continue;
      }
      this.log.error('zone cannot be served by this DNS worker; it keeps its previous version', {
        worker: slot.index, file: file.origin, error, todo: 'this is a bug in Eclipso, please report it with the file',
      });
      this.served(slot.index, file.fileName, null);
      if (this.failedInThreads.has(file.fileName)) continue;
      this.failedInThreads.add(file.fileName);
      this.catalog.stats.rejected++;
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    Object.assign(slot, { worker: null, outbox: null, ready: false, sent: [] });
    this.served(slot.index, null, null);
    if (this.stopping) return;
    if (slot.listening && !slot.everReady) {
      // Start-up failure (port in use, no permission): report it as a single thread would.
      this.stopping = true;
      for (const s of this.slots) void s.worker?.terminate();
      this.onSettled?.(slot.failure ?? new Error(`DNS worker ${slot.index} exited (code ${code}${slot.crash ? `: ${slot.crash}` : ''}) before it was ready`));
      return;
    }
    slot.quickDeaths = Date.now() - slot.startedAt < QUICK_DEATH_MS ? slot.quickDeaths + 1 : 0;
    const delay = slot.quickDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** slot.quickDeaths);
    this.log.error('DNS worker exited; starting a new one', { worker: slot.index, thread: worker.threadId, code, error: slot.crash, delayMs: delay });
    setTimeout(() => this.stopping || this.spawn(slot), delay);
  }

  /** Every listening thread's numbers, summed; zones and records from one thread; reloads counted here. */
  async snapshot(): Promise<Omit<ServerSnapshot, 'sourceStats'>> {
    const ask = (slot: Slot): Promise<DnsThreadSnapshot | null> => new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => (this.waiting.delete(id), resolve(null)), SNAPSHOT_TIMEOUT_MS);
      this.waiting.set(id, (snap) => (clearTimeout(timer), resolve(snap)));
      this.send(slot, { kind: 'snapshot', id });
    });
    const live = this.slots.filter((s) => s.ready && s.outbox !== null);
    const parts = (await Promise.all(live.map(ask))).filter((p): p is DnsThreadSnapshot => p !== null);
    const queries = sumQuerySnapshots(parts.map((p) => p.queries));
    this.lastReceived = receivedIn(queries);
    const one = parts[0];
    return {
      queries,
      zones: one?.zones ?? 0,
      records: one?.records ?? 0,
      source: sourceLabel(this.config.zoneDir),
      reload: { ...this.catalog.stats },
      logDroppedLines: this.log.droppedQueryLines + parts.reduce((n, p) => n + p.logDroppedLines, 0),
      notify: [...this.notifier.counts],
      forward: sumForwardSnapshots(parts.flatMap((p) => (p.forward ? [p.forward] : []))),
      health: this.health.rows(),
    };
  }

  /** Queries received by all DNS threads as of the last snapshot; starts a fresh one. */
  received(): number {
    void this.snapshot();
    return this.lastReceived;
  }

  /** Stops every DNS thread (each closes its sockets; TCP connections finish their answers), then the compile threads. */
  settleCache(): Promise<number> {
    return this.compiler.settleCache(Date.now());
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.notifier.close();
    this.health.close();
    await Promise.all(this.slots.filter((s) => s.worker !== null).map((slot) => new Promise<void>((resolve) => {
      const w = slot.worker!;
      const timer = setTimeout(() => void w.terminate(), STOP_TIMEOUT_MS);
      w.once('exit', () => (clearTimeout(timer), resolve()));
      this.send(slot, { kind: 'stop' });
    })));
    await this.compiler.close();
  }
}
