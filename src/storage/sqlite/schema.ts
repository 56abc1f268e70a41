// The SQLite schema and connection settings. See docs/architecture.md, "Storage schema".
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const SCHEMA_VERSION = 1;

/** How a write is made durable before it is acknowledged. */
export type Durability =
  /**
   * The commit is in the operating system (WAL file written, not fsynced) when acknowledged:
   * survives the process being killed (kill -9, crash, OOM), may lose the last writes on power loss.
   * The database itself is never corrupted either way.
   */
  | 'process'
  /** The WAL is fsynced before a write is acknowledged or seen by watchers: survives power loss too. */
  | 'fsync';

/**
 * One append-only table. Its row id IS the revision: create, update and delete each append
 * one row; a delete appends a tombstone. "Current" is the newest row of a key.
 *
 * prev_revision points at the row this one supersedes (0 = none). The unique index on
 * (key, prev_revision) means two writers that both saw the same current row cannot both
 * append a successor: the second insert collides instead of silently winning.
 *
 * AUTOINCREMENT keeps sqlite_sequence at the highest id ever handed out, so the revision never
 * goes backwards even when compaction deletes the newest row (a tombstone).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kv_key_prev_revision ON kv (key, prev_revision);
CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id, deleted);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Names in the meta table. */
export const META = {
  schemaVersion: 'schema_version',
  /** Oldest readable revision; set before the rows below it are deleted. */
  compactRevision: 'compact_revision',
  /** Revision up to which compaction's deletions are done; < compactRevision means a compaction is unfinished. */
  compactDone: 'compact_done',
} as const;

export interface OpenedDb {
  db: Db;
  /** Highest revision ever handed out. */
  revision: number;
  compactRevision: number;
  compactDone: number;
}

/**
 * Opens (creating if needed) the database and takes an exclusive lock on it for the life of the
 * connection: one process owns a data dir, so the in-process watch fan-out sees every write.
 * Errors name the path and say what is wrong.
 */
export function openDb(path: string): OpenedDb {
  let db: Db;
  try {
    // A short wait while opening: the only possible holder of the lock is another process.
    db = new Database(path, { timeout: 500 });
  } catch (err) {
    throw new Error(`cannot open store ${path}: ${describe(err)}`, { cause: err });
  }
  try {
    // Exclusive locking before the first access: no shared-memory WAL index, no other process.
    db.pragma('locking_mode = EXCLUSIVE');
    // Only takes effect on a brand-new file; lets compaction hand freed pages back to the OS.
    db.pragma('auto_vacuum = INCREMENTAL');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal' && path !== ':memory:') {
      throw new Error(`could not switch to WAL mode (got ${String(mode)})`);
    }
    // NORMAL in WAL mode: a commit is written to the WAL (and so to the OS) but not fsynced.
    // 'fsync' durability fsyncs the WAL itself, off the event loop (see SqliteStore).
    db.pragma('synchronous = NORMAL');
    // Checkpoint into the main file every ~4 MiB of WAL; truncate a WAL that grew past 64 MiB.
    db.pragma('wal_autocheckpoint = 1000');
    db.pragma('journal_size_limit = 67108864');
    db.pragma('cache_size = -32000');
    db.pragma('temp_store = MEMORY');

    const init = db.transaction(() => {
      db.exec(DDL);
      const version = metaGet(db, META.schemaVersion);
      if (version === undefined) metaSet(db, META.schemaVersion, SCHEMA_VERSION);
      else if (version > SCHEMA_VERSION) {
        throw new Error(`it was written by a newer kujira (schema ${version}, this one knows ${SCHEMA_VERSION})`);
      }
    });
    init.immediate();
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
    // Once open nothing else can hold the lock; the long timeout is a belt for the checkpoint.
    db.pragma('busy_timeout = 5000');
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`).pluck().get() as number | undefined;
    return {
      db,
      revision: seq ?? 0,
      compactRevision: metaGet(db, META.compactRevision) ?? 0,
      compactDone: metaGet(db, META.compactDone) ?? 0,
    };
  } catch (err) {
    try {
      db.close();
    } catch {
      // already failing; the first error is the one to report
    }
    throw new Error(`cannot open store ${path}: ${describe(err)}`, { cause: err });
  }
}

export function metaGet(db: Db, name: string): number | undefined {
  return db.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(name) as number | undefined;
}

export function metaSet(db: Db, name: string, value: number): void {
  db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(
    name,
    value,
  );
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'SQLITE_NOTADB':
      return 'the file is not a kujira store (not an SQLite database, or corrupt)';
    case 'SQLITE_CORRUPT':
      return `the database is corrupt (${err.message})`;
    case 'SQLITE_CANTOPEN':
      return 'the file cannot be opened (missing directory or no permission)';
    case 'SQLITE_READONLY':
      return 'the file or its directory is not writable';
    case 'SQLITE_BUSY':
      return 'it is in use by another process (is another kujira running on this data dir?)';
    default:
      return err.message;
  }
}
