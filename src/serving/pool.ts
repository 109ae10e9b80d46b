/**
 * Multi-core: WORKERS processes answering on one port (WORKERS=1 stays a single process, no
 * cluster: local.ts). The primary runs the zone source (folder watch or S3 poller) and the same
 * catalog as a single process, so both accept, reject, log and count every file alike; each
 * accepted file is forwarded to every worker over IPC, and each worker compiles and serves on
 * its own (worker.ts). A worker that dies is replaced, and the new one gets the current files.
 * Sockets: SO_REUSEPORT (one per worker) where Node.js has it (22.12+), probed at start; the
 * cluster module's shared handle otherwise.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { CompiledFile } from '../answer/compile-file.js';
import { ThreadCompiler } from '../answer/compiler.js';
import { createSocket, type SocketOptions } from 'node:dgram';
import { createServer, isIPv6, type ListenOptions } from 'node:net';
import type { Config } from '../config.js';
import { receivedIn, sumQuerySnapshots, type ServerSnapshot } from '../counters/snapshot.js';
import type { Logger } from '../log.js';
import type { TransferSettings } from '../transfer/settings.js';
import type { ShareMode } from '../server/share.js';
import { sourceLabel } from '../sources/source.js';
import type { ZoneFileError } from '../zone/problem.js';
import { ZoneCatalog, type ZoneTarget, type ZoneText } from './catalog.js';
import { isEclipsoMessage, type FromWorker, type ToWorker, type WorkerSnapshot } from './ipc.js';
import type { ZoneFacts } from '../answer/zone.js';
import { compiledCache } from './local.js';
import { Notifier } from './notifier.js';
import type { Serving } from './serving.js';

const STOP_TIMEOUT_MS = 5000;
const SNAPSHOT_TIMEOUT_MS = 1000;
/** A worker that dies sooner than this after starting is restarted with a growing delay. */
const QUICK_DEATH_MS = 5000;
const MAX_RESTART_DELAY_MS = 5000;

interface Slot {
  index: number;
  worker: Worker | null;
  /** Has been sent the zone files: later changes are forwarded to it. */
  synced: boolean;
  ready: boolean;
  everReady: boolean;
  startedAt: number;
  quickDeaths: number;
  failure: Error | null;
}

/** The primary's catalog target: accepted files are kept (for workers yet to start) and forwarded. */
class ForwardTarget implements ZoneTarget {
  /** Last accepted text per zone file: what a new worker is started with. */
  readonly files = new Map<string, ZoneText>();

  constructor(private readonly broadcast: (m: ToWorker) => void) {}

  put(file: ZoneText, zone: Extract<CompiledFile, { kind: 'zone' }>): void {
    // The serial decided here is the one every worker serves.
    const served = { ...file, serial: zone.facts.serial };
    this.files.set(file.fileName, served);
    this.broadcast({ eclipso: 'upsert', ...served });
  }

  drop(file: Omit<ZoneText, 'text'>): void {
    this.files.delete(file.fileName);
    this.broadcast({ eclipso: 'remove', origin: file.origin, fileName: file.fileName });
  }
}

export class PoolServing implements Serving {
  private readonly slots: Slot[];
  private readonly target = new ForwardTarget((m) => this.broadcast(m));
  private readonly catalog: ZoneCatalog;
  /** NOTIFY is sent from here, the primary, never from the workers. */
  private readonly notifier: Notifier;
  /**
   * New serials whose NOTIFY waits until every live worker serves them (a secondary asking a
   * worker still on the old version would think itself up to date): file name → the NOTIFY, and
   * the workers (slot indexes) yet to say `served`.
   */
  private readonly unserved = new Map<string, { serial: number; send: () => void; waiting: Set<number> }>();
  /** Compiles each file once here, to accept or reject it as one process would (the image is dropped). */
  private readonly compiler: ThreadCompiler;
  private host = '';
  private port = 0;
  private share: ShareMode = 'cluster';
  private stopping = false;
  private onSettled: ((e?: Error) => void) | null = null;
  private onFirstReady: (() => void) | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (s: WorkerSnapshot) => void>();
  private lastReceived = 0;
  /** Files a worker could not serve since they last changed: each is counted once. */
  private readonly failedInWorkers = new Set<string>();

