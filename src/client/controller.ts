// The one worker skeleton every controller uses: wait for caches, then N workers
// take keys from the queue and reconcile them. Success forgets the key's backoff
// (and honours requeueAfterMs); failure requeues it with per-key exponential backoff.
import type { WorkQueue } from './workqueue.js';

export type ReconcileResult = { requeueAfterMs?: number } | void;

export interface ControllerSpec<K> {
  name: string;
  queue: WorkQueue<K>;
  workers: number;
  reconcile(key: K): Promise<ReconcileResult>;
  /** Informers whose caches must be synced before the first reconcile. */
  waitFor?: Array<{ waitForSync(signal?: AbortSignal): Promise<boolean> }>;
  onError?(key: K, err: unknown): void;
}

export interface RunningController {
  stop(): Promise<void>;
  /** Resolves when every worker has exited. */
  readonly done: Promise<void>;
}

export function runController<K>(spec: ControllerSpec<K>): RunningController {
  const abort = new AbortController();
  const report =
    spec.onError ??
    ((key: K, err: unknown) => {
      // A conflict only means we decided from a stale copy; the retry reads the new one.
      if ((err as { code?: number }).code === 409) return;
      console.error(`[${spec.name}] error syncing ${String(key)}:`, err instanceof Error ? err.message : err);
    });

  async function worker(): Promise<void> {
    for (;;) {
      const item = await spec.queue.get();
      if (item.shutdown) return;
      const key = item.key;
      try {
        const result = await spec.reconcile(key);
        spec.queue.forget(key);
        if (result && result.requeueAfterMs !== undefined) spec.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        report(key, err);
        spec.queue.addRateLimited(key);
      } finally {
        spec.queue.done(key);
      }
    }
  }

  const done = (async () => {
    const synced = await Promise.all((spec.waitFor ?? []).map((i) => i.waitForSync(abort.signal)));
    if (abort.signal.aborted || !synced.every(Boolean)) return;
    await Promise.all(Array.from({ length: Math.max(1, spec.workers) }, () => worker()));
  })();

  return {
    done,
    async stop() {
      abort.abort();
      spec.queue.shutDown();
      await done;
    },
  };
}
