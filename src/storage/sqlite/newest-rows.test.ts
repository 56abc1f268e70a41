import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NewestRows, type NewestRow } from './newest-rows.js';

const MiB = 1024 * 1024;

/** A value in a memory block of its own, of exactly its size. */
function own(text: string): Buffer {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  b.write(text);
  return b;
}

const row = (id: number, value: Buffer = own(`v${id}`)): NewestRow => ({ id, createRevision: 1, deleted: false, value });

describe('newest-row cache', () => {
  it('keeps at most maxEntries, evicting the least recently written key', () => {
    const c = new NewestRows(2, MiB);
    c.set('/a', row(1));
    c.set('/b', row(2));
    c.set('/a', row(3)); // rewritten: now the most recent
    c.set('/c', row(4));
    assert.equal(c.size, 2);
    assert.equal(c.get('/b'), undefined);
    assert.equal(c.get('/a')?.id, 3);
    assert.equal(c.get('/c')?.id, 4);
    assert.deepEqual([c.hits, c.misses], [2, 1]);
    assert.equal(c.bytes, 4); // v3 and v4
  });

  it('remember never replaces or reorders a known key; forget drops only the named row', () => {
    const c = new NewestRows(2, MiB);
    c.set('/a', row(1));
    c.set('/b', row(2));
    c.remember('/a', row(9));
    assert.equal(c.get('/a')?.id, 1);
    c.set('/c', row(3)); // /a is still the oldest write
    assert.equal(c.get('/a'), undefined);
    c.forget('/b', 1);
    assert.equal(c.get('/b')?.id, 2);
    c.forget('/b', 2);
    assert.equal(c.get('/b'), undefined);
    assert.equal(c.bytes, 2);
  });

  it('holds nothing with maxEntries 0', () => {
    const c = new NewestRows(0, MiB);
    c.set('/a', row(1));
    c.remember('/b', row(2));
    assert.equal(c.size, 0);
    assert.equal(c.bytes, 0);
  });

  it('counts the whole memory block a value keeps alive, each block once, and evicts past maxBytes', () => {
    const c = new NewestRows(100, 10_000);
    // Buffer.from(string) takes small slices of one shared pool slab
    const p1 = Buffer.from('pooled one');
    const p2 = Buffer.from('pooled two');
    assert.equal(p1.buffer, p2.buffer, 'both in the same pool slab');
    const slab = p1.buffer.byteLength;
    assert.ok(slab > 1000 && slab <= 10_000);
    c.set('/p1', row(1, p1));
    c.set('/p2', row(2, p2));
    assert.equal(c.bytes, slab);
    c.set('/p1', row(3, own('x'.repeat(100))));
    assert.equal(c.bytes, slab + 100, 'the slab is still kept by /p2');
    c.set('/p2', row(4, own('y'.repeat(200))));
    assert.equal(c.bytes, 300, 'the slab is no longer kept');

    // past maxBytes the oldest entries go, however few there are
    c.set('/big', row(5, own('z'.repeat(9_900))));
    assert.equal(c.get('/p1'), undefined);
    assert.equal(c.get('/p2'), undefined);
    assert.equal(c.get('/big')?.id, 5);
    assert.equal(c.bytes, 9_900);
    c.set('/huge', row(6, own('h'.repeat(20_000)))); // larger than the bound: not kept at all
    assert.equal(c.size, 0);
    assert.equal(c.bytes, 0);
  });
});