  constructor(private readonly config: Config, private readonly log: Logger, transfers: TransferSettings) {
    this.compiler = new ThreadCompiler(availableParallelism(), compiledCache(config, log));
    this.notifier = new Notifier(transfers, log);
    this.catalog = new ZoneCatalog(this.target, this.compiler, log, false, undefined, (zone, fileName) => this.notifyWhenServed(zone, fileName));
    this.slots = Array.from({ length: config.workers }, (_, index) => ({
      index, worker: null, synced: false, ready: false, everReady: false, startedAt: 0, quickDeaths: 0, failure: null,
    }));
  }

  get zoneCount(): number {
    return this.catalog.zoneCount;
  }

  upsert(origin: string, fileName: string, text: string, modified?: number): Promise<boolean> {
    this.failedInWorkers.delete(fileName);
    return this.catalog.upsert(origin, fileName, text, modified);
  }

  unreadable(origin: string, fileName: string, error: ZoneFileError): Promise<void> {
    this.failedInWorkers.delete(fileName);
    return this.catalog.unreadable(origin, fileName, error);
  }

  remove(origin: string, fileName: string): Promise<void> {
    this.failedInWorkers.delete(fileName);
    return this.catalog.remove(origin, fileName);
  }

  private notifyWhenServed(zone: ZoneFacts, fileName: string): void {
    const send = (): void => this.notifier.changed(zone);
    const waiting = new Set(this.slots.filter((s) => s.synced && s.worker?.isConnected()).map((s) => s.index));
    if (waiting.size === 0) return send();
    this.unserved.set(fileName, { serial: zone.serial, send, waiting });
  }

  /**
   * A worker serves `fileName` with `serial`, or will not (it could not, serial null), or serves
   * nothing any more (it exited, both null): the NOTIFYs it held back go once no other worker does.
   */
  private served(slot: number, fileName: string | null, serial: number | null): void {
    for (const [file, u] of this.unserved) {
      if (fileName !== null && (file !== fileName || (serial !== null && u.serial !== serial))) continue;
      u.waiting.delete(slot);
      if (u.waiting.size > 0) continue;
      this.unserved.delete(file);
      u.send();
    }
  }

  /** Live workers listening: a pool whose workers all died (and are being replaced) answers nothing. */
  get answering(): boolean {
    return this.slots.some((s) => s.ready && s.worker !== null && s.worker.isConnected());
  }

  private broadcast(m: ToWorker): void {
    for (const s of this.slots) if (s.synced && s.worker?.isConnected()) s.worker.send(m);
  }

  /** Starts the workers; resolves with the port once all are ready, rejects if one cannot start. */
  async listen(host: string, port: number): Promise<number> {
    this.host = host;
    this.port = port;
    this.share = (await reusePortWorks(host)) ? 'reusePort' : 'cluster';
    this.log.info('starting DNS workers', { workers: this.slots.length, sockets: this.share });
    const settled = new Promise<void>((resolve, reject) => {
      this.onSettled = (e) => (e ? reject(e) : resolve());
    });
    // With SO_REUSEPORT, port 0 must be resolved by one worker before the others bind it.
    const [first, ...rest] = this.slots;
    this.fork(first);
    if (this.share === 'reusePort' && port === 0) {
      await Promise.race([new Promise<void>((resolve) => (this.onFirstReady = resolve)), settled]);
    }
    for (const s of rest) this.fork(s);
    await settled;
    this.notifier.start();
    this.log.info('workers ready', { workers: this.slots.length, port: this.port, sockets: this.share });
    return this.port;
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork();
    Object.assign(slot, { worker, synced: false, ready: false, failure: null, startedAt: Date.now() });
    worker.on('message', (m: unknown) => isEclipsoMessage(m) && this.onMessage(slot, worker, m as FromWorker));
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
  }

