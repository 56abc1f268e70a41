// Test fixture for the kill -9 test (crash.test.ts): opens the store at argv[2], then keeps
// creating keys with several writes in flight, printing each key on stdout only after its
// write was acknowledged. The parent kills this process mid-burst and checks every printed key.
import { openSqliteStore, type Durability } from './index.js';

const file = process.argv[2];
const durability = (process.argv[3] ?? 'process') as Durability;
if (!file) {
  process.stderr.write('usage: crash-writer <db-file> [process|fsync]\n');
  process.exit(2);
}

const store = await openSqliteStore({ path: file, durability });
const inFlight = 16;
let next = 0;
process.stdout.write('ready\n');

async function writer(): Promise<void> {
  for (;;) {
    const key = `/crash/${String(next++).padStart(8, '0')}`;
    const result = await store.create(key, new TextEncoder().encode(JSON.stringify({ key, pad: 'x'.repeat(200) })));
    if (!result.ok) throw new Error(`create ${key} was refused`);
    // Synchronous on pipes (Linux): once the parent reads the line, the ack happened before.
    process.stdout.write(`${key}\n`);
  }
}

await Promise.all(Array.from({ length: inFlight }, writer));
