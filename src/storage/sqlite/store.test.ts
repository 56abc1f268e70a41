import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, afterEach } from 'node:test';
import { CompactedError, FutureRevisionError, StoreClosedError, type Store, type WriteResult } from '../store.js';
import { openSqliteStore } from './index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

function okResult(r: WriteResult): Extract<WriteResult, { ok: true }> {
  assert.equal(r.ok, true, `expected ok write, got ${JSON.stringify(r)}`);
  return r as Extract<WriteResult, { ok: true }>;
}

let stores: Store[] = [];
async function memStore(): Promise<Store> {
  const s = await openSqliteStore({ path: ':memory:', compactionIntervalMs: 0 });
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

describe('sqlite store: compare-and-swap', () => {
  it('follows the CAS table for create, update and delete', async () => {
    const s = await memStore();
    const c1 = okResult(await s.create('/a', enc('v1')));
    assert.equal(c1.revision, 1);
    assert.deepEqual([c1.kv.createRevision, c1.kv.modRevision], [1, 1]);

    // create twice → ok:false with the current value
    const c2 = await s.create('/a', enc('v2'));
    assert.equal(c2.ok, false);
    assert.equal(c2.ok === false && dec(c2.current?.value), 'v1');
    assert.equal(c2.ok === false && c2.current?.modRevision, 1);

    // update with the right revision
    const u1 = okResult(await s.update('/a', enc('v3'), 1));
    assert.deepEqual([u1.revision, u1.kv.createRevision, u1.kv.modRevision], [2, 1, 2]);

    // update with a stale revision → ok:false with current
    const u2 = await s.update('/a', enc('v4'), 1);
    assert.equal(u2.ok, false);
    assert.equal(u2.ok === false && u2.current?.modRevision, 2);
    assert.equal(u2.ok === false && dec(u2.current?.value), 'v3');

    // update of an absent key → ok:false, current undefined
    const u3 = await s.update('/nope', enc('x'), 1);
    assert.deepEqual(u3, { ok: false, current: undefined });

    // delete with a stale revision → ok:false; with the right one → ok, kv is the deleted value
    const d1 = await s.delete('/a', 1);
    assert.equal(d1.ok, false);
    const d2 = okResult(await s.delete('/a', 2));
    assert.equal(d2.revision, 3);
    assert.equal(dec(d2.kv.value), 'v3');
    assert.equal(d2.kv.modRevision, 2);

    // delete of an absent key → ok:false, current undefined; unconditional delete works
    assert.deepEqual(await s.delete('/a'), { ok: false, current: undefined });
    okResult(await s.create('/b', enc('b')));
    okResult(await s.delete('/b'));

    // re-create after delete gets a fresh createRevision
    const c3 = okResult(await s.create('/a', enc('again')));
    assert.equal(c3.kv.createRevision, c3.revision);
    assert.equal(await s.currentRevision(), c3.revision);
  });

  it('applies writes requested in the same tick in order, each checked on its own', async () => {
    const s = await memStore();
    const [a, b, c, d] = await Promise.all([
      s.create('/k', enc('1')),
      s.create('/k', enc('2')),
      s.update('/k', enc('3'), 1),
      s.update('/k', enc('4'), 1),
    ]);
    assert.equal(a.ok, true);
    assert.equal(b.ok, false);
    assert.equal(c.ok, true);
    assert.equal(d.ok, false);
    assert.equal(dec((await s.get('/k')).kv?.value), '3');
  });

  it('N concurrent writers doing read-modify-write CAS loops lose no increment', async () => {
    const s = await memStore();
    okResult(await s.create('/counter', enc('0')));
    const writers = 16;
    const perWriter = 40;
    let conflicts = 0;
    async function writer(): Promise<void> {
      for (let i = 0; i < perWriter; i++) {
        for (;;) {
          const { kv } = await s.get('/counter');
          const next = Number(dec(kv!.value)) + 1;
          const r = await s.update('/counter', enc(String(next)), kv!.modRevision);
          if (r.ok) break;
          conflicts++;
        }
      }
    }
    await Promise.all(Array.from({ length: writers }, writer));
    const { kv } = await s.get('/counter');
    assert.equal(Number(dec(kv!.value)), writers * perWriter);
    assert.ok(conflicts > 0, 'the writers should have collided at least once');
  });
});

describe('sqlite store: reads', () => {
  it('gets and lists as of an older revision', async () => {
    const s = await memStore();
    okResult(await s.create('/p/a', enc('a1'))); // 1
    okResult(await s.create('/p/b', enc('b1'))); // 2
    okResult(await s.update('/p/a', enc('a2'), 1)); // 3
    okResult(await s.delete('/p/b')); // 4
    okResult(await s.create('/q/x', enc('x'))); // 5

    assert.equal(dec((await s.get('/p/a', { revision: 1 })).kv?.value), 'a1');
    assert.equal(dec((await s.get('/p/a', { revision: 3 })).kv?.value), 'a2');
    assert.equal((await s.get('/p/b', { revision: 4 })).kv, undefined);
    assert.equal(dec((await s.get('/p/b', { revision: 3 })).kv?.value), 'b1');
    assert.equal((await s.get('/p/a')).revision, 5);

    const at2 = await s.list('/p/', { revision: 2 });
    assert.deepEqual(
      at2.kvs.map((kv) => [kv.key, dec(kv.value), kv.modRevision]),
      [
        ['/p/a', 'a1', 1],
        ['/p/b', 'b1', 2],
      ],
    );
    assert.equal(at2.revision, 2);
    const now = await s.list('/p/');
    assert.deepEqual(now.kvs.map((kv) => kv.key), ['/p/a']);
    assert.equal(now.revision, 5);
    assert.equal(now.count, 1);
    assert.deepEqual((await s.list('')).kvs.map((kv) => kv.key), ['/p/a', '/q/x']);

    await assert.rejects(s.get('/p/a', { revision: 99 }), FutureRevisionError);
  });

  it('pages a list with limit and startKey, reporting count and more', async () => {
    const s = await memStore();
    for (let i = 0; i < 25; i++) okResult(await s.create(`/pods/ns/p${String(i).padStart(2, '0')}`, enc(String(i))));
    okResult(await s.create('/pods/nt/z', enc('other')));
    okResult(await s.create('/pods/ns0', enc('not under /pods/ns/')));
    okResult(await s.delete('/pods/ns/p03'));
    const rev = await s.currentRevision();

    const seen: string[] = [];
    let startKey: string | undefined;
    for (;;) {
      const page = await s.list('/pods/ns/', { limit: 10, startKey, revision: rev });
      // etcd's count: the keys from startKey on, whatever the limit
      assert.equal(page.count, 24 - seen.length);
      seen.push(...page.kvs.map((kv) => kv.key));
      if (!page.more) break;
      assert.equal(page.kvs.length, 10);
      startKey = page.kvs[page.kvs.length - 1]!.key + '\0';
      // a write between pages does not disturb a paged read at a fixed revision
      okResult(await s.create(`/pods/ns/p00-late-${seen.length}`, enc('late')));
    }
    assert.equal(seen.length, 24);
    assert.deepEqual(seen, [...seen].sort());
    assert.ok(!seen.includes('/pods/ns/p03'));
    const exact = await s.list('/pods/ns/', { limit: 24, revision: rev });
    assert.equal(exact.more, false);
    assert.equal(exact.kvs.length, 24);
  });
});

describe('sqlite store: watch', () => {
  it('replays from an old revision in order, then continues live without gap or duplicate', async () => {
    const s = await memStore();
    okResult(await s.create('/w/a', enc('1'))); // 1
    okResult(await s.create('/other', enc('x'))); // 2
    okResult(await s.update('/w/a', enc('2'), 1)); // 3
    okResult(await s.create('/w/b', enc('3'))); // 4
    okResult(await s.delete('/w/a')); // 5

    const got: string[] = [];
    const progress: number[] = [];
    const w = s.watch('/w/', { fromRevision: 2 }, {
      onEvents: (evs) => {
        for (const e of evs) got.push(`${e.type}:${e.kv.key}@${e.kv.modRevision}<${e.prevKv?.modRevision ?? '-'}`);
      },
      onError: (err) => assert.fail(err),
      onProgress: (rev) => progress.push(rev),
    });
    // live writes issued before the replay has even started
    okResult(await s.create('/w/c', enc('4'))); // 6
    okResult(await s.update('/w/b', enc('5'), 4)); // 7
    await waitFor(() => got.length === 5);
    assert.deepEqual(got, ['put:/w/a@3<1', 'put:/w/b@4<-', 'delete:/w/a@5<3', 'put:/w/c@6<-', 'put:/w/b@7<4']);
    w.requestProgress();
    await waitFor(() => progress.length > 0);
    assert.equal(progress[0], 7);
    w.cancel();
  });

  it('a watch below the compacted revision gets CompactedError; compaction keeps current values', async () => {
    const s = await memStore();
    okResult(await s.create('/c/a', enc('1'))); // 1
    okResult(await s.update('/c/a', enc('2'), 1)); // 2
    okResult(await s.create('/c/b', enc('x'))); // 3
    okResult(await s.delete('/c/b')); // 4
    okResult(await s.update('/c/a', enc('3'), 2)); // 5
    okResult(await s.create('/c/d', enc('d'))); // 6
    await s.compact(5);
    assert.equal(await s.compactedRevision(), 5);

    let error: Error | undefined;
    s.watch('/c/', { fromRevision: 3 }, { onEvents: () => {}, onError: (e) => (error = e) });
    assert.ok(error instanceof CompactedError);
    await assert.rejects(s.get('/c/a', { revision: 4 }), CompactedError);
    await assert.rejects(s.list('/c/', { revision: 1 }), CompactedError);

    const list = await s.list('/c/');
    assert.deepEqual(list.kvs.map((kv) => [kv.key, dec(kv.value)]), [
      ['/c/a', '3'],
      ['/c/d', 'd'],
    ]);
    // reading at exactly the compacted revision still works, and a watch from it still has prevKv
    assert.equal(dec((await s.get('/c/a', { revision: 5 })).kv?.value), '3');
    const got: string[] = [];
    const w = s.watch('/c/', { fromRevision: 5 }, {
      onEvents: (evs) => {
        got.push(...evs.map((e) => `${e.kv.key}@${e.kv.modRevision}<${dec(e.prevKv?.value) ?? '-'}`));
      },
      onError: (e) => assert.fail(e),
    });
    await waitFor(() => got.length === 2);
    assert.deepEqual(got, ['/c/a@5<2', '/c/d@6<-']);
    w.cancel();
  });
});

describe('sqlite store: close', () => {
  it('commits requested writes, ends watches, and refuses further calls', async () => {
    const s = await openSqliteStore({ path: ':memory:' });
    let watchErr: Error | undefined;
    s.watch('/', {}, { onEvents: () => {}, onError: (e) => (watchErr = e) });
    const pendingWrite = s.create('/x', enc('1'));
    await s.close();
    assert.equal((await pendingWrite).ok, true);
    assert.ok(watchErr instanceof StoreClosedError);
    await assert.rejects(s.get('/x'), StoreClosedError);
    await assert.rejects(s.create('/y', enc('1')), StoreClosedError);
    let lateErr: Error | undefined;
    s.watch('/', {}, { onEvents: () => {}, onError: (e) => (lateErr = e) });
    assert.ok(lateErr instanceof StoreClosedError);
    await s.close(); // idempotent
  });

  it('keeps everything across reopen of a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-store-'));
    try {
      const file = path.join(dir, 'state.db');
      const a = await openSqliteStore({ path: file });
      okResult(await a.create('/k', enc('v')));
      okResult(await a.update('/k', enc('w'), 1));
      okResult(await a.create('/gone', enc('x')));
      okResult(await a.delete('/gone'));
      await a.compact(4);
      await a.close();
      const b = await openSqliteStore({ path: file });
      assert.equal(await b.currentRevision(), 4);
      assert.equal(await b.compactedRevision(), 4);
      assert.equal(dec((await b.get('/k')).kv?.value), 'w');
      // the newest row (a tombstone) was compacted away, yet revisions never go backwards
      assert.equal(okResult(await b.create('/n', enc('n'))).revision, 5);
      await b.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 2));
  }
}
