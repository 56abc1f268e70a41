// The scheduling queue with a fake clock: priority order, backoff, parking and moving.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type QueueClock, SchedulingQueue } from './queue.js';

class Clock implements QueueClock {
  t = 1_000_000;
  timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
  }
}

describe('SchedulingQueue', () => {
  it('pops higher priority first, then FIFO', async () => {
    const q = new SchedulingQueue(new Clock());
    q.add('a');
    q.add('b', 10);
    q.add('c');
    assert.deepEqual([await q.pop(), await q.pop(), await q.pop()], ['b', 'a', 'c']);
  });

  it('a pod added twice is queued once', async () => {
    const q = new SchedulingQueue(new Clock());
    q.add('a');
    q.add('a');
    assert.equal(await q.pop(), 'a');
    assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, inflight: 1 });
  });

  it('unschedulable pods wait for a cluster change, then honour their backoff', async () => {
    const clock = new Clock();
    const q = new SchedulingQueue(clock);
    q.add('a');
    await q.pop();
    q.unschedulable('a');
    assert.equal(q.counts().unschedulable, 1);
    clock.advance(200);
    q.moveAllToActiveOrBackoff(); // still within the 1s backoff
    assert.equal(q.counts().backoff, 1);
    clock.advance(800);
    assert.equal(await q.pop(), 'a');
  });

  it('backoff doubles per attempt up to 10s', () => {
    const q = new SchedulingQueue(new Clock());
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => q.backoffMs(n)), [1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('a change during the attempt sends the pod to backoff instead of parking it', async () => {
    const clock = new Clock();
    const q = new SchedulingQueue(clock);
    q.add('a');
    await q.pop();
    q.moveAllToActiveOrBackoff();
    q.unschedulable('a');
    assert.equal(q.counts().backoff, 1);
    clock.advance(1000);
    assert.equal(await q.pop(), 'a');
  });

  it('parked pods are retried after 5 minutes anyway', async () => {
    const clock = new Clock();
    const q = new SchedulingQueue(clock);
    q.add('a');
    await q.pop();
    q.unschedulable('a');
    for (let i = 0; i < 10; i++) clock.advance(30_000);
    assert.equal(q.counts().active, 1);
  });

  it('a waiting pop resolves when a pod arrives; close ends it', async () => {
    const q = new SchedulingQueue(new Clock());
    const p = q.pop();
    q.add('x');
    assert.equal(await p, 'x');
    const p2 = q.pop();
    q.close();
    assert.equal(await p2, undefined);
  });

  it('deleted pods are skipped', async () => {
    const q = new SchedulingQueue(new Clock());
    q.add('a');
    q.add('b');
    q.delete('a');
    assert.equal(await q.pop(), 'b');
  });
});
