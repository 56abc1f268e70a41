// A bounded in-memory copy of each recently written key's newest row, so the hot path
// (compare-and-swap in a write, get before an update) needs no SELECT. It only ever holds
// committed rows: SqliteStore fills it after its batch transaction commits. A miss falls
// back to SQLite, so evicting any entry at any time is always correct.

/** A key's newest row in the kv table. */
export interface NewestRow {
  /** The row id: the key's modRevision (or the deletion's revision for a tombstone). */
  id: number;
  createRevision: number;
  deleted: boolean;
  /** Never changed by the store or its callers once written. */
  value: Buffer;
}

export class NewestRows {
  /** Insertion order is recency of the last write: the first entry is evicted first. */
  private readonly rows = new Map<string, NewestRow>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.rows.size;
  }

  /** The key's newest row when known; counts a hit or a miss. */
  get(key: string): NewestRow | undefined {
    const row = this.rows.get(key);
    if (row) this.hits++;
    else this.misses++;
    return row;
  }

  /** Records the key's newest row, making it the most recent entry; evicts the oldest past the bound. */
  set(key: string, row: NewestRow): void {
    if (this.maxEntries <= 0) return;
    const value = ownBytes(row.value);
    this.rows.delete(key);
    this.rows.set(key, value === row.value ? row : { ...row, value });
    if (this.rows.size > this.maxEntries) {
      const oldest = this.rows.keys().next();
      if (!oldest.done) this.rows.delete(oldest.value);
    }
  }

  /** Caches a row a read found, unless the key is already known (a read never reorders entries). */
  remember(key: string, row: NewestRow): void {
    if (!this.rows.has(key)) this.set(key, row);
  }

  /** Drops the key when its cached newest row is the row `id` (a row that no longer exists). */
  forget(key: string, id: number): void {
    if (this.rows.get(key)?.id === id) this.rows.delete(key);
  }
}

/**
 * The value in a memory block of its own. A small Buffer is often a view into a shared 8 KiB
 * pool slab (Buffer.from(string) makes those): kept for long, it would pin the whole slab.
 */
function ownBytes(value: Buffer): Buffer {
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
  const own = Buffer.allocUnsafeSlow(value.byteLength);
  value.copy(own);
  return own;
}
