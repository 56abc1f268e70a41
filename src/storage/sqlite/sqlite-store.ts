// The SQLite backend of the Store contract (kine-inspired; schema in schema.ts and
// docs/architecture.md, "Storage schema").
//
// Writes are group-committed: every write requested in the same event-loop turn is applied
// in one transaction, each one individually compare-and-swapped against the newest row of
// its key, then acknowledged and fanned out to watchers together.
import fs from 'node:fs';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import {
  CompactedError,
  FutureRevisionError,
  StoreClosedError,
  type GetResult,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type Watch,
  type WatchCallbacks,
  type WatchEvent,
  type WatchOptions,
  type WriteResult,
} from '../store.js';
import { Fanout } from './fanout.js';
import { NewestRows, type NewestRow } from './newest-rows.js';
import { META, metaSet, openDb, type Db, type Durability } from './schema.js';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:' for tests. */
  path: string;
  /** How often old revisions are compacted automatically; 0 = never. Default 60 s. */
  compactionIntervalMs?: number;
  /** Automatic compaction keeps this many most recent revisions readable. Default 10,000. */
  compactionWindow?: number;
  /** Clock (ms) for idle-progress decisions. Default Date.now. */
  now?: () => number;
  /** Default 'process'; see Durability. */
  durability?: Durability;
  /** Idle watchers get a progress notification at most this often. Default 1000 ms; 0 = never. */
  progressIntervalMs?: number;
  /** Undelivered events a busy watcher may hold before it is ended. Default 10,000. */
  watchBufferSize?: number;
  /** How often the WAL is checkpointed and truncated. Default 30 s; 0 = only SQLite's own checkpoints. */
  checkpointIntervalMs?: number;
  /**
   * How many keys' newest rows are kept in memory so that writes and gets of recently written
   * keys need no SELECT. Default 50,000; 0 = none.
   */
  newestRowCacheSize?: number;
  /** Memory the cached rows' values may keep alive (counting whole Buffer pool slabs). Default 128 MiB. */
  newestRowCacheBytes?: number;
}

const MAX_BATCH = 1000;
const COMPACT_BATCH = 1000;
const REPLAY_CHUNK = 1000;
const EMPTY = Buffer.alloc(0);
const SELECT_NEWEST =
  'SELECT id, key, create_revision AS createRevision, deleted, value FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1';

interface Row {
  id: number;
  key: string;
  createRevision: number;
  deleted: number;
  value: Buffer;
}

interface HistoryRow extends Row {
  prevId: number | null;
  prevCreateRevision: number | null;
  prevValue: Buffer | null;
}

type WriteOp =
  | { kind: 'create'; key: string; value: Buffer }
  | { kind: 'update'; key: string; value: Buffer; expected: number }
  | { kind: 'delete'; key: string; expected: number | undefined };

interface PendingWrite {
  op: WriteOp;
  resolve(r: WriteResult): void;
  reject(err: Error): void;
}

/** A committed batch waiting for its fsync (durability 'fsync') before it is acknowledged. */
interface CommittedBatch {
  writes: PendingWrite[];
  results: WriteResult[];
  events: WatchEvent[];
  revision: number;
}

export class SqliteStore implements Store {
  /** Highest revision committed to the database (published ≤ revision). */
  private revision: number;
  private compactRev: number;
  private compactDone: number;
  private readonly fanout: Fanout;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private compaction: Promise<void> = Promise.resolve();
  private compactTarget = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly statements = new Map<string, Statement>();
  private readonly applyBatch: (
    writes: PendingWrite[],
    results: WriteResult[],
    events: WatchEvent[],
    batchRows: Map<string, NewestRow>,
  ) => void;
  /** Newest committed row of recently written keys (may include rows not yet published in 'fsync' mode). */
  private readonly newest: NewestRows;

  // fsync durability: batches committed but not yet fsynced, and the one fsync in flight.
  private awaitingSync: CommittedBatch[] = [];
  private syncing = false;
  private walFd: number | undefined;

