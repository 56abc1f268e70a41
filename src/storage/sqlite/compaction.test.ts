import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, it, beforeEach, afterEach } from 'node:test';
import { CompactedError } from '../store.js';
import { openSqliteStore } from './index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rowCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM kv').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('sqlite store: compaction and growth', () => {
  let dir = '';
  let file = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-compact-'));
    file = path.join(dir, 'state.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('periodic compaction keeps a window of revisions and every current value; the WAL is checkpointed', async () => {
    const store = await openSqliteStore({
      path: file,
      compactionIntervalMs: 20,
      compactionWindow: 100,
      checkpointIntervalMs: 20,
    });
    const revs = new Map<string, number>();
    for (let round = 0; round < 150; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, k) => {
          const key = `/g/${k}`;
          const r = round === 0 ? await store.create(key, enc('0')) : await store.update(key, enc(String(round)), revs.get(key)!);
          assert.ok(r.ok);
          revs.set(key, r.revision);
        }),
      );
    }
    // a few deleted keys: their tombstones go too
    for (let k = 15; k < 20; k++) assert.ok((await store.delete(`/g/${k}`)).ok);
    const current = await store.currentRevision();
    assert.equal(current, 150 * 20 + 5);
    await waitFor(async () => (await store.compactedRevision()) === current - 100, 'compaction to current - window');
    await store.compact(current - 100); // waits for the deletions to finish

    await assert.rejects(store.get('/g/0', { revision: current - 101 }), CompactedError);
    const list = await store.list('/g/');
    assert.equal(list.count, 15);
    for (const kv of list.kvs) assert.equal(dec(kv.value), '149');
    // the window is still readable in full
    assert.equal((await store.list('/g/', { revision: current - 100 })).count, 20);

    await waitFor(() => fs.statSync(`${file}-wal`).size === 0, 'a truncated WAL');
    await store.close();
    // 15 live keys + at most the rows the window needs (≤ 100 + one superseded row per key)
    const rows = rowCount(file);
    assert.ok(rows <= 15 + 100 + 20, `${rows} rows left`);
  });

  it('an interrupted compaction is finished after reopening', async () => {
    const a = await openSqliteStore({ path: file, compactionIntervalMs: 0 });
    let rev = 0;
    for (let i = 0; i < 3000; i++) {
      const r = i === 0 ? await a.create('/k', enc('0')) : await a.update('/k', enc(String(i)), rev);
      assert.ok(r.ok);
      rev = r.revision;
    }
    await a.close();
    // Simulate a crash right after the compacted revision was recorded, before any deletion.
    const db = new Database(file);
    db.prepare("INSERT INTO meta (name, value) VALUES ('compact_revision', ?)").run(rev);
    db.close();

    const b = await openSqliteStore({ path: file, compactionIntervalMs: 0 });
    assert.equal(await b.compactedRevision(), rev);
    await b.compact(rev);
    assert.equal(dec((await b.get('/k')).kv?.value), '2999');
    await b.close();
    // the newest row, and the one it superseded (a watch from `rev` still needs it as prevKv)
    assert.equal(rowCount(file), 2);
  });
});
