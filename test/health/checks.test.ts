import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthPlan, HealthProbe } from '../../src/answer/health.js';
import { HealthChecks } from '../../src/health/checks.js';
import type { ProbeResult } from '../../src/health/probe.js';
import { Logger } from '../../src/log.js';
import type { HealthCheck } from '../../src/zone/model.js';
import { pollUntil } from '../helpers/server.js';

const CHECK: HealthCheck = { name: 'web', type: 'tcp', port: 80, path: '/', interval: 0.1, timeout: 0.1, rise: 2, fall: 3, fail: 'open' };

/** Probe results by address, as the test scripts them (the last one repeats), and the probes made. */
class Script {
  readonly made = new Map<string, number>();
  private readonly results = new Map<string, boolean[]>();

  set(address: string, ...ups: boolean[]): void {
    this.results.set(address, ups);
  }

  readonly run = async (p: HealthProbe): Promise<ProbeResult> => {
    this.made.set(p.address, (this.made.get(p.address) ?? 0) + 1);
    const list = this.results.get(p.address) ?? [true];
    const up = list.length > 1 ? list.shift()! : list[0];
    return up ? { up } : { up, reason: 'scripted' };
  };
}

/** A plan with one site swapping int 0 between answer 10 (up) and 11 (down) of one probe. */
function plan(address: string, check = CHECK): HealthPlan {
  return { probes: [{ check, address }], sites: [{ at: 0, probes: [0], answers: [10, 11] }] };
}

/** A logger keeping its lines, each with `when()` as it was logged. */
function logged(when: () => number = () => 0): { log: Logger; lines: { msg: string; target?: string; when: number }[] } {
  const lines: { msg: string; target?: string; when: number }[] = [];
  return { lines, log: new Logger('json', true, (s) => { for (const l of s.split('\n')) if (l) lines.push({ ...JSON.parse(l), when: when() }); }) };
}

describe('health checks: probers and their zones', () => {
  it('is up until the first result, which decides; then down after `fall` failures in a row, up after `rise` successes', async () => {
    const script = new Script();
    // First result up; two failures (fall is 3: no change), a success, three failures: down; one success, two: up.
    script.set('192.0.2.1', true, false, false, true, false, false, false, true, true);
    // Each transition is logged with the probes made by then.
    const { log, lines } = logged(() => script.made.get('192.0.2.1') ?? 0);
    const checks = new HealthChecks(log, script.run);
    const ints = Int32Array.of(-1);
    const a = checks.prepare('example.com.', plan('192.0.2.1'), ints);
    assert.equal(ints[0], 10, 'up before any result');
    checks.commit('k', a);
    await pollUntil(() => lines.some((l) => l.msg === 'health check up'), 'the check to go down and come back');
    assert.deepEqual(lines.map((l) => [l.msg, l.when]), [['health check down', 7], ['health check up', 9]],
      'down at the third failure in a row, up at the second success in a row');
    assert.equal(ints[0], 10);
    checks.close();
  });

  it('a first result of down takes the record out at once', async () => {
    const script = new Script();
    script.set('192.0.2.2', false);
    const { log, lines } = logged(() => script.made.get('192.0.2.2') ?? 0);
    const checks = new HealthChecks(log, script.run);
    const ints = Int32Array.of(-1);
    checks.commit('k', checks.prepare('example.com.', plan('192.0.2.2'), ints));
    await pollUntil(() => ints[0] === 11, 'the first failure to take the answer down');
    assert.deepEqual(lines.map((l) => [l.msg, l.when]), [['health check down', 1]], 'at the first probe, though fall is 3');
    checks.close();
  });

  it('shares one prober between zones and versions that probe alike, and stops it with the last one', async () => {
    const script = new Script();
    const checks = new HealthChecks(logged().log, script.run);
    const one = checks.prepare('a.example.', plan('192.0.2.3'), Int32Array.of(-1));
    checks.commit('a', one);
    // Another name, another fail mode: the same probe.
    const two = checks.prepare('b.example.', plan('192.0.2.3', { ...CHECK, name: 'other', fail: 'closed' }), Int32Array.of(-1));
    checks.commit('b', two);
    assert.equal(checks.size, 1);
    // A new version of zone a: the prober goes on (the state is kept), the old version lets go.
    checks.commit('a', checks.prepare('a.example.', plan('192.0.2.3'), Int32Array.of(-1)));
    assert.equal(checks.size, 1);
    // Another interval is another probe.
    checks.commit('c', checks.prepare('c.example.', plan('192.0.2.3', { ...CHECK, interval: 0.2 }), Int32Array.of(-1)));
    assert.equal(checks.size, 2);
    checks.commit('a', null);
    checks.commit('c', null);
    assert.equal(checks.size, 1, 'zone b still probes');
    checks.commit('b', null);
    assert.equal(checks.size, 0);
    const made = script.made.get('192.0.2.3');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(script.made.get('192.0.2.3'), made, 'no probe after the last zone let go');
    checks.close();
  });

  it('runs a bounded number of probes at once', async () => {
    let running = 0;
    let most = 0;
    const slow = async (): Promise<ProbeResult> => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return { up: true };
    };
    let made = 0;
    const checks = new HealthChecks(logged().log, async () => (made++, slow()), 3);
    for (let i = 0; i < 10; i++) checks.commit(`z${i}`, checks.prepare(`z${i}.example.`, plan(`192.0.2.${10 + i}`), Int32Array.of(-1)));
    await pollUntil(() => made >= 10, 'every first probe');
    checks.close();
    assert.equal(most, 3);
  });
});