  private constructor(
    private readonly db: Db,
    private readonly opts: Required<Omit<SqliteStoreOptions, 'path'>> & { path: string },
    opened: { revision: number; compactRevision: number; compactDone: number },
  ) {
    this.revision = opened.revision;
    this.compactRev = opened.compactRevision;
    this.compactDone = opened.compactDone;
    this.compactTarget = opened.compactRevision;
    this.newest = new NewestRows(opts.newestRowCacheSize, opts.newestRowCacheBytes);
    this.applyBatch = db.transaction(
      (writes: PendingWrite[], results: WriteResult[], events: WatchEvent[], batchRows: Map<string, NewestRow>) => {
        for (const w of writes) results.push(this.apply(w.op, events, batchRows));
      },
    );
    this.fanout = new Fanout(
      {
        read: (prefix, from, to, limit) => this.readHistory(prefix, from, to, limit),
        compactedRevision: () => this.compactRev,
      },
      opened.revision,
      {
        maxBuffered: opts.watchBufferSize,
        replayChunk: REPLAY_CHUNK,
        progressIntervalMs: opts.progressIntervalMs,
        now: opts.now,
      },
    );
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    const opts = {
      path: options.path,
      compactionIntervalMs: options.compactionIntervalMs ?? 60_000,
      compactionWindow: options.compactionWindow ?? 10_000,
      now: options.now ?? Date.now,
      durability: options.durability ?? 'process',
      progressIntervalMs: options.progressIntervalMs ?? 1000,
      watchBufferSize: options.watchBufferSize ?? 10_000,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 30_000,
      newestRowCacheSize: options.newestRowCacheSize ?? 50_000,
      newestRowCacheBytes: options.newestRowCacheBytes ?? 128 * 1024 * 1024,
    };
    const opened = openDb(opts.path);
    if (opts.durability === 'fsync' && opts.path !== ':memory:') {
      // The WAL file's directory entry must itself survive power loss.
      try {
        const dirFd = fs.openSync(path.dirname(path.resolve(opts.path)), 'r');
        try {
          fs.fsyncSync(dirFd);
        } finally {
          fs.closeSync(dirFd);
        }
      } catch (err) {
        opened.db.close();
        throw new Error(`cannot open store ${opts.path}: ${(err as Error).message}`, { cause: err });
      }
    }
    const store = new SqliteStore(opened.db, opts, opened);
    // An interrupted compaction is finished in the background.
    if (store.compactDone < store.compactRev) store.compaction = store.runCompaction().catch(() => {});
    store.startTimers();
    return store;
  }

  // ---- reads -------------------------------------------------------------------------------

  async get(key: string, opts?: { revision?: number }): Promise<GetResult> {
    this.assertOpen();
    const rev = this.readRevision(opts?.revision);
    // The cached row is the key's newest committed one; when it is ≤ rev (so also published),
    // it is the key's value at rev. A newer, committed but unpublished row ('fsync' mode) is
    // never served: the read goes to SQLite at rev instead.
    const cached = this.newest.get(key);
    if (cached && cached.id <= rev) {
      return { kv: cached.deleted ? undefined : kvOf(key, cached), revision: this.fanout.published };
    }
    const row = this.stmt(
      'SELECT id, key, create_revision AS createRevision, deleted, value FROM kv WHERE key = ? AND id <= ? ORDER BY id DESC LIMIT 1',
    ).get(key, rev) as Row | undefined;
    // At the newest committed revision the row found is the key's newest row.
    if (row && !cached && rev === this.revision) this.newest.remember(key, newestOf(row));
    return { kv: row && !row.deleted ? toKv(row) : undefined, revision: this.fanout.published };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const rev = this.readRevision(opts.revision);
    const end = prefixEnd(prefix);
    const start = opts.startKey !== undefined && opts.startKey > prefix ? opts.startKey : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    // A row is the key's value at `rev` when it is no tombstone and no newer row of the key is
    // ≤ rev. Walking kv_key_id in key order lets LIMIT stop early and needs no sort.
    const visible = `FROM kv k WHERE k.key >= @start ${end === undefined ? '' : 'AND k.key < @end'} AND k.id <= @rev
       AND k.deleted = 0 AND NOT EXISTS (SELECT 1 FROM kv n WHERE n.key = k.key AND n.id > k.id AND n.id <= @rev)`;
    const params: Record<string, string | number> = { start, rev };
    if (end !== undefined) params.end = end;
    // Raw arrays: a 10,000-key list is about a quarter faster without per-row objects.
    const rows = this.stmt(`SELECT k.id, k.key, k.create_revision, k.value ${visible} ORDER BY k.key LIMIT @limit`, true).all({
      ...params,
      limit: limit > 0 ? limit + 1 : -1,
    }) as [number, string, number, Buffer][];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    // etcd's count: every visible key from start to the prefix's end, whatever the limit.
    const count = more ? (this.stmt(`SELECT COUNT(*) ${visible}`).pluck().get(params) as number) : rows.length;
    const kvs = rows.map(([id, key, createRevision, value]): KeyValue => ({ key, value, createRevision, modRevision: id }));
    return { kvs, revision: rev, more, count };
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.fanout.published;
  }

