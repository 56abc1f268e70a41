// Giving the V8 heap back. A burst of pods (sandboxes, status writes, events, watch traffic) takes the agent's
// heap from ~9 MB to ~17 MB, and probing 50 pods every second keeps it churning: V8 then frees what is dead but
// keeps the pages (its memory reducer waits for an allocation lull that never comes), so the heap stays at
// its high-water mark. A compacting full collection, run when the heap has grown a little and the agent is
// not mid-burst, gives the pages back: with 50 pods, ~11 MB instead of ~16 MB of heap and ~5 MB less RSS,
// for a 30–100 ms collection every few seconds (measured with bench/pods, docs/benchmarks.md).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapTrimSettings {
  /** How often the heap is looked at (ms). */
  intervalMs: number;
  /** Collect when the heap has grown this many bytes over its size after the last collection. */
  growthBytes: number;
}

export const DEFAULT_HEAP_TRIM: HeapTrimSettings = { intervalMs: 1000, growthBytes: 2 ** 20 };

/**
 * Whether to collect now: the heap has grown and no pod is being worked on (a collection pauses the agent
 * for 30–100 ms, more on a loaded machine: not while a pod is being started or its status written).
 * Worked example with the defaults: after the last collection the heap was 10.7 MB; a burst takes it to
 * 17.5 MB while pods start: wait; once the last pod worker is done: 17.5 > 10.7 + 1, collect (back to
 * 11 MB). Probing 50 pods then grows it by ~1 MB in 2–7 s.
 */
export function shouldTrimHeap(heapBytes: number, heapAfterLastTrim: number, podsBusy: boolean, settings: HeapTrimSettings): boolean {
  return !podsBusy && heapBytes > heapAfterLastTrim + settings.growthBytes;
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
  const timer = gc && setInterval(() => {
    if (!shouldTrimHeap(getHeapStatistics().total_heap_size, heapAfterLastTrim, podsBusy(), settings)) return;
    gc();
    trims++;
    heapAfterLastTrim = getHeapStatistics().total_heap_size;
  }, settings.intervalMs);
  timer?.unref();
  return {
    get trims() { return trims; },
    stop: () => clearInterval(timer),
  };
}
