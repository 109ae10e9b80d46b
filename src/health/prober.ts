import type { HealthProbe } from '../answer/health.js';
import type { ProbeResult } from './probe.js';

/**
 * Each interval is stretched or shrunk by up to this fraction at random, so that checks started
 * together (a zone's load) spread out instead of probing in step.
 */
const JITTER = 0.1;

/** Runs probes, at most a bounded number at a time (health/checks.ts owns the bound). */
export type ProbeRunner = (p: HealthProbe) => Promise<ProbeResult>;

/** A transition of a prober's state: the new state, and what the last probe said. */
export type Transition = (up: boolean, result: ProbeResult) => void;

/**
 * One probe target (a check's parameters and an address), probed every interval while any zone
 * uses it. Its state is "up" until the first result, which sets it; after that it turns down after
 * `fall` failures in a row and up after `rise` successes in a row (gdnsd's and HAProxy's rule).
 */
export class Prober {
  up = true;
  /** Whether a result has come yet. */
  decided = false;
  transitions = 0;
  probes = 0;
  /** Seconds the probes took, all together, and the last one. */
  probeSeconds = 0;
  lastProbeSeconds = 0;
  private streak = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;

  constructor(readonly probe: HealthProbe, private readonly run: ProbeRunner, private readonly onTransition: Transition) {}

  /** Probes now (the first round starts when the zone loads), then every interval, jittered. */
  start(): void {
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (this.stopped) return;
    const interval = this.probe.check.interval * 1000 * (1 + JITTER * (2 * Math.random() - 1));
    this.timer = setTimeout(() => this.tick(), interval);
    this.timer.unref();
    // A probe still waiting for its turn, or still running, is not doubled.
    if (!this.running) void this.once();
  }

  private async once(): Promise<void> {
    this.running = true;
    const started = performance.now();
    let result: ProbeResult;
    try {
      result = await this.run(this.probe);
    } catch (e) {
      result = { up: false, reason: (e as Error).message };
    }
    this.running = false;
    if (this.stopped) return;
    const seconds = (performance.now() - started) / 1000;
    this.probes++;
    this.probeSeconds += seconds;
    this.lastProbeSeconds = seconds;
    this.record(result);
  }

  private record(result: ProbeResult): void {
    if (!this.decided) {
      this.decided = true;
      this.streak = 0;
      if (result.up !== this.up) this.turn(result);
      return;
    }
    if (result.up === this.up) {
      this.streak = 0;
      return;
    }
    this.streak++;
    if (this.streak >= (result.up ? this.probe.check.rise : this.probe.check.fall)) this.turn(result);
  }

  private turn(result: ProbeResult): void {
    this.streak = 0;
    this.up = result.up;
    this.transitions++;
    this.onTransition(this.up, result);
  }
}
