import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { openSqliteStore, type Durability } from './index.js';

const writerScript = fileURLToPath(new URL('./crash-writer.js', import.meta.url));

/** Runs crash-writer, SIGKILLs it after `acks` acknowledged creates; returns the acknowledged keys. */
async function burstThenKill(file: string, durability: Durability, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, [writerScript, file, durability], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let partial = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.startsWith('/crash/')) acked.push(line);
      if (acked.length >= acks && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`crash-writer exited early: ${stderr}`)));
  }).catch((err: unknown) => {
    if (acked.length < acks) throw err;
  });
  assert.equal(await exited, 'SIGKILL');
  return acked;
}

describe('sqlite store: kill -9', () => {
  for (const durability of ['process', 'fsync'] as const) {
    it(`every acknowledged write survives kill -9 mid-burst (durability ${durability})`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-crash-'));
      try {
        const file = path.join(dir, 'state.db');
        const acked = await burstThenKill(file, durability, 2000);
        assert.ok(acked.length >= 2000);
        const store = await openSqliteStore({ path: file, compactionIntervalMs: 0 });
        try {
          const { kvs } = await store.list('/crash/');
          const present = new Set(kvs.map((kv) => kv.key));
          const missing = acked.filter((k) => !present.has(k));
          assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes lost`);
          // revisions are dense and match the rows: nothing half-written
          assert.equal(await store.currentRevision(), kvs.length);
        } finally {
          await store.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
