import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Logger } from '../src/log.js';
import { WAIT_MS } from './helpers/server.js';

const LOG = new URL('../src/log.js', import.meta.url).pathname;

/** A logger whose writes are kept, each write as one string. */
function kept(batched: boolean): { log: Logger; writes: string[] } {
  const writes: string[] = [];
  return { log: new Logger('json', false, (s) => writes.push(s), () => 0, batched), writes };
}

const msgs = (s: string): string[] => s.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
const nextTurn = (): Promise<void> => new Promise(setImmediate);

describe('log lines', () => {
  it('unbatched (tools, tests): each line is written when it is logged', () => {
    const { log, writes } = kept(false);
    log.info('one');
    log.warn('two');
    assert.deepEqual(writes.map(msgs), [['one'], ['two']]);
  });

  it("batched (the server's): the lines of one turn go out in one write, in order, when the turn ends", async () => {
    const { log, writes } = kept(true);
    log.query({ name: 'q1' });
    log.info('one');
    log.query({ name: 'q2' });
    log.warn('two');
    assert.deepEqual(writes, [], 'nothing written within the turn');
    await nextTurn();
    assert.deepEqual(writes.map(msgs), [['query', 'one', 'query', 'two']], 'one write: the queued query line before the line logged after it');
    log.error('three');
    log.flush();
    assert.deepEqual(writes.map(msgs).at(-1), ['three'], 'flush() writes at once');
  });

  it('batched: a turn that logs a lot writes as it goes, not all at its end', () => {
    const { log, writes } = kept(true);
    for (let i = 0; i < 2000; i++) log.info('zone loaded', { zone: `z${i}.example.`, padding: 'x'.repeat(40) });
    assert.ok(writes.length > 0, 'written within the turn');
    assert.ok(writes.every((w) => w.length <= 64 * 1024 + 200), 'in writes of about 64 KiB');
  });

  it('a JSON line: level, time, msg, then the fields in their order; undefined fields left out; a field named like a key of the line takes its place', () => {
    const { log, writes } = kept(false);
    log.warn('zone "x" loaded', { zone: 'x.', records: 2, cached: undefined, ok: true });
    log.info('plain');
    log.error('clash', { msg: 'from a field', level: undefined, extra: 1 });
    const [a, b, c] = writes.map((w) => w.trimEnd());
    const time = (JSON.parse(a) as { time: string }).time;
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(a, JSON.stringify({ level: 'warn', time, msg: 'zone "x" loaded', zone: 'x.', records: 2, ok: true }));
    assert.deepEqual(Object.keys(JSON.parse(b) as object), ['level', 'time', 'msg']);
    assert.deepEqual(Object.entries(JSON.parse(c) as object).filter(([k]) => k !== 'time'), [['msg', 'from a field'], ['extra', 1]]);
  });

  it('batched: a process that exits right after logging has written every line', () => {
    const script = `import { Logger } from ${JSON.stringify(LOG)};
      const log = Logger.forServer('json', false);
      for (let i = 0; i < 3; i++) log.info('line ' + i);
      log.error('fatal');
      process.exit(3);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: WAIT_MS });
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(msgs(r.stdout), ['line 0', 'line 1', 'line 2', 'fatal']);
  });
});
