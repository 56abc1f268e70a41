// The newest-row cache must be invisible: every outcome is the same with it, without it, and
// with it squeezed to one entry. These tests also check it is really used where it should be.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, it, beforeEach, afterEach } from 'node:test';
import { FutureRevisionError, type GetResult, type WatchEvent, type WriteResult } from '../store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** A write's outcome in one comparable line. */
function outcome(r: WriteResult): string {
  if (r.ok) return `ok@${r.revision} ${dec(r.kv.value)} c${r.kv.createRevision} m${r.kv.modRevision}`;
  return r.current ? `conflict ${dec(r.current.value)} c${r.current.createRevision} m${r.current.modRevision}` : 'conflict absent';
}

function read(g: GetResult): string {
  return g.kv ? `${dec(g.kv.value)} c${g.kv.createRevision} m${g.kv.modRevision} @${g.revision}` : `absent @${g.revision}`;
}

function event(e: WatchEvent): string {
  const prev = e.prevKv ? `${dec(e.prevKv.value)}@${e.prevKv.modRevision}` : '-';
  return `${e.type} ${e.kv.key} ${dec(e.kv.value)} c${e.kv.createRevision} m${e.kv.modRevision} <${prev}`;
}

/** Every row of the table: [id, key, create_revision, prev_revision, deleted]. */
function rows(file: string): [number, string, number, number, number][] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, key, create_revision, prev_revision, deleted FROM kv ORDER BY id').raw(true).all() as [
      number,
      string,
      number,
      number,
      number,
    ][];
  } finally {
    db.close();
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

let dir = '';
let file = '';
let opened: SqliteStore[] = [];
function open(opts: Partial<SqliteStoreOptions> = {}): SqliteStore {
  const s = SqliteStore.open({ path: file, compactionIntervalMs: 0, checkpointIntervalMs: 0, ...opts });
  opened.push(s);
  return s;
}
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-cache-'));
  file = path.join(dir, 'state.db');
});
afterEach(async () => {
  for (const s of opened) await s.close();
  opened = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

const cacheSizes = [
  { name: 'no cache', newestRowCacheSize: 0 },
  { name: 'one entry', newestRowCacheSize: 1 },
  { name: 'a few bytes', newestRowCacheSize: undefined, newestRowCacheBytes: 5 },
  { name: 'default cache', newestRowCacheSize: undefined },
];

describe('sqlite store: newest-row cache', () => {
  for (const size of cacheSizes) {
    it(`CAS outcomes, reads, events and stored rows are the same (${size.name})`, async () => {
      const s = open({ newestRowCacheSize: size.newestRowCacheSize, newestRowCacheBytes: size.newestRowCacheBytes });
      const events: string[] = [];
      const w = s.watch('/', {}, { onEvents: (evs) => void events.push(...evs.map(event)), onError: (e) => assert.fail(e) });
      const steps: [() => Promise<WriteResult | GetResult>, string][] = [
        [() => s.create('/a', enc('a1')), 'ok@1 a1 c1 m1'],
        [() => s.create('/b', enc('b1')), 'ok@2 b1 c2 m2'],
        [() => s.create('/a', enc('again')), 'conflict a1 c1 m1'],
        [() => s.update('/a', enc('a2'), 1), 'ok@3 a2 c1 m3'],
        [() => s.update('/a', enc('stale'), 1), 'conflict a2 c1 m3'],
        [() => s.delete('/a', 1), 'conflict a2 c1 m3'],
        [() => s.get('/a'), 'a2 c1 m3 @3'],
        [() => s.get('/a', { revision: 2 }), 'a1 c1 m1 @3'],
        [() => s.get('/b'), 'b1 c2 m2 @3'],
        // delete, then re-create: a fresh createRevision, no prevKv
        [() => s.delete('/a', 3), 'ok@4 a2 c1 m3'],
        [() => s.get('/a'), 'absent @4'],
        [() => s.update('/a', enc('x'), 3), 'conflict absent'],
        [() => s.delete('/a'), 'conflict absent'],
        [() => s.create('/a', enc('a3')), 'ok@5 a3 c5 m5'],
        [() => s.get('/a', { revision: 4 }), 'absent @5'],
        [() => s.update('/b', enc('b2'), 2), 'ok@6 b2 c2 m6'],
        [() => s.update('/a', enc('a4'), 5), 'ok@7 a4 c5 m7'],
        [() => s.get('/a'), 'a4 c5 m7 @7'],
        [() => s.update('/never', enc('x'), 1), 'conflict absent'],
        [() => s.get('/never'), 'absent @7'],
      ];
      for (const [i, [step, want]] of steps.entries()) {
        const got = await step();
        assert.equal('ok' in got ? outcome(got) : read(got), want, `step ${i}`);
      }
      await waitFor(() => events.length === 7, 'seven events');
      assert.deepEqual(events, [
        'put /a a1 c1 m1 <-',
        'put /b b1 c2 m2 <-',
        'put /a a2 c1 m3 <a1@1',
        'delete /a  c0 m4 <a2@3',
        'put /a a3 c5 m5 <-',
        'put /b b2 c2 m6 <b1@2',
        'put /a a4 c5 m7 <a3@5',
      ]);
      w.cancel();
      await s.close();
      // the re-create's prev_revision is the tombstone, as without a cache
      assert.deepEqual(rows(file), [
        [1, '/a', 1, 0, 0],
        [2, '/b', 2, 0, 0],
        [3, '/a', 1, 1, 0],
        [4, '/a', 1, 3, 1],
        [5, '/a', 5, 4, 0],
        [6, '/b', 2, 2, 0],
        [7, '/a', 5, 5, 0],
      ]);
    });
  }

  it('answers a CAS conflict and a get from the cache, with the right current value', async () => {
    const s = open();
    assert.equal(outcome(await s.create('/k', enc('v1'))), 'ok@1 v1 c1 m1');
    assert.equal(outcome(await s.update('/k', enc('v2'), 1)), 'ok@2 v2 c1 m2');
    const before = s.newestRowCacheStats();
    assert.equal(outcome(await s.update('/k', enc('v3'), 1)), 'conflict v2 c1 m2');
    assert.equal(outcome(await s.create('/k', enc('v3'))), 'conflict v2 c1 m2');
    assert.equal(outcome(await s.delete('/k', 1)), 'conflict v2 c1 m2');
    assert.equal(read(await s.get('/k')), 'v2 c1 m2 @2');
    const after = s.newestRowCacheStats();
    assert.equal(after.misses, before.misses, 'no lookup went to SQLite');
    assert.equal(after.hits, before.hits + 4);
  });

  it('two writes to one key in one batch each see the one before', async () => {
    const s = open();
    assert.equal(outcome(await s.create('/k', enc('v1'))), 'ok@1 v1 c1 m1');
    // requested in the same tick: one transaction
    const results = await Promise.all([
      s.update('/k', enc('v2'), 1),
      s.update('/k', enc('lost'), 1),
      s.update('/k', enc('v3'), 2),
      s.delete('/k', 3),
      s.update('/k', enc('gone'), 4),
      s.create('/k', enc('v5')),
      s.create('/k', enc('dup')),
    ]);
    assert.deepEqual(results.map(outcome), [
      'ok@2 v2 c1 m2',
      'conflict v2 c1 m2',
      'ok@3 v3 c1 m3',
      'ok@4 v3 c1 m3',
      'conflict absent',
      'ok@5 v5 c5 m5',
      'conflict v5 c5 m5',
    ]);
    assert.equal(read(await s.get('/k')), 'v5 c5 m5 @5');
    assert.equal(outcome(await s.update('/k', enc('v6'), 5)), 'ok@6 v6 c5 m6');
    await s.close();
    assert.deepEqual(rows(file).map(([id, , c, prev, del]) => [id, c, prev, del]), [
      [1, 1, 0, 0],
      [2, 1, 1, 0],
      [3, 1, 2, 0],
      [4, 1, 3, 1],
      [5, 5, 4, 0],
      [6, 5, 5, 0],
    ]);
  });

  it('a batch whose transaction fails leaves the cache as it was', async () => {
    await open().close();
    // A trigger refusing one key: a real failure inside the batch transaction, which rolls it back.
    const raw = new Database(file);
    raw.exec(
      `CREATE TRIGGER refuse_boom BEFORE INSERT ON kv WHEN NEW.key = '/boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`,
    );
    raw.close();
    const s = open();
    const events: string[] = [];
    const w = s.watch('/', {}, { onEvents: (evs) => void events.push(...evs.map(event)), onError: (e) => assert.fail(e) });
    assert.equal(outcome(await s.create('/k', enc('v1'))), 'ok@1 v1 c1 m1');
    assert.equal(outcome(await s.create('/gone', enc('g1'))), 'ok@2 g1 c2 m2');
    assert.equal(read(await s.get('/k')), 'v1 c1 m1 @2');

    const failed = await Promise.allSettled([
      s.update('/k', enc('v2'), 1),
      s.update('/k', enc('v3'), 3),
      s.delete('/gone', 2),
      s.create('/new', enc('n')),
      s.create('/boom', enc('x')),
    ]);
    for (const r of failed) {
      assert.equal(r.status, 'rejected');
      assert.match(String((r as PromiseRejectedResult).reason), /store write failed: boom refused/);
    }
    assert.equal(await s.currentRevision(), 2);
    const before = s.newestRowCacheStats();
    assert.equal(read(await s.get('/k')), 'v1 c1 m1 @2');
    assert.equal(read(await s.get('/gone')), 'g1 c2 m2 @2');
    assert.equal(s.newestRowCacheStats().hits, before.hits + 2, 'the committed rows are still cached');
    assert.equal(read(await s.get('/new')), 'absent @2');
    // writes against what is really stored go through, at the revisions that follow it
    assert.equal(outcome(await s.update('/k', enc('v2'), 3)), 'conflict v1 c1 m1');
    assert.equal(outcome(await s.update('/k', enc('v2'), 1)), 'ok@3 v2 c1 m3');
    assert.equal(outcome(await s.delete('/gone', 2)), 'ok@4 g1 c2 m2');
    assert.equal(outcome(await s.create('/new', enc('n'))), 'ok@5 n c5 m5');
    await waitFor(() => events.length === 5, 'five events');
    assert.deepEqual(events, [
      'put /k v1 c1 m1 <-',
      'put /gone g1 c2 m2 <-',
      'put /k v2 c1 m3 <v1@1',
      'delete /gone  c0 m4 <g1@2',
      'put /new n c5 m5 <-',
    ]);
    w.cancel();
  });

  it('evicts the least recently written keys; a miss is served from SQLite', async () => {
    const s = open({ newestRowCacheSize: 2 });
    assert.equal(outcome(await s.create('/a', enc('a1'))), 'ok@1 a1 c1 m1');
    assert.equal(outcome(await s.create('/b', enc('b1'))), 'ok@2 b1 c2 m2');
    assert.equal(outcome(await s.update('/a', enc('a2'), 1)), 'ok@3 a2 c1 m3'); // /a is now the most recent
    assert.equal(outcome(await s.create('/c', enc('c1'))), 'ok@4 c1 c4 m4'); // evicts /b
    assert.equal(s.newestRowCacheStats().entries, 2);

    let stats = s.newestRowCacheStats();
    assert.equal(read(await s.get('/b')), 'b1 c2 m2 @4');
    assert.equal(s.newestRowCacheStats().misses, stats.misses + 1);
    assert.equal(read(await s.get('/a')), 'a2 c1 m3 @4');
    assert.equal(read(await s.get('/a', { revision: 2 })), 'a1 c1 m1 @4');

    // /c's entry went when /b was read back in; its CAS conflict comes from SQLite
    stats = s.newestRowCacheStats();
    assert.equal(outcome(await s.update('/c', enc('x'), 1)), 'conflict c1 c4 m4');
    assert.equal(s.newestRowCacheStats().misses, stats.misses + 1);
    assert.equal(outcome(await s.update('/c', enc('c2'), 4)), 'ok@5 c2 c4 m5');
    assert.equal(outcome(await s.delete('/b', 2)), 'ok@6 b1 c2 m2');
    assert.equal(outcome(await s.create('/b', enc('b3'))), 'ok@7 b3 c7 m7');
    assert.equal(s.newestRowCacheStats().entries, 2);
    await s.close();
    assert.deepEqual(
      rows(file).filter((r) => r[1] === '/b'),
      [
        [2, '/b', 2, 0, 0],
        [6, '/b', 2, 2, 1],
        [7, '/b', 7, 6, 0],
      ],
    );
  });

  it('a read at an older revision of an uncached key caches nothing stale', async () => {
    const s = open({ newestRowCacheSize: 1 });
    assert.equal(outcome(await s.create('/a', enc('a1'))), 'ok@1 a1 c1 m1');
    assert.equal(outcome(await s.update('/a', enc('a2'), 1)), 'ok@2 a2 c1 m2');
    assert.equal(outcome(await s.create('/z', enc('z'))), 'ok@3 z c3 m3'); // evicts /a
    assert.equal(read(await s.get('/a', { revision: 1 })), 'a1 c1 m1 @3');
    assert.equal(read(await s.get('/a')), 'a2 c1 m2 @3');
    assert.equal(outcome(await s.update('/a', enc('x'), 1)), 'conflict a2 c1 m2');
    assert.equal(outcome(await s.update('/a', enc('a3'), 2)), 'ok@4 a3 c1 m4');
  });

  it("'fsync': get never returns a row committed but not yet durable", async () => {
    const s = open({ durability: 'fsync' });
    assert.equal(outcome(await s.create('/f', enc('v1'))), 'ok@1 v1 c1 m1');
    assert.equal(read(await s.get('/f')), 'v1 c1 m1 @1');
    let acked = false;
    const update = s.update('/f', enc('v2'), 1).then((r) => {
      acked = true;
      return r;
    });
    // This immediate runs right after the flush the update scheduled: the batch is committed
    // (and cached), its fsync still in flight.
    const during = await new Promise<{ acked: boolean; read: string; future: unknown }>((resolve, reject) => {
      setImmediate(() => {
        const wasAcked = acked;
        Promise.all([s.get('/f'), s.get('/f', { revision: 2 }).catch((e: unknown) => e)]).then(
          ([g, future]) => resolve({ acked: wasAcked, read: read(g), future }),
          reject,
        );
      });
    });
    assert.equal(during.acked, false);
    assert.equal(during.read, 'v1 c1 m1 @1');
    assert.ok(during.future instanceof FutureRevisionError);
    assert.equal(outcome(await update), 'ok@2 v2 c1 m2');
    assert.equal(read(await s.get('/f')), 'v2 c1 m2 @2');
  });

  it('starts empty after reopen and serves the stored rows', async () => {
    const a = open();
    assert.equal(outcome(await a.create('/k', enc('v1'))), 'ok@1 v1 c1 m1');
    assert.equal(outcome(await a.update('/k', enc('v2'), 1)), 'ok@2 v2 c1 m2');
    assert.equal(outcome(await a.create('/t', enc('t1'))), 'ok@3 t1 c3 m3');
    assert.equal(outcome(await a.delete('/t')), 'ok@4 t1 c3 m3');
    await a.close();

    const b = open();
    assert.equal(b.newestRowCacheStats().entries, 0);
    assert.equal(outcome(await b.update('/k', enc('x'), 1)), 'conflict v2 c1 m2');
    assert.equal(read(await b.get('/k')), 'v2 c1 m2 @4');
    assert.equal(read(await b.get('/t')), 'absent @4');
    assert.equal(outcome(await b.create('/t', enc('t2'))), 'ok@5 t2 c5 m5');
    assert.equal(outcome(await b.update('/k', enc('v3'), 2)), 'ok@6 v3 c1 m6');
    await b.close();
    assert.deepEqual(rows(file).slice(-2), [
      [5, '/t', 5, 4, 0],
      [6, '/k', 1, 2, 0],
    ]);
  });

  it("compaction deleting a key's newest row (a tombstone) drops it from the cache", async () => {
    const s = open();
    assert.equal(outcome(await s.create('/t', enc('t1'))), 'ok@1 t1 c1 m1');
    assert.equal(outcome(await s.delete('/t')), 'ok@2 t1 c1 m1');
    assert.equal(outcome(await s.create('/other', enc('o'))), 'ok@3 o c3 m3');
    assert.equal(outcome(await s.create('/kept', enc('k'))), 'ok@4 k c4 m4');
    // a tombstone at the compacted revision stays, and so does the row it superseded
    assert.equal(outcome(await s.delete('/kept')), 'ok@5 k c4 m4');
    await s.compact(5);
    assert.equal(read(await s.get('/t')), 'absent @5');
    assert.equal(outcome(await s.create('/t', enc('t2'))), 'ok@6 t2 c6 m6');
    assert.equal(outcome(await s.create('/kept', enc('k2'))), 'ok@7 k2 c7 m7');
    await s.close();
    // /t has no row left, so its re-create supersedes nothing; /kept's still follows its tombstone
    assert.deepEqual(rows(file), [
      [3, '/other', 3, 0, 0],
      [4, '/kept', 4, 0, 0],
      [5, '/kept', 4, 4, 1],
      [6, '/t', 6, 0, 0],
      [7, '/kept', 7, 5, 0],
    ]);
  });
});
