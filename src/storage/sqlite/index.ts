// Entry point of the SQLite backend.
import type { Store } from '../store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

export type { SqliteStoreOptions } from './sqlite-store.js';
export type { Durability } from './schema.js';

/**
 * Opens (creating if needed) the store at opts.path. Throws an Error whose message names the
 * file and the problem when it is corrupt, not a database, unwritable, or used by another process.
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  return SqliteStore.open(opts);
}
