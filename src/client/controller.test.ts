import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.js';
import { runController } from './controller.js';
import { WorkQueue } from './workqueue.js';

const tick = () => new Promise((r) => setImmediate(r));

test('runController waits for sync, forgets on success, backs off on error, honours requeueAfterMs', async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  let synced!: (v: boolean) => void;
  const syncPromise = new Promise<boolean>((r) => (synced = r));
  const calls: string[] = [];
  let failuresLeft = 2;
  const ctl = runController({
    name: 'test',
    queue,
    workers: 2,
    waitFor: [{ waitForSync: () => syncPromise }],
    onError: () => {},
    async reconcile(key) {
      calls.push(key);
      if (key === 'flaky' && failuresLeft-- > 0) throw new Error('boom');
      if (key === 'later') return { requeueAfterMs: 1000 };
    },
  });
  queue.add('flaky');
  queue.add('later');
  await tick();
  assert.deepEqual(calls, [], 'no reconcile before caches sync');
  synced(true);
  await tick();
  await tick();
  assert.deepEqual(calls.sort(), ['flaky', 'later']);
  assert.equal(queue.numRequeues('flaky'), 1);
  clock.advance(5);
  await tick();
  await tick();
  assert.equal(calls.filter((c) => c === 'flaky').length, 2);
  clock.advance(10);
  await tick();
  await tick();
  assert.equal(calls.filter((c) => c === 'flaky').length, 3);
  assert.equal(queue.numRequeues('flaky'), 0, 'success forgets the backoff');
  clock.advance(1000 - 15);
  await tick();
  await tick();
  assert.equal(calls.filter((c) => c === 'later').length, 2);
  await ctl.stop();
});
