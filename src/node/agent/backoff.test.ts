import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMessage, DEFAULT_BACKOFF, formatDuration, nextBackoff, remainingBackoff, type BackoffEntry } from './backoff.js';

test('crash-loop back-off doubles from 10s and caps at 5m', () => {
  let entry: BackoffEntry | undefined;
  const delays: string[] = [];
  for (let i = 0; i < 8; i++) {
    entry = nextBackoff(entry, 1000, DEFAULT_BACKOFF);
    delays.push(formatDuration(entry.delayMs));
  }
  assert.deepEqual(delays, ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s', '5m0s']);
});

test('back-off resets after ten minutes of running', () => {
  const long = nextBackoff({ delayMs: 160_000 }, 600_000, DEFAULT_BACKOFF);
  assert.equal(long.delayMs, 10_000);
  assert.equal(remainingBackoff({ delayMs: 160_000 }, 1000, 600_000, 2000, DEFAULT_BACKOFF), 0);
});

test('remaining back-off counts from the exit', () => {
  assert.equal(remainingBackoff(undefined, 0, 0, 0, DEFAULT_BACKOFF), 0, 'first exit restarts at once');
  assert.equal(remainingBackoff({ delayMs: 10_000 }, 5_000, 100, 7_000, DEFAULT_BACKOFF), 8_000);
  assert.equal(remainingBackoff({ delayMs: 10_000 }, 5_000, 100, 15_000, DEFAULT_BACKOFF), 0);
  const short = { ...DEFAULT_BACKOFF, baseMs: 200 };
  assert.equal(nextBackoff(undefined, 0, short).delayMs, 200);
});

test('back-off message matches the kubelet', () => {
  assert.equal(backoffMessage(20_000, 'web', { name: 'p', namespace: 'default', uid: 'u-1' }),
    'back-off 20s restarting failed container=web pod=p_default(u-1)');
});
