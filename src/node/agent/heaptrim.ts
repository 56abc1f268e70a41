// Giving the V8 heap back. A burst of pods (sandboxes, status writes, events, watch traffic) takes the agent's
// heap from ~9 MB to ~17 MB, and probing 50 pods every second keeps it churning: V8 then frees what is dead but
// keeps the pages (its memory reducer waits for an allocation lull that never comes), so the heap stays at
// its high-water mark. A compacting full collection, run when the heap has grown a little and the agent is
// not mid-burst, gives the pages back: with 50 pods, ~11 MB instead of ~16 MB of heap and ~5 MB less RSS,
// for a 30–100 ms collection every few seconds (measured with bench/pods, docs/benchmarks.md).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';

export interface HeapTrimSettings {
  /** How often the heap is looked at (ms). */
  intervalMs: number;
  /** Collect when the heap has grown this many bytes over its size after the last collection. */
  growthBytes: number;
  /** Pods being worked on defer a collection by at most this long (ms) once the heap has grown. */
  maxDeferMs: number;
}

export const DEFAULT_HEAP_TRIM: HeapTrimSettings = { intervalMs: 1000, growthBytes: 2 ** 20, maxDeferMs: 5000 };

/**
 * Whether to collect now: the heap has grown, and no pod is being worked on (a collection pauses the agent
 * for 30–100 ms, more on a loaded machine: preferably not while a pod is being started or its status
 * written) or it has waited maxDeferMs for that (pods keep a busy node's workers going for long stretches).
 * Worked example with the defaults: after the last collection the heap was 10.7 MB; a burst takes it to
 * 17.5 MB while pods start: wait; once the last pod worker is done (or 5 s on): 17.5 > 10.7 + 1, collect
 * (back to 11 MB). Probing 50 pods then grows it by ~1 MB in 2–7 s.
 */
export function shouldTrimHeap(heapBytes: number, heapAfterLastTrim: number, podsBusy: boolean, grownForMs: number, settings: HeapTrimSettings): boolean {
  return heapBytes > heapAfterLastTrim + settings.growthBytes && (!podsBusy || grownForMs >= settings.maxDeferMs);
}

type FullGc = () => void;

/**
 * A full collection that also compacts: V8's gc() alone frees what is dead but keeps the pages it was on
 * (the heap stays at its high-water mark); moving the survivors together lets it give whole pages back.
 * The flag is set for this one collection only.
 * V8's gc() is had without starting node with --expose-gc: the flag, set at run time, installs gc() in
 * contexts created after it, so a throwaway context hands it over. Undefined if this V8 refuses.
 */
function compactingGc(): FullGc | undefined {
  let gc: unknown = (globalThis as { gc?: unknown }).gc;
  try {
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc');
    }
  } catch {
    return undefined;
  }
  if (typeof gc !== 'function') return undefined;
  const full = gc as FullGc;
  return () => {
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      full();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}

export interface HeapTrimmer {
  /** Full collections run so far. */
  readonly trims: number;
  stop(): void;
}

/**
 * Looks at the heap every intervalMs and runs a compacting collection when shouldTrimHeap says so.
 * Meant for a process that is the agent alone (`kujira agent`); podsBusy tells whether pods are being worked on.
 */
export function startHeapTrimmer(podsBusy: () => boolean, settings: HeapTrimSettings = DEFAULT_HEAP_TRIM): HeapTrimmer {
  const gc = compactingGc();
  let trims = 0;
  // Zero: the first quiet tick collects what starting and joining left behind.
  let heapAfterLastTrim = 0;
  // Since when the heap has been over the allowance (for maxDeferMs).
  let grownSince: number | undefined;
  const timer = gc && setInterval(() => {
    const heap = getHeapStatistics().total_heap_size;
    const now = performance.now();
    if (heap <= heapAfterLastTrim + settings.growthBytes) grownSince = undefined;
    else grownSince ??= now;
    if (!shouldTrimHeap(heap, heapAfterLastTrim, podsBusy(), now - (grownSince ?? now), settings)) return;
    gc();
    trims++;
    grownSince = undefined;
    heapAfterLastTrim = getHeapStatistics().total_heap_size;
  }, settings.intervalMs);
  timer?.unref();
  return {
    get trims() { return trims; },
    stop: () => clearInterval(timer),
  };
}
