import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NewestRows, type NewestRow } from './newest-rows.js';

const row = (id: number, value = `v${id}`): NewestRow => ({ id, createRevision: 1, deleted: false, value: Buffer.from(value) });

describe('newest-row cache', () => {
  it('keeps at most maxEntries, evicting the least recently written key', () => {
    const c = new NewestRows(2);
    c.set('/a', row(1));
    c.set('/b', row(2));
    c.set('/a', row(3)); // rewritten: now the most recent
    c.set('/c', row(4));
    assert.equal(c.size, 2);
    assert.equal(c.get('/b'), undefined);
    assert.equal(c.get('/a')?.id, 3);
    assert.equal(c.get('/c')?.id, 4);
    assert.deepEqual([c.hits, c.misses], [2, 1]);
  });

  it('remember never replaces or reorders a known key; forget drops only the named row', () => {
    const c = new NewestRows(2);
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
  });

  it('holds nothing with maxEntries 0', () => {
    const c = new NewestRows(0);
    c.set('/a', row(1));
    c.remember('/b', row(2));
    assert.equal(c.size, 0);
  });

  it('copies a value that is a view into a larger block (a pool slab), so it does not pin the block', () => {
    const c = new NewestRows(10);
    const pooled = Buffer.from('small value'); // Buffer.from(string) takes a slice of the shared pool
    assert.ok(pooled.buffer.byteLength > pooled.byteLength);
    c.set('/p', { id: 1, createRevision: 1, deleted: false, value: pooled });
    const kept = c.get('/p')!.value;
    assert.notEqual(kept.buffer, pooled.buffer);
    assert.equal(kept.buffer.byteLength, kept.byteLength);
    assert.equal(kept.toString(), 'small value');

    const own = Buffer.allocUnsafeSlow(4);
    own.write('four');
    const r: NewestRow = { id: 2, createRevision: 2, deleted: false, value: own };
    c.set('/o', r);
    assert.equal(c.get('/o'), r, 'a value with its own block is kept as is');
  });
});
