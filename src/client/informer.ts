// Informer: list, then watch from the list's resourceVersion (with bookmarks),
// keeping a local cache and telling handlers what changed.
//  - A dropped or timed-out watch resumes from the last resourceVersion seen.
//  - 410 Gone (resourceVersion compacted) triggers a full relist; the new list is
//    diffed against the cache so handlers see exactly the adds, updates and deletes
//    they missed. Objects that vanished while we were not watching are reported as
//    DeletedFinalStateUnknown tombstones carrying the last state we knew.
import { ApiError } from '../api/errors.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import type { ListOptions, WatchOptions, WatchStream } from './client.js';
import { ObjectCache, objectKey, type Indexers } from './cache.js';
import type { ObjectLike } from './resources.js';

/** What an informer needs from the API: ResourceClient satisfies it; tests may fake it. */
export interface ListerWatcher<T> {
  listAll(ns: string | undefined, opts?: Omit<ListOptions, 'continue'>): Promise<{ items: T[]; resourceVersion: string }>;
  watch(ns: string | undefined, opts?: WatchOptions): WatchStream<T>;
}

/** A delete whose final state we did not observe (it happened while we were not watching). */
export class DeletedFinalStateUnknown<T> {
  constructor(
    readonly key: string,
    /** The last state the cache held. */
    readonly obj: T,
  ) {}
}

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

/** Unwraps a tombstone to the last known object. */
export function finalState<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}

export interface InformerOptions<T> {
  /** Limit to one namespace; undefined = all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Indexers<T>;
  clock?: Clock;
  /** Server-side watch timeout; a fresh watch is started from the last RV when it ends. Default 300–600 s randomised. */
  watchTimeoutSeconds?: number;
  /** Retry delay after an error: starts here and doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Where errors are reported (default console.error). */
  onError?(err: unknown): void;
  name?: string;
}

export class Informer<T extends ObjectLike> {
  readonly cache: ObjectCache<T>;
  readonly name: string;
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly clock: Clock;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private running = false;
  private stopped = false;
  private abort = new AbortController();
  private lastResourceVersion = '';
  private loop: Promise<void> | undefined;
  private sleepTimer: { timer: TimerHandle; resolve: () => void } | undefined;
  /** Times a full list was made (tests observe relists). */
  listCount = 0;

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.cache = new ObjectCache<T>(opts.indexers ?? {});
    this.clock = opts.clock ?? realClock;
    this.name = opts.name ?? 'informer';
  }

  /** Registers handlers; if the cache already has objects, they are replayed as adds. */
  addEventHandler(handlers: EventHandlers<T>): void {
    this.handlers.push(handlers);
    if (this.synced && handlers.onAdd) for (const obj of this.cache.list()) this.safe(() => handlers.onAdd!(obj));
  }

  addIndexers(indexers: Indexers<T>): void {
    this.cache.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => resolve(true);
      this.syncWaiters.push(done);
      signal?.addEventListener('abort', () => resolve(false), { once: true });
    });
  }

  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.sleepTimer) {
      this.sleepTimer.timer.cancel();
      this.sleepTimer.resolve();
    }
    await this.loop;
  }

  private reportError(err: unknown): void {
    if (this.opts.onError) this.opts.onError(err);
    else console.error(`[${this.name}]`, err instanceof Error ? err.message : err);
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.reportError(err);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(() => {
        this.sleepTimer = undefined;
        resolve();
      }, ms);
      this.sleepTimer = { timer, resolve };
    });
  }

  private watchTimeout(): number {
    return this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
  }

  private async run(): Promise<void> {
    const initialBackoff = this.opts.initialBackoffMs ?? 200;
    const maxBackoff = this.opts.maxBackoffMs ?? 30_000;
    let backoff = initialBackoff;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          this.listCount++;
          const { items, resourceVersion } = await this.lw.listAll(this.opts.namespace, {
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          });
          if (this.stopped) break;
          this.replace(items);
          this.lastResourceVersion = resourceVersion;
          needList = false;
          this.markSynced();
        }
        const started = this.clock.now();
        let events = 0;
        const stream = this.lw.watch(this.opts.namespace, {
          resourceVersion: this.lastResourceVersion,
          allowWatchBookmarks: true,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          timeoutSeconds: this.watchTimeout(),
          signal: this.abort.signal,
        });
        for await (const event of stream) {
          if (this.stopped) break;
          events++;
          this.apply(event.type, event.object);
        }
        // A watch that ends at once without events would spin: slow it down like an error.
        if (events === 0 && this.clock.now() - started < 50 && !this.stopped) {
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, maxBackoff);
        } else backoff = initialBackoff;
      } catch (err) {
        if (this.stopped) break;
        if (!needList && err instanceof ApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone')) {
          // Our resourceVersion was compacted: start over with a full list (no delay, as client-go).
          // A 410 from the list itself falls through to the backoff below, so it cannot spin.
          needList = true;
          continue;
        }
        this.reportError(err);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private apply(type: string, obj: T): void {
    const rv = obj.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      if (rv) this.lastResourceVersion = rv;
      return;
    }
    const key = objectKey(obj);
    if (type === 'ADDED' || type === 'MODIFIED') {
      const old = this.cache.set(key, obj);
      if (old) for (const h of this.handlers) h.onUpdate && this.safe(() => h.onUpdate!(old, obj));
      else for (const h of this.handlers) h.onAdd && this.safe(() => h.onAdd!(obj));
    } else if (type === 'DELETED') {
      this.cache.delete(key);
      for (const h of this.handlers) h.onDelete && this.safe(() => h.onDelete!(obj));
    }
    if (rv) this.lastResourceVersion = rv;
  }

  /** Replaces the cache with a fresh list, emitting the difference. */
  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.cache.set(key, obj);
      if (!old) for (const h of this.handlers) h.onAdd && this.safe(() => h.onAdd!(obj));
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        for (const h of this.handlers) h.onUpdate && this.safe(() => h.onUpdate!(old, obj));
    }
    const gone: string[] = [];
    for (const key of this.cache.keys()) if (!seen.has(key)) gone.push(key);
    for (const key of gone) {
      const old = this.cache.delete(key)!;
      const tombstone = new DeletedFinalStateUnknown<T>(key, old);
      for (const h of this.handlers) h.onDelete && this.safe(() => h.onDelete!(tombstone));
    }
  }
}
