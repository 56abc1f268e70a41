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

/**
 * The versions of objects a controller wrote itself, per owner key. A write's
 * response carries the object's new resourceVersion; until the informer's cache
 * holds that object at least at that version, the cache is older than our own
 * write and a sync deciding from it would act twice (scale up again, say).
 * Example: the Deployment controller scales web-abc 2 → 3 and gets back rv 120;
 * while its cache still holds web-abc at rv 110, `pending('ns/web', …)` names
 * web-abc and the sync waits for the informer (whose update event requeues it).
 */
export class WrittenVersions {
  private readonly records = new Map<string, Map<string, { rv: string; at: number }>>();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(opts: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttlMs = opts.ttlMs ?? EXPECTATIONS_TTL_MS;
  }

  /** Remembers what a write under `ownerKey` returned. */
  written(ownerKey: string, obj: { metadata?: { uid?: string; resourceVersion?: string } }): void {
    const uid = obj.metadata?.uid;
    const rv = obj.metadata?.resourceVersion;
    if (!uid || !rv) return;
    let byUid = this.records.get(ownerKey);
    if (!byUid) this.records.set(ownerKey, (byUid = new Map()));
    const prev = byUid.get(uid);
    if (prev && !olderThan(prev.rv, rv)) return;
    byUid.set(uid, { rv, at: this.clock.now() });
  }

  /**
   * Uids under `ownerKey` whose cached version (`cachedVersion(uid)`, undefined when
   * not in the cache yet) is still older than our write. Caught-up and expired
   * records are dropped.
   */
  pending(ownerKey: string, cachedVersion: (uid: string) => string | undefined): string[] {
    const byUid = this.records.get(ownerKey);
    if (!byUid) return [];
    const out: string[] = [];
    const now = this.clock.now();
    for (const [uid, { rv, at }] of byUid) {
      const cached = cachedVersion(uid);
      if (now - at > this.ttlMs || (cached !== undefined && !olderThan(cached, rv))) byUid.delete(uid);
      else out.push(uid);
    }
    if (byUid.size === 0) this.records.delete(ownerKey);
    return out;
  }

  /** The object is gone: there is nothing left to wait for. */
  forgetObject(ownerKey: string, uid: string): void {
    const byUid = this.records.get(ownerKey);
    if (!byUid) return;
    byUid.delete(uid);
    if (byUid.size === 0) this.records.delete(ownerKey);
  }

  /** Forget `ownerKey` entirely (the owner was deleted). */
  delete(ownerKey: string): void {
    this.records.delete(ownerKey);
  }
}

/**
 * True when resourceVersion `a` is older than `b`. Our API server's versions are
 * decimal revisions (compared as BigInt: they may exceed 2^53); anything else is
 * opaque, so only equality can be known and a different version counts as older.
 */
function olderThan(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) < BigInt(b);
  return a !== b;
}
