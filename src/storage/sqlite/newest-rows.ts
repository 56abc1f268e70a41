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
  /** Shared with the writer and watchers, never copied: nobody changes a stored value's bytes. */
  value: Buffer;
}

export class NewestRows {
  /** Insertion order is recency of the last write: the first entry is evicted first. */
  private readonly rows = new Map<string, NewestRow>();
  /**
   * Cached values per memory block. A small Buffer is often a view into a shared 8 KiB pool
   * slab (Buffer.from(string) makes those), and keeping it keeps the whole slab: so the
   * bound counts whole blocks, each once. (Copying each value out instead costs more CPU per
   * write than the SELECT it saves.)
   */
  private readonly blocks = new Map<ArrayBufferLike, number>();
  private blockBytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  /** Bytes of memory the cached values keep alive. */
  get bytes(): number {
    return this.blockBytes;
  }

  /** The key's newest row when known; counts a hit or a miss. */
  get(key: string): NewestRow | undefined {
    const row = this.rows.get(key);
    if (row) this.hits++;
    else this.misses++;
    return row;
  }

  /** Records the key's newest row as the most recent entry; evicts the oldest past either bound. */
  set(key: string, row: NewestRow): void {
    if (this.maxEntries <= 0) return;
    this.delete(key);
    this.rows.set(key, row);
    this.retain(row.value.buffer);
    while (this.rows.size > this.maxEntries || this.blockBytes > this.maxBytes) {
      const oldest = this.rows.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  /** Caches a row a read found, unless the key is already known (a read never reorders entries). */
  remember(key: string, row: NewestRow): void {
    if (!this.rows.has(key)) this.set(key, row);
  }

  /** Drops the key when its cached newest row is the row `id` (a row that no longer exists). */
  forget(key: string, id: number): void {
    if (this.rows.get(key)?.id === id) this.delete(key);
  }

  private delete(key: string): void {
    const row = this.rows.get(key);
    if (!row) return;
    this.rows.delete(key);
    const block = row.value.buffer;
    const refs = this.blocks.get(block)!;
    if (refs > 1) {
      this.blocks.set(block, refs - 1);
    } else {
      this.blocks.delete(block);
      this.blockBytes -= block.byteLength;
    }
  }

  private retain(block: ArrayBufferLike): void {
    const refs = this.blocks.get(block);
    if (refs !== undefined) {
      this.blocks.set(block, refs + 1);
    } else {
      this.blocks.set(block, 1);
      this.blockBytes += block.byteLength;
    }
  }
}
