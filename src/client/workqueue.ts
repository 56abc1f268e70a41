// A work queue with client-go's guarantees:
//  - a key added many times before a worker takes it is processed once (dirty set);
//  - a key being processed is never handed to a second worker; if it is added again
//    meanwhile, it is queued once more when the first worker calls done() (processing set);
//  - addAfter() delays, addRateLimited() delays by a per-key exponential backoff
//    (5 ms, 10 ms, 20 ms, ... capped at 1000 s) until forget() resets it.
import { realClock, type Clock, type TimerHandle } from './clock.js';

export interface RateLimiter<K> {
  /** How long to wait before retrying `key`; each call counts one more failure. */
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

/** Per-item exponential backoff: base * 2^failures, capped. */
export class ExponentialBackoffRateLimiter<K> implements RateLimiter<K> {
  private failures = new Map<K, number>();

  constructor(
    readonly baseDelayMs = 5,
    readonly maxDelayMs = 1_000_000,
  ) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity past n≈1024; the cap keeps it finite.
    return Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface WorkQueueOptions<K> {
  name?: string;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
}

export type QueueItem<K> = { key: K; shutdown: false } | { key: undefined; shutdown: true };

export class WorkQueue<K = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  // FIFO as an array with a moving head: O(1) amortised push/pop without shift().
  private items: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiting = new Map<K, { at: number; timer: TimerHandle }>();
  private waiters: Array<(item: QueueItem<K>) => void> = [];
  private shuttingDown = false;
  private drainWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.name = opts.name ?? 'queue';
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? new ExponentialBackoffRateLimiter<K>();
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter({ key, shutdown: false });
      return;
    }
    this.items.push(key);
  }

  /** Adds `key` after `ms`; an earlier pending deadline for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing) {
      if (existing.at <= at) return;
      existing.timer.cancel();
    }
    const timer = this.clock.setTimer(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Stops backoff tracking for `key` (call after a successful reconcile). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  /** Items waiting to be taken (excludes those being processed or delayed). */
  len(): number {
    return this.items.length - this.head;
  }

  /** Waits for the next key. Resolves `{ shutdown: true }` once shut down and drained. */
  get(): Promise<QueueItem<K>> {
    if (this.head < this.items.length) {
      const key = this.items[this.head++];
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve({ key, shutdown: false });
    }
    if (this.shuttingDown) return Promise.resolve({ key: undefined, shutdown: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added while processing, it is queued again now. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      if (this.shuttingDown) this.dirty.delete(key);
      else this.push(key);
    }
    if (this.processing.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting keys, cancels delayed ones, and releases idle workers. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) timer.cancel();
    this.waiting.clear();
    for (const w of this.waiters.splice(0)) w({ key: undefined, shutdown: true });
  }

  /** Shuts down and resolves once every key in flight is done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
}
