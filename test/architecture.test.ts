import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const SRC = new URL('../../src/', import.meta.url).pathname;

/**
 * The floors of src/ (src/README.md): a module imports from its own folder and from folders on
 * lower floors only. Folders on one floor do not import each other. The files at the top of src/
 * (log, version, config) sit just above wire/: every floor may use them.
 */
const FLOOR: Record<string, number> = {
  wire: 0, '.': 1, zone: 2, transfer: 2.5, guard: 2.75, answer: 3, counters: 3, forward: 3.5, server: 4, sources: 4, health: 4, serving: 5, ops: 6, api: 6, cli: 7, main: 8,
};

function folderOf(file: string): string {
  const rel = relative(SRC, file);
  if (rel === 'main.ts') return 'main';
  return rel.includes('/') ? rel.split('/')[0] : '.';
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

describe('architecture: floors that only point down', () => {
  it('every folder of src/ has a floor', () => {
    for (const f of sources(SRC)) assert.ok(folderOf(f) in FLOOR, `${relative(SRC, f)} is in a folder without a floor: add it to src/README.md and here`);
  });

  it('no import runs up a floor or sideways', () => {
    const wrong: string[] = [];
    for (const file of sources(SRC)) {
      const from = folderOf(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/ from '(\.[^']+)';$/gm)) {
        const target = folderOf(join(file, '..', m[1].replace(/\.js$/, '.ts')));
        if (target === from) continue;
        if (FLOOR[target] >= FLOOR[from]) wrong.push(`${relative(SRC, file)} (${from}, floor ${FLOOR[from]}) imports ${m[1]} (${target}, floor ${FLOOR[target]})`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
