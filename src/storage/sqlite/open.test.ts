import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { openSqliteStore } from './index.js';

describe('sqlite store: opening', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-open-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a file that is not a store, naming the file', async () => {
    const file = path.join(dir, 'garbage.db');
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
    await assert.rejects(openSqliteStore({ path: file }), (err: Error) => {
      assert.match(err.message, /^cannot open store .*garbage\.db: the file is not a kujira store/);
      return true;
    });
  });

  it('refuses a corrupt store', async () => {
    const file = path.join(dir, 'corrupt.db');
    const s = await openSqliteStore({ path: file });
    for (let i = 0; i < 200; i++) await s.create(`/k/${i}`, new Uint8Array(2000));
    await s.close();
    // Overwrite everything after the header page with noise.
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    fs.closeSync(fd);
    await assert.rejects(openSqliteStore({ path: file }), (err: Error) => {
      assert.match(err.message, /^cannot open store .*corrupt\.db: .*(corrupt|not a kujira store|integrity)/);
      return true;
    });
  });

  it('refuses a path it cannot create', async () => {
    const notADir = path.join(dir, 'plain-file');
    fs.writeFileSync(notADir, 'x');
    await assert.rejects(openSqliteStore({ path: path.join(notADir, 'state.db') }), (err: Error) => {
      assert.match(err.message, /^cannot open store .*plain-file\/state\.db: the file cannot be opened/);
      return true;
    });
  });

  it('refuses a store that another connection holds', async () => {
    const file = path.join(dir, 'held.db');
    const first = await openSqliteStore({ path: file });
    try {
      await assert.rejects(openSqliteStore({ path: file }), (err: Error) => {
        assert.match(err.message, /in use by another process/);
        return true;
      });
    } finally {
      await first.close();
    }
    const again = await openSqliteStore({ path: file });
    await again.close();
  });
});
