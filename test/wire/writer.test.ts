/**
 * The writer's name compression (RFC 1035 §4.1.4), kept without a string per suffix: suffixes
 * are found by a hash and checked against the octets written. Each case states the exact pointer
 * a search over every earlier name would choose: the longest suffix, where it was first written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_POINTER_OFFSET } from '../../src/wire/constants.js';
import { parseName, readName, writeName } from '../../src/wire/name.js';
import { WireReader } from '../../src/wire/reader.js';
import { WireWriter } from '../../src/wire/writer.js';

/** Writes `name` compressed; returns where it starts. */
function put(w: WireWriter, name: string): number {
  const at = w.pos;
  writeName(w, parseName(name), true);
  return at;
}

/** The octets written from `at` on, up to `end`. */
const octets = (w: WireWriter, at: number, end = w.pos): number[] => [...w.buf.subarray(at, end)];

/** The name at `at`, read back through its pointers. */
function nameAt(w: WireWriter, at: number): string {
  const r = new WireReader(w.buf.subarray(0, w.pos));
  r.pos = at;
  return readName(r).join('.');
}

describe('writer: name compression', () => {
  it('points to the longest suffix written, whatever its letter case (RFC 4343)', () => {
    const w = new WireWriter();
    put(w, 'www.Example.COM');
    const at = put(w, 'mail.example.com');
    // "mail", then a pointer to "Example.COM" (offset 4, after the 3-letter label and its length).
    assert.deepEqual(octets(w, at), [4, ...Buffer.from('mail'), 0xc0, 4]);
    assert.equal(nameAt(w, at), 'mail.Example.COM');
  });

  it('finds a suffix written behind a pointer, and the first place a suffix was written', () => {
    const w = new WireWriter();
    put(w, 'a.example.com');
    const b = put(w, 'b.a.example.com');
    assert.deepEqual(octets(w, b), [1, 0x62, 0xc0, 0]);
    const c = put(w, 'c.B.a.example.com');
    assert.deepEqual(octets(w, c), [1, 0x63, 0xc0, b]);
    const again = put(w, 'b.a.example.com');
    assert.deepEqual(octets(w, again), [0xc0, b]);
    assert.equal(nameAt(w, c), 'c.b.a.example.com');
  });

  it('never points into the name being written, when two of its suffixes hash alike', () => {
    // FNV-1a can be inverted: "f7zuaep0" takes the hash of example.com back to itself, so
    // f7zuaep0.example.com and f7zuaep0.f7zuaep0.example.com share a suffix hash. The second name's
    // second suffix must not point back to its own first, unfinished one (and the octets past it,
    // left by the packet before, must not be read as if they were its labels).
    const w = new WireWriter();
    put(w, 'f7zuaep0.example.com');
    w.reset();
    const at = put(w, 'f7zuaep0.f7zuaep0.example.com');
    assert.equal(nameAt(w, at), 'f7zuaep0.f7zuaep0.example.com');
    assert.deepEqual(octets(w, at), [...[8, ...Buffer.from('f7zuaep0')], ...[8, ...Buffer.from('f7zuaep0')], 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0]);
  });

  it('tells apart suffixes of equal length and labels that differ in one octet', () => {
    const w = new WireWriter();
    put(w, 'ab.example.com');
    const at = put(w, 'ac.example.com');
    assert.deepEqual(octets(w, at), [2, 0x61, 0x63, 0xc0, 3]);
  });

  it('keeps every suffix of hundreds of names (past its first table size)', () => {
    const w = new WireWriter();
    const first = new Map<string, number>();
    for (let i = 0; i < 300; i++) first.set(`h${i}`, put(w, `h${i}.example.com`));
    for (let i = 299; i >= 0; i--) {
      const at = put(w, `H${i}.example.com`);
      assert.deepEqual(octets(w, at), [0xc0 | (first.get(`h${i}`)! >> 8), first.get(`h${i}`)! & 0xff], `h${i}`);
    }
  });

  it('remembers no suffix a pointer cannot reach (past offset 16,383)', () => {
    const w = new WireWriter();
    w.bytes(new Uint8Array(MAX_POINTER_OFFSET + 1));
    const far = put(w, 'far.example.com');
    const at = put(w, 'far.example.com');
    assert.equal(at - far, 1 + 3 + 1 + 7 + 1 + 3 + 1);
    assert.deepEqual(octets(w, at), octets(w, far, at));
  });

  it('forgets the suffixes of what truncate() takes back, and all of them on reset()', () => {
    const w = new WireWriter();
    put(w, 'example.com');
    const mark = w.pos;
    put(w, 'x.other.net');
    w.truncate(mark);
    assert.equal(w.pos, mark);
    const at = put(w, 'y.other.net');
    assert.deepEqual(octets(w, at), [1, 0x79, 5, ...Buffer.from('other'), 3, ...Buffer.from('net'), 0]);
    const kept = put(w, 'www.example.com');
    assert.deepEqual(octets(w, kept), [3, ...Buffer.from('www'), 0xc0, 0]);
    w.reset();
    put(w, 'a.example.com');
    assert.deepEqual(octets(w, 0), [1, 0x61, 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0]);
  });
});
