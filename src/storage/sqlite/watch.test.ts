import assert from 'node:assert/strict';
import { describe, it, afterEach } from 'node:test';
import { CompactedError, WatchOverflowError, type Store, type WatchEvent } from '../store.js';
import { openSqliteStore, type SqliteStoreOptions } from './index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

let stores: Store[] = [];
async function memStore(opts: Partial<SqliteStoreOptions> = {}): Promise<Store> {
  const s = await openSqliteStore({ path: ':memory:', compactionIntervalMs: 0, ...opts });
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('sqlite store: watch delivery', () => {
  it('a long replay (several chunks) racing live writes delivers every revision exactly once, in order', async () => {
    const s = await memStore();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 2500; i++) writes.push(s.create(`/r/${i}`, enc(String(i))));
    await Promise.all(writes);
    const revs: number[] = [];
    const w = s.watch('/r/', { fromRevision: 1 }, {
      onEvents: (evs) => {
        for (const e of evs) revs.push(e.kv.modRevision);
      },
      onError: (e) => assert.fail(e),
    });
    // keep writing while the replay runs
    for (let i = 2500; i < 3000; i++) {
      await s.create(`/r/${i}`, enc(String(i)));
    }
    await waitFor(() => revs.length >= 3000, 'all 3000 events');
    assert.deepEqual(revs, Array.from({ length: 3000 }, (_, i) => i + 1));
    w.cancel();
  });

  it('only delivers keys under the prefix, and nothing after cancel', async () => {
    const s = await memStore();
    const keys: string[] = [];
    const w = s.watch('/a/', {}, {
      onEvents: (evs) => {
        keys.push(...evs.map((e) => e.kv.key));
      },
      onError: (e) => assert.fail(e),
    });
    await s.create('/a/1', enc('x'));
    await s.create('/ab', enc('x'));
    await s.create('/b/1', enc('x'));
    await s.create('/a/2', enc('x'));
    assert.deepEqual(keys, ['/a/1', '/a/2']);
    w.cancel();
    await s.create('/a/3', enc('x'));
    assert.deepEqual(keys, ['/a/1', '/a/2']);
  });

  it('a watcher that returns a promise gets the next batch only after it settles, in order', async () => {
    const s = await memStore();
    const batches: number[][] = [];
    let release: () => void = () => {};
    const w = s.watch('/', {}, {
      onEvents: (evs) => {
        batches.push(evs.map((e) => e.kv.modRevision));
        return new Promise<void>((r) => (release = r));
      },
      onError: (e) => assert.fail(e),
    });
    await s.create('/1', enc('x'));
    // the consumer is busy: these are buffered, and the writers are not held up
    await s.create('/2', enc('x'));
    await s.create('/3', enc('x'));
    assert.deepEqual(batches, [[1]]);
    release();
    await waitFor(() => batches.length === 2, 'the buffered batch');
    assert.deepEqual(batches, [[1], [2, 3]]);
    release();
    w.cancel();
  });

  it('a watcher that falls too far behind is ended with WatchOverflowError; writers never wait', async () => {
    const s = await memStore({ watchBufferSize: 50 });
    let error: Error | undefined;
    s.watch('/', {}, {
      onEvents: () => new Promise<void>(() => {}), // never finishes
      onError: (e) => (error = e),
    });
    const started = Date.now();
    for (let i = 0; i < 100; i++) assert.equal((await s.create(`/k${i}`, enc('x'))).ok, true);
    assert.ok(Date.now() - started < 2000);
    assert.ok(error instanceof WatchOverflowError, `got ${String(error)}`);
  });

  it('a watcher whose callback throws is ended with that error; others carry on', async () => {
    const s = await memStore();
    let error: Error | undefined;
    s.watch('/', {}, {
      onEvents: () => {
        throw new Error('consumer broke');
      },
      onError: (e) => (error = e),
    });
    const seen: WatchEvent[] = [];
    s.watch('/', {}, { onEvents: (evs) => void seen.push(...evs), onError: (e) => assert.fail(e) });
    await s.create('/x', enc('1'));
    await s.create('/y', enc('1'));
    assert.equal(error?.message, 'consumer broke');
    assert.equal(seen.length, 2);
  });

  it('a replay overtaken by compaction ends with CompactedError', async () => {
    const s = await memStore();
    // one key written 3000 times: create, then 2999 updates
    let rev = (await s.create('/c/k', enc('start'))).ok ? 1 : 0;
    for (let i = 0; i < 2999; i++) {
      const r = await s.update('/c/k', enc(String(i)), rev);
      assert.ok(r.ok);
      rev = r.revision;
    }
    let error: Error | undefined;
    let delivered = 0;
    s.watch('/c/', { fromRevision: 1 }, {
      onEvents: async (evs) => {
        delivered += evs.length;
        // while the consumer is busy with the first chunk, history is compacted away
        if (delivered <= 1000) await s.compact(rev);
      },
      onError: (e) => (error = e),
    });
    await waitFor(() => error !== undefined, 'the compaction error');
    assert.ok(error instanceof CompactedError, `got ${String(error)}`);
    assert.ok(delivered < 3000);
  });
});

describe('sqlite store: progress notifications', () => {
  it('an idle watcher hears the current revision after writes to other keys; requestProgress answers at once', async () => {
    const s = await memStore({ progressIntervalMs: 20 });
    const progress: number[] = [];
    const w = s.watch('/mine/', {}, {
      onEvents: () => assert.fail('no events expected'),
      onError: (e) => assert.fail(e),
      onProgress: (rev) => progress.push(rev),
    });
    await s.create('/theirs/a', enc('x'));
    await s.create('/theirs/b', enc('x'));
    await waitFor(() => progress.length > 0, 'an idle progress notification');
    assert.equal(progress[progress.length - 1], 2);
    // nothing moved: no more notifications are needed, but an explicit request is answered
    const before = progress.length;
    w.requestProgress();
    await waitFor(() => progress.length > before, 'the requested progress');
    assert.equal(progress[progress.length - 1], 2);
    w.cancel();
  });

  it('requestProgress during a replay answers only after the replay is delivered', async () => {
    const s = await memStore({ progressIntervalMs: 0 });
    for (let i = 0; i < 10; i++) await s.create(`/p/${i}`, enc('x'));
    const log: string[] = [];
    const w = s.watch('/p/', { fromRevision: 1 }, {
      onEvents: (evs) => void log.push(`events:${evs.length}`),
      onError: (e) => assert.fail(e),
      onProgress: (rev) => void log.push(`progress:${rev}`),
    });
    w.requestProgress();
    await waitFor(() => log.length === 2, 'replay then progress');
    assert.deepEqual(log, ['events:10', 'progress:10']);
    w.cancel();
  });
});
