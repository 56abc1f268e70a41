import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteStore } from './index.js';

describe("sqlite store: durability 'fsync'", () => {
  it('acknowledges and publishes overlapping batches in revision order, each only once durable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-fsync-'));
    const store = await openSqliteStore({ path: path.join(dir, 'state.db'), durability: 'fsync', compactionIntervalMs: 0 });
    try {
      const seen: number[] = [];
      const w = store.watch('/d/', {}, {
        onEvents: (evs) => {
          for (const e of evs) seen.push(e.kv.modRevision);
        },
        onError: (e) => assert.fail(e),
      });
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < 3000) {
            const key = `/d/${next++}`;
            const r = await store.create(key, new TextEncoder().encode(key));
            assert.ok(r.ok);
            // acknowledged ⇒ published: readers and watchers already see it
            assert.ok((await store.currentRevision()) >= r.revision);
            assert.ok(seen.includes(r.revision));
            assert.equal((await store.get(key)).kv?.modRevision, r.revision);
          }
        }),
      );
      assert.deepEqual(seen, Array.from({ length: 3000 }, (_, i) => i + 1));
      w.cancel();
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
