// The scheduling queue, as kube-scheduler keeps it:
//  - activeQ: pods to try now, highest priority first, then oldest first;
//  - backoffQ: pods that failed recently, waiting 1s, 2s, 4s … up to 10s per attempt;
//  - unschedulable: pods no node fits, parked until the cluster changes (a node is added
//    or changes, a pod goes away) or 5 minutes pass.
// The queue holds keys only; the scheduler re-reads the pod from its informer.
import { MinHeap } from '../node/shared/heap.js';

export interface QueueClock {
  now(): number;
  setTimer(fn: () => void, ms: number): { cancel(): void };
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
}

interface Entry {
  key: string;
  priority: number;
  attempts: number;
  /** When the last attempt failed; backoff counts from here. */
  failedAt: number;
  where: 'active' | 'backoff' | 'unschedulable' | 'inflight';
  /** Bumped whenever the entry is re-queued, so stale heap items are skipped. */
  gen: number;
  /** moveCycle when this attempt was popped. */
  poppedCycle: number;
}

export class SchedulingQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly active = new MinHeap<{ key: string; gen: number }>();
  private readonly backoff = new MinHeap<{ key: string; gen: number }>();
  private activeSeq = 0;
  private moveCycle = 0;
  private waiters: Array<(key: string | undefined) => void> = [];
  private timer: { cancel(): void; at: number } | undefined;
  private unschedTimer: { cancel(): void } | undefined;
  private closed = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;

  constructor(
    private readonly clock: QueueClock,
    opts: QueueOptions = {},
  ) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 300_000;
  }

  get size(): number {
    return this.entries.size;
  }

  /** counts per place, for tests and metrics */
  counts(): Record<Entry['where'], number> {
    const c = { active: 0, backoff: 0, unschedulable: 0, inflight: 0 };
    for (const e of this.entries.values()) c[e.where]++;
    return c;
  }

  /** A pending pod appeared or its spec changed: try it (now, or after its backoff). */
  add(key: string, priority = 0): void {
    if (this.closed) return;
    const e = this.entries.get(key);
    if (!e) {
      const fresh: Entry = { key, priority, attempts: 0, failedAt: 0, where: 'active', gen: 0, poppedCycle: 0 };
      this.entries.set(key, fresh);
      this.pushActive(fresh);
      return;
    }
    e.priority = priority;
    if (e.where === 'unschedulable') this.requeue(e);
  }

  /** The pod is gone or bound: forget it. */
  delete(key: string): void {
    const e = this.entries.get(key);
    if (e) e.gen++;
    this.entries.delete(key);
  }

  /** Waits for the next pod to try; undefined once closed. */
  pop(): Promise<string | undefined> {
    const key = this.tryPop();
    if (key !== undefined || this.closed) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private tryPop(): string | undefined {
    this.flushBackoff();
    while (this.active.size > 0) {
      const item = this.active.pop()!;
      const e = this.entries.get(item.key);
      if (!e || e.gen !== item.gen || e.where !== 'active') continue;
      e.where = 'inflight';
      e.poppedCycle = this.moveCycle;
      return e.key;
    }
    return undefined;
  }

  /**
   * No node fits. Parked as unschedulable, unless the cluster changed while the attempt
   * ran (then the answer may already be stale: back off and retry).
   */
  unschedulable(key: string): void {
    const e = this.entries.get(key);
    if (!e || e.where !== 'inflight') return;
    e.attempts++;
    e.failedAt = this.clock.now();
    e.gen++;
    if (this.moveCycle > e.poppedCycle) this.pushBackoff(e);
    else {
      e.where = 'unschedulable';
      this.armUnschedulable();
    }
  }

  /** An error (a failed bind): retry after backoff. */
  retry(key: string): void {
    const e = this.entries.get(key);
    if (!e || e.where !== 'inflight') return;
    e.attempts++;
    e.failedAt = this.clock.now();
    e.gen++;
    this.pushBackoff(e);
  }

  /** The attempt succeeded (bound or assumed): the pod leaves the queue. */
  done(key: string): void {
    const e = this.entries.get(key);
    if (e?.where === 'inflight') this.delete(key);
  }

  /** The cluster changed in a way that may make parked pods fit: move them all. */
  moveAllToActiveOrBackoff(): void {
    this.moveCycle++;
    for (const e of this.entries.values()) if (e.where === 'unschedulable') this.requeue(e);
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.unschedTimer?.cancel();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  backoffMs(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.initialBackoffMs * 2 ** (attempts - 1), this.maxBackoffMs);
  }

  private requeue(e: Entry): void {
    e.gen++;
    if (this.clock.now() < e.failedAt + this.backoffMs(e.attempts)) this.pushBackoff(e);
    else this.pushActive(e);
  }

  private pushActive(e: Entry): void {
    e.where = 'active';
    // Higher priority first; FIFO within a priority.
    this.active.push(-e.priority * 1e12 + this.activeSeq++, { key: e.key, gen: e.gen });
    const w = this.waiters.shift();
    if (w) {
      const key = this.tryPop();
      if (key !== undefined) w(key);
      else this.waiters.unshift(w);
    }
  }

  private pushBackoff(e: Entry): void {
    e.where = 'backoff';
    this.backoff.push(e.failedAt + this.backoffMs(e.attempts), { key: e.key, gen: e.gen });
    this.arm();
  }

  private flushBackoff(): void {
    const now = this.clock.now();
    while (this.backoff.size > 0 && this.backoff.peekKey()! <= now) {
      const item = this.backoff.pop()!;
      const e = this.entries.get(item.key);
      if (!e || e.gen !== item.gen || e.where !== 'backoff') continue;
      e.gen++;
      this.pushActive(e);
    }
  }

  /** Pods parked longer than maxUnschedulableMs are tried again, checked on a slow periodic timer. */
  private flushUnschedulable(): void {
    const now = this.clock.now();
    let left = 0;
    for (const e of this.entries.values()) {
      if (e.where !== 'unschedulable') continue;
      if (now - e.failedAt >= this.maxUnschedulableMs) this.requeue(e);
      else left++;
    }
    if (left > 0) this.armUnschedulable();
  }

  private armUnschedulable(): void {
    if (this.unschedTimer || this.closed) return;
    this.unschedTimer = this.clock.setTimer(() => {
      this.unschedTimer = undefined;
      this.flushUnschedulable();
    }, Math.min(30_000, this.maxUnschedulableMs));
  }

  /** One timer for the earliest backoff expiry. */
  private arm(): void {
    if (this.closed) return;
    const at = this.backoff.peekKey();
    if (at === undefined) return;
    if (this.timer && this.timer.at <= at) return;
    this.timer?.cancel();
    const handle = this.clock.setTimer(() => {
      this.timer = undefined;
      this.flushBackoff();
      this.arm();
    }, at - this.clock.now());
    this.timer = { cancel: () => handle.cancel(), at };
  }
}
