// Expectations: a controller records the writes it has sent ("I expect 3 creations")
// and counts them down as its informer observes them. Until they are met (or
// expire after a TTL, in case a watch event was lost), the controller must not act
// on that key again, or it would create or delete twice.
// Deletions are tracked by the dependent's key so a delete observed twice (watch
// event, then a relist tombstone) counts once.
import { realClock, type Clock } from './clock.js';

/** Kubernetes' ExpectationsTimeout: 5 minutes. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Record {
  adds: number;
  dels: number;
  deleteKeys: Set<string>;
  at: number;
}

export class Expectations {
  private readonly records = new Map<string, Record>();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(opts: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttlMs = opts.ttlMs ?? EXPECTATIONS_TTL_MS;
  }

  /** Replaces any expectation for `key` with `count` creations. */
  expectCreations(key: string, count: number): void {
    this.records.set(key, { adds: count, dels: 0, deleteKeys: new Set(), at: this.clock.now() });
  }

  /** Replaces any expectation for `key` with deletions of exactly these dependents. */
  expectDeletions(key: string, dependentKeys: string[]): void {
    this.records.set(key, { adds: 0, dels: dependentKeys.length, deleteKeys: new Set(dependentKeys), at: this.clock.now() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r && r.adds > 0) r.adds--;
  }

  /** Counts a deletion only if `dependentKey` was expected (and only once). */
  deletionObserved(key: string, dependentKey: string): void {
    const r = this.records.get(key);
    if (r && r.deleteKeys.delete(dependentKey)) r.dels--;
  }

  /** A write failed, so its event will never come: expect fewer. */
  lowerExpectations(key: string, adds: number, deletedKeys: string[] = []): void {
    const r = this.records.get(key);
    if (!r) return;
    r.adds = Math.max(0, r.adds - adds);
    for (const k of deletedKeys) if (r.deleteKeys.delete(k)) r.dels--;
  }

  /** True when nothing is pending for `key`: no record, all observed, or the record expired. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.adds <= 0 && r.dels <= 0) return true;
    return this.clock.now() - r.at > this.ttlMs;
  }

  /** Pending counts, for logs and tests. */
  pending(key: string): { adds: number; dels: number } | undefined {
    const r = this.records.get(key);
    return r && { adds: r.adds, dels: r.dels };
  }

  /** Forget `key` entirely (its owner was deleted). */
  delete(key: string): void {
    this.records.delete(key);
  }
}