  async compactedRevision(): Promise<number> {
    this.assertOpen();
    return this.compactRev;
  }

  /** Validates a requested read revision; 0/undefined means the newest published one. */
  private readRevision(requested: number | undefined): number {
    const current = this.fanout.published;
    if (!requested || requested <= 0) return current;
    if (requested < this.compactRev) throw new CompactedError(requested, this.compactRev);
    if (requested > current) throw new FutureRevisionError(requested, current);
    return requested;
  }

  // ---- writes ------------------------------------------------------------------------------

  create(key: string, value: Uint8Array): Promise<WriteResult> {
    return this.enqueue({ kind: 'create', key, value: toBuffer(value) });
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteResult> {
    return this.enqueue({ kind: 'update', key, value: toBuffer(value), expected: expectedModRevision });
  }

  delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    return this.enqueue({ kind: 'delete', key, expected: expectedModRevision });
  }

  private enqueue(op: WriteOp): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<WriteResult>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate runs after this turn's I/O callbacks: every request that arrived in
        // the same turn joins the same transaction.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits up to MAX_BATCH pending writes in one transaction. */
  private flush(): void {
    this.flushScheduled = false;
    const writes = this.pending.length <= MAX_BATCH ? this.pending : this.pending.slice(0, MAX_BATCH);
    this.pending = writes === this.pending ? [] : this.pending.slice(MAX_BATCH);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (writes.length === 0) return;
    const before = this.revision;
    const results: WriteResult[] = [];
    const events: WatchEvent[] = [];
    // The batch's view of its keys' newest rows; it reaches the cache only once committed.
    const batchRows = new Map<string, NewestRow>();
    try {
      this.applyBatch(writes, results, events, batchRows);
    } catch (err) {
      this.revision = before;
      const e = new Error(`store write failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      for (const w of writes) w.reject(e);
      return;
    }
    for (const [key, row] of batchRows) this.newest.set(key, row);
    const batch: CommittedBatch = { writes, results, events, revision: this.revision };
    if (this.opts.durability === 'fsync' && this.opts.path !== ':memory:') {
      this.awaitingSync.push(batch);
      this.syncWal();
    } else {
      this.acknowledge(batch);
    }
  }

  /** The key's newest row as this batch sees it: its own earlier writes, the cache, else SQLite. */
  private newestRow(key: string, batchRows: Map<string, NewestRow>): NewestRow | undefined {
    const known = batchRows.get(key) ?? this.newest.get(key);
    if (known) return known;
    const row = this.stmt(SELECT_NEWEST).get(key) as Row | undefined;
    if (!row) return undefined;
    const found = newestOf(row);
    batchRows.set(key, found);
    return found;
  }

  /** One guarded write inside the batch transaction. */
  private apply(op: WriteOp, events: WatchEvent[], batchRows: Map<string, NewestRow>): WriteResult {
    const cur = this.newestRow(op.key, batchRows);
    const current = cur && !cur.deleted ? kvOf(op.key, cur) : undefined;
    const prevRevision = cur ? cur.id : 0;
    switch (op.kind) {
      case 'create': {
        if (current) return { ok: false, current };
        const rev = this.revision + 1;
        if (!this.insert(rev, op.key, rev, prevRevision, 0, op.value)) return this.conflict(op.key, batchRows);
        batchRows.set(op.key, { id: rev, createRevision: rev, deleted: false, value: op.value });
        const kv: KeyValue = { key: op.key, value: op.value, createRevision: rev, modRevision: rev };
        events.push({ type: 'put', kv, prevKv: undefined });
        return { ok: true, revision: rev, kv };
      }
      case 'update': {
        if (!current || current.modRevision !== op.expected) return { ok: false, current };
        const rev = this.revision + 1;
        if (!this.insert(rev, op.key, current.createRevision, prevRevision, 0, op.value)) return this.conflict(op.key, batchRows);
        batchRows.set(op.key, { id: rev, createRevision: current.createRevision, deleted: false, value: op.value });
        const kv: KeyValue = { key: op.key, value: op.value, createRevision: current.createRevision, modRevision: rev };
        events.push({ type: 'put', kv, prevKv: current });
        return { ok: true, revision: rev, kv };
      }
      case 'delete': {
        if (!current || (op.expected !== undefined && current.modRevision !== op.expected)) {
          return { ok: false, current };
        }
        const rev = this.revision + 1;
        if (!this.insert(rev, op.key, current.createRevision, prevRevision, 1, EMPTY)) return this.conflict(op.key, batchRows);
        // The tombstone's id is the prev_revision of the key's next create.
        batchRows.set(op.key, { id: rev, createRevision: current.createRevision, deleted: true, value: EMPTY });
        events.push({
          type: 'delete',
          kv: { key: op.key, value: EMPTY, createRevision: 0, modRevision: rev },
          prevKv: current,
        });
        return { ok: true, revision: rev, kv: current };
      }
    }
  }

  /** Appends a row; false when (key, prev_revision) already has a successor (a racing writer won). */
  private insert(rev: number, key: string, createRevision: number, prevRevision: number, deleted: number, value: Buffer): boolean {
    try {
      this.stmt(
        'INSERT INTO kv (id, key, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(rev, key, createRevision, prevRevision, deleted, value);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw err;
    }
    this.revision = rev;
    return true;
  }

  /** A racing writer won: what the table holds now replaces whatever this batch believed. */
  private conflict(key: string, batchRows: Map<string, NewestRow>): WriteResult {
    const cur = this.stmt(SELECT_NEWEST).get(key) as Row | undefined;
    if (cur) batchRows.set(key, newestOf(cur));
    return { ok: false, current: cur && !cur.deleted ? toKv(cur) : undefined };
  }

  private acknowledge(batch: CommittedBatch): void {
    this.fanout.publish(batch.events, batch.revision);
    for (let i = 0; i < batch.writes.length; i++) batch.writes[i]!.resolve(batch.results[i]!);
  }

  /**
   * Durability 'fsync': fsync the WAL file on the thread pool (not blocking the event loop),
   * then acknowledge every batch committed before that fsync started. Batches committed while
   * an fsync is in flight share the next one.
   */
  private syncWal(): void {
    if (this.syncing || this.awaitingSync.length === 0) return;
    this.syncing = true;
    const covered = this.awaitingSync;
    this.awaitingSync = [];
    const done = (err: Error | null): void => {
      this.syncing = false;
      if (err) {
        const e = new Error(`store fsync failed: ${err.message}`, { cause: err });
        for (const b of covered) for (const w of b.writes) w.reject(e);
      } else {
        for (const b of covered) this.acknowledge(b);
      }
      this.syncWal();
    };
    try {
      this.walFd ??= fs.openSync(`${this.opts.path}-wal`, 'r+');
    } catch (err) {
      done(err as Error);
      return;
    }
    fs.fdatasync(this.walFd, done);
  }

  // ---- watch -------------------------------------------------------------------------------

  watch(prefix: string, opts: WatchOptions, cb: WatchCallbacks): Watch {
    if (this.closed) {
      cb.onError(new StoreClosedError());
      return { cancel() {}, requestProgress() {} };
    }
    return this.fanout.watch(prefix, opts.fromRevision ?? 0, cb);
  }

  /** Committed events for keys under prefix with revision in [from, to], oldest first. */
  private readHistory(prefix: string, from: number, to: number, limit: number): WatchEvent[] {
    const end = prefixEnd(prefix);
    const rows = this.stmt(
      `SELECT c.id, c.key, c.create_revision AS createRevision, c.deleted, c.value,
              p.id AS prevId, p.create_revision AS prevCreateRevision, p.value AS prevValue
       FROM kv c LEFT JOIN kv p ON p.id = c.prev_revision AND c.create_revision <> c.id AND p.deleted = 0
       WHERE c.id >= @from AND c.id <= @to AND c.key >= @start ${end === undefined ? '' : 'AND c.key < @end'}
       ORDER BY c.id LIMIT @limit`,
    ).all(end === undefined ? { from, to, start: prefix, limit } : { from, to, start: prefix, end, limit }) as HistoryRow[];
    return rows.map((r): WatchEvent => {
      const prevKv: KeyValue | undefined =
        r.prevId === null
          ? undefined
          : { key: r.key, value: r.prevValue!, createRevision: r.prevCreateRevision!, modRevision: r.prevId };
      if (r.deleted) {
        return { type: 'delete', kv: { key: r.key, value: EMPTY, createRevision: 0, modRevision: r.id }, prevKv };
      }
      return { type: 'put', kv: toKv(r), prevKv };
    });
  }

  // ---- compaction --------------------------------------------------------------------------

  /**
   * Makes revisions below `revision` unreadable and deletes the rows only they needed. The
   * compacted revision is recorded first (durably), then rows are deleted in bounded batches,
   * yielding to the event loop between them; an interrupted compaction resumes on open.
   */
  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision > this.fanout.published) throw new FutureRevisionError(revision, this.fanout.published);
    if (revision <= this.compactRev) {
      // Already recorded; wait for its deletions (maybe resumed from an earlier run) to finish.
      await this.compaction;
      return;
    }
    this.db.transaction(() => metaSet(this.db, META.compactRevision, revision))();
    this.compactRev = revision;
    this.compactTarget = revision;
    this.compaction = this.compaction.then(() => this.runCompaction());
    await this.compaction;
  }

  /**
   * A row can go once a newer row of its key exists below the compacted revision C: reads at
   * ≥ C never see it, and watch events at ≥ C never need it as prevKv. Tombstones below C go too.
   * So for every row s in [done, C): delete the row s superseded (s.prev_revision), and s itself
   * if it is a tombstone. The work is proportional to the writes since the last compaction.
   */
  private async runCompaction(): Promise<void> {
    const selectBatch = this.stmt(
      'SELECT id, prev_revision AS prev, deleted, key FROM kv WHERE id >= ? AND id < ? ORDER BY id LIMIT ?',
    );
    const del = this.stmt('DELETE FROM kv WHERE id = ?');
    const step = this.db.transaction((from: number, target: number): number => {
      const rows = selectBatch.all(from, target, COMPACT_BATCH) as { id: number; prev: number; deleted: number; key: string }[];
      for (const r of rows) {
        // A superseded row is never its key's newest, but a tombstone may be: then the key has
        // no row left, and its next create must see none (prev_revision 0). Forgetting early
        // is harmless should this step roll back: a miss reads SQLite.
        if (r.prev > 0) del.run(r.prev);
        if (r.deleted) {
          del.run(r.id);
          this.newest.forget(r.key, r.id);
        }
      }
      const done = rows.length < COMPACT_BATCH ? target : rows[rows.length - 1]!.id + 1;
      metaSet(this.db, META.compactDone, done);
      return done;
    });
    while (this.compactDone < this.compactTarget) {
      if (this.closed) throw new StoreClosedError();
      this.compactDone = step(this.compactDone, this.compactTarget);
      await new Promise<void>((r) => setImmediate(r));
    }
    // Hand a bounded number of freed pages back to the file system.
    if (!this.closed) this.db.pragma('incremental_vacuum(2000)');
  }

  private startTimers(): void {
    const { compactionIntervalMs, compactionWindow, checkpointIntervalMs } = this.opts;
    if (compactionIntervalMs > 0) {
      const t = setInterval(() => {
        const target = this.fanout.published - compactionWindow;
        if (target > this.compactRev) this.compact(target).catch(() => {});
      }, compactionIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    if (checkpointIntervalMs > 0 && this.opts.path !== ':memory:') {
      const t = setInterval(() => this.checkpoint(), checkpointIntervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  /** Copies the WAL into the main file and truncates it, so the WAL never grows without bound. */
  checkpoint(): void {
    if (this.closed) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Commits writes already requested, ends every watch with StoreClosedError, closes the file. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    while (this.pending.length > 0) this.flush();
    while (this.syncing || this.awaitingSync.length > 0) await new Promise<void>((r) => setImmediate(r));
    this.fanout.closeAll(new StoreClosedError());
    await this.compaction.catch(() => {});
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
    try {
      if (this.opts.path !== ':memory:') this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }

  /** Diagnostics (and tests): entries in the newest-row cache, and its lookups that hit or missed. */
  newestRowCacheStats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.newest.size, bytes: this.newest.bytes, hits: this.newest.hits, misses: this.newest.misses };
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Prepared once per SQL text; `raw` statements return arrays instead of objects. */
  private stmt(sql: string, raw = false): Statement {
    const cacheKey = raw ? `raw:${sql}` : sql;
    let s = this.statements.get(cacheKey);
    if (!s) {
      s = this.db.prepare(sql);
      if (raw) s.raw(true);
      this.statements.set(cacheKey, s);
    }
    return s;
  }
}

function toKv(row: Row): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.createRevision, modRevision: row.id };
}

function kvOf(key: string, row: NewestRow): KeyValue {
  return { key, value: row.value, createRevision: row.createRevision, modRevision: row.id };
}

function newestOf(row: Row): NewestRow {
  return { id: row.id, createRevision: row.createRevision, deleted: row.deleted !== 0, value: row.value };
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The smallest string greater than every string starting with prefix (etcd's range end);
 * undefined when there is none (empty prefix: the whole key space).
 */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}