  private onMessage(slot: Slot, worker: Worker, m: FromWorker): void {
    switch (m.eclipso) {
      case 'hello':
        // In cluster mode the configured port is the shared handle's key (port 0 included);
        // with SO_REUSEPORT a new worker must bind the port the first one got.
        worker.send({
          eclipso: 'start', host: this.host, share: this.share,
          port: this.share === 'reusePort' ? this.port : this.config.port, files: [...this.target.files.values()],
        } satisfies ToWorker);
        slot.synced = true;
        return;
      case 'ready':
        if (this.port === 0) this.port = m.port;
        slot.ready = true;
        this.onFirstReady?.();
        if (slot.everReady) this.log.info('DNS worker replaced', { worker: slot.index, pid: worker.process.pid });
        slot.everReady = true;
        if (this.slots.every((s) => s.everReady)) this.onSettled?.();
        return;
      case 'failed':
        slot.failure = Object.assign(new Error(m.message), { code: m.code });
        return;
      case 'served':
        this.served(slot.index, m.fileName, m.serial);
        return;
      case 'rejected':
        this.served(slot.index, m.fileName, null);
        if (!this.failedInWorkers.has(m.fileName)) {
          this.failedInWorkers.add(m.fileName);
          this.catalog.stats.rejected++;
        }
        return;
      case 'snapshot':
        this.waiting.get(m.id)?.(m.snapshot);
        this.waiting.delete(m.id);
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    Object.assign(slot, { worker: null, synced: false, ready: false });
    this.served(slot.index, null, null);
    if (this.stopping) return;
    if (!slot.everReady) {
      // Start-up failure (port in use, no permission): report it as a single process would.
      this.stopping = true;
      for (const s of this.slots) s.worker?.kill();
      this.onSettled?.(slot.failure ?? new Error(`DNS worker ${slot.index} exited (code ${code}, signal ${signal}) before it was ready`));
      return;
    }
    slot.quickDeaths = Date.now() - slot.startedAt < QUICK_DEATH_MS ? slot.quickDeaths + 1 : 0;
    const delay = slot.quickDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** slot.quickDeaths);
    this.log.error('DNS worker exited; starting a new one', { worker: slot.index, pid: worker.process.pid, code: code ?? undefined, signal: signal ?? undefined, delayMs: delay });
    setTimeout(() => this.stopping || this.fork(slot), delay);
  }

  /** Every ready worker's numbers, summed; zones and records from one worker; reloads counted here. */
  async snapshot(): Promise<Omit<ServerSnapshot, 'sourceStats'>> {
    const ask = (s: Slot): Promise<WorkerSnapshot | null> => new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => (this.waiting.delete(id), resolve(null)), SNAPSHOT_TIMEOUT_MS);
      this.waiting.set(id, (snap) => (clearTimeout(timer), resolve(snap)));
      s.worker!.send({ eclipso: 'snapshot', id } satisfies ToWorker);
    });
    const parts = (await Promise.all(this.slots.filter((s) => s.ready && s.worker?.isConnected()).map(ask)))
      .filter((p): p is WorkerSnapshot => p !== null);
    const queries = sumQuerySnapshots(parts.map((p) => p.queries));
    this.lastReceived = receivedIn(queries);
    const one = parts[0];
    return {
      queries,
      zones: one?.zones ?? 0,
      records: one?.records ?? 0,
      source: sourceLabel(this.config.zoneDir),
      reload: { ...this.catalog.stats },
      logDroppedLines: parts.reduce((n, p) => n + p.logDroppedLines, 0),
      notify: [...this.notifier.counts],
    };
  }

  /** Queries received by all workers as of the last snapshot; starts a fresh one. */
  received(): number {
    void this.snapshot();
    return this.lastReceived;
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.notifier.close();
    await this.compiler.close();
    await Promise.all(this.slots.map((s) => s.worker).filter((w): w is Worker => w !== null).map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      const timer = setTimeout(() => w.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
      w.once('exit', () => (clearTimeout(timer), resolve()));
      if (w.isConnected()) w.send({ eclipso: 'stop' } satisfies ToWorker);
      else w.process.kill('SIGTERM');
    })));
  }
}

/**
 * Whether two sockets can bind one port with SO_REUSEPORT, UDP and TCP: Node.js 22.12+ on a
 * kernel that has it. Older Node.js ignores the option, so the second bind fails.
 */
async function reusePortWorks(host: string): Promise<boolean> {
  const type = isIPv6(host) ? 'udp6' : 'udp4';
  const udp = [0, 1].map(() => createSocket({ type, reusePort: true } as SocketOptions));
  const tcp = [0, 1].map(() => createServer());
  const bindUdp = (i: number, port: number): Promise<number> => new Promise((resolve, reject) => {
    udp[i].once('error', reject);
    udp[i].bind({ address: host, port, exclusive: true }, () => resolve(udp[i].address().port));
  });
  const listenTcp = (i: number, port: number): Promise<void> => new Promise((resolve, reject) => {
    tcp[i].once('error', reject);
    tcp[i].listen({ host, port, exclusive: true, reusePort: true } as ListenOptions, () => resolve());
  });
  try {
    const port = await bindUdp(0, 0);
    await bindUdp(1, port);
    await listenTcp(0, port);
    await listenTcp(1, port);
    return true;
  } catch {
    return false;
  } finally {
    for (const s of udp) s.close(() => {});
    for (const s of tcp) if (s.listening) s.close();
  }
}
