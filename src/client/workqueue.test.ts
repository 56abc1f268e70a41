import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.js';
import { ExponentialBackoffRateLimiter, WorkQueue } from './workqueue.js';

test('duplicate adds before a worker takes the key are merged', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.deepEqual(await q.get(), { key: 'a', shutdown: false });
  assert.deepEqual(await q.get(), { key: 'b', shutdown: false });
  assert.equal(q.len(), 0);
});

test('a key added while processing is not given to a second worker; it is requeued on done', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  const first = await q.get();
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'key in flight must not be queued');
  let second: string | undefined;
  const pending = q.get().then((i) => (second = i.key));
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined);
  q.done(first.key!);
  await pending;
  assert.equal(second, 'a');
  q.done('a');
  assert.equal(q.len(), 0);
});

test('concurrent workers never process the same key at once', async () => {
  const q = new WorkQueue<string>();
  const active = new Set<string>();
  let overlaps = 0;
  let processed = 0;
  const worker = async () => {
    for (;;) {
      const item = await q.get();
      if (item.shutdown) return;
      if (active.has(item.key)) overlaps++;
      active.add(item.key);
      await new Promise((r) => setImmediate(r));
      active.delete(item.key);
      processed++;
      q.done(item.key);
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  for (let round = 0; round < 50; round++) {
    for (const k of ['x', 'y', 'z']) q.add(k);
    await new Promise((r) => setImmediate(r));
  }
  await q.shutDownWithDrain();
  await Promise.all(workers);
  assert.equal(overlaps, 0);
  assert.ok(processed >= 3);
});

test('rate-limited requeue backs off exponentially per key from 5ms and forget resets it', () => {
  const limiter = new ExponentialBackoffRateLimiter<string>();
  assert.deepEqual([1, 2, 3, 4, 5].map(() => limiter.when('k')), [5, 10, 20, 40, 80]);
  assert.equal(limiter.when('other'), 5);
  assert.equal(limiter.numRequeues('k'), 5);
  limiter.forget('k');
  assert.equal(limiter.when('k'), 5);
  for (let i = 0; i < 40; i++) limiter.when('cap');
  assert.equal(limiter.when('cap'), 1_000_000, 'capped at 1000 s');
});

test('addRateLimited and addAfter wait on the injected clock', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  q.addRateLimited('a'); // 5 ms
  q.addRateLimited('a'); // earlier deadline stays: still 5 ms
  assert.equal(q.len(), 0);
  clock.advance(4);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  q.addAfter('b', 1000);
  q.addAfter('b', 100); // an earlier deadline replaces a later one
  clock.advance(100);
  assert.equal(q.len(), 2);
  assert.equal(q.numRequeues('a'), 2);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
});

test('shutDown releases waiting workers and cancels delayed keys', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  q.addAfter('later', 50);
  const waiting = q.get();
  q.shutDown();
  assert.deepEqual(await waiting, { key: undefined, shutdown: true });
  assert.equal(clock.pending(), 0);
  q.add('ignored');
  assert.equal(q.len(), 0);
});
