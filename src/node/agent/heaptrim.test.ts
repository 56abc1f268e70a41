import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { DEFAULT_HEAP_TRIM, shouldTrimHeap, startHeapTrimmer } from './heaptrim.js';

const MB = 2 ** 20;

test('the heap is collected once it has grown and no pod is being worked on', () => {
  const table: [string, number, number, boolean, number, boolean][] = [
    ['grown by more than the allowance, no pod being worked on', 17.5, 10.7, false, 0, true],
    ['grown, but pods are starting', 17.5, 10.7, true, 1000, false],
    ['grown, pods still being worked on after 5 s', 17.5, 10.7, true, 5000, true],
    ['grown by less than the allowance', 11.5, 10.7, false, 9000, false],
    ['smaller than after the last collection', 9, 10.7, false, 0, false],
  ];
  for (const [name, heap, after, busy, grownForMs, want] of table) {
    assert.equal(shouldTrimHeap(heap * MB, after * MB, busy, grownForMs, DEFAULT_HEAP_TRIM), want, name);
  }
});

test('the trimmer compacts a heap left fragmented by garbage', async () => {
  // Survivors spread over many pages, the rest garbage: a plain collection would keep every page.
  const kept: object[] = [];
  let garbage: object[] | null = [];
  for (let i = 0; i < 200_000; i++) {
    const o = { i, s: `item ${i}`, pair: [i, i] };
    garbage.push(o);
    if (i % 50 === 0) kept.push(o);
  }
  garbage = null;
  const before = getHeapStatistics().total_heap_size;
  const trimmer = startHeapTrimmer(() => false, { intervalMs: 20, growthBytes: 0, maxDeferMs: 0 });
  try {
    const deadline = Date.now() + 10_000;
    while (trimmer.trims === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(trimmer.trims > 0, 'a collection ran');
    const after = getHeapStatistics().total_heap_size;
    assert.ok(after < before - 5 * MB, `heap ${(before / MB).toFixed(1)} MB → ${(after / MB).toFixed(1)} MB`);
    assert.equal(kept.length, 4000);
  } finally {
    trimmer.stop();
  }
});
