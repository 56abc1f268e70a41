import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { streamLog } from './logs.js';

const line = (text: string) => `2026-01-01T00:00:00.000000000Z stdout F ${text}\n`;

test('following a log goes on in the new file after a rotation', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kujira-logs-'));
  try {
    const path = join(dir, '0.log');
    await writeFile(path, line('one'));
    let out = '';
    let running = true;
    const done = streamLog(path, { follow: true, timestamps: false }, (t) => { out += t; return true; }, new AbortController().signal, async () => running);
    const until = async (what: string, ok: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!ok()) { if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(out)}`); await sleep(20); }
    };
    await until('one', () => out === 'one\n');
    // The runtime still writes to the renamed file until it reopens the log: that line must not be lost.
    await rename(path, `${path}.20260101-000000`);
    await appendFile(`${path}.20260101-000000`, line('two'));
    await writeFile(path, line('three'));
    await until('three', () => out.includes('three'));
    await appendFile(path, line('four'));
    await until('four', () => out.includes('four'));
    running = false;
    await done;
    assert.equal(out, 'one\ntwo\nthree\nfour\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
