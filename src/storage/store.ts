// The storage contract. It mirrors etcd v3's KV and Watch API one-to-one so that
// the SQLite backend and a later etcd backend are interchangeable: nothing here is
// SQLite-only. Only the API server talks to a Store.

/** One stored key at one revision. Values are opaque bytes to the store (we put JSON in them). */
export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the last write to this key; the API server's resourceVersion. */
  modRevision: number;
}

export interface GetResult {
  kv: KeyValue | undefined;
  /** The store's current revision when the read was served. */
  revision: number;
}

export interface ListOptions {
  /** Read as of this revision (0 or undefined = newest). Below the compacted revision → CompactedError. */
  revision?: number;
  /** Maximum number of keys; 0 or undefined = all. */
  limit?: number;
  /** Start listing at this key (inclusive), for paging; must lie under the prefix. */
  startKey?: string;
}

export interface ListResult {
  kvs: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more keys under the prefix remain after the last one returned. */
  more: boolean;
  /**
   * Number of keys in the range read at that revision, as etcd's count: from startKey (or the prefix)
   * to the end of the prefix, regardless of limit. Without startKey: every key under the prefix.
   */
  count: number;
}

/** Outcome of a guarded write (etcd Txn: compare modRevision, then put/delete). */
export type WriteResult =
  /**
   * The write happened at `revision`. For create/update `kv` is the new value (modRevision = revision);
   * for delete it is the value that was deleted (etcd's prevKv), still carrying its last modRevision.
   */
  | { ok: true; revision: number; kv: KeyValue }
  /** The guard failed: `current` is what is stored now (undefined = key absent). */
  | { ok: false; current: KeyValue | undefined };

/**
 * A put's `kv` is the new value; `prevKv` is undefined when the put created the key.
 * A delete's `kv` carries only the key and the deletion's modRevision (createRevision 0, empty value),
 * as in etcd; the deleted value is `prevKv`.
 */
export type WatchEvent =
  | { type: 'put'; kv: KeyValue; prevKv: KeyValue | undefined }
  | { type: 'delete'; kv: KeyValue; prevKv: KeyValue | undefined };

export interface WatchOptions {
  /** Deliver every event with modRevision >= fromRevision. 0/undefined = only future events. */
  fromRevision?: number;
}

export interface Watch {
  /** Stops delivery; idempotent. */
  cancel(): void;
  /**
   * Asks for one onProgress as soon as every event up to the store's current revision has been
   * delivered (etcd's RequestProgress). Used e.g. for the bookmark that ends initial events.
   */
  requestProgress(): void;
}

export interface WatchCallbacks {
  /**
   * Events in revision order; a batch never spans out of order. Returning a promise applies
   * back-pressure: no further batch is delivered until it settles (a rejection ends the watch).
   * Events arriving meanwhile are buffered up to a bound; past it the watch ends with
   * WatchOverflowError (the client re-watches or re-lists), so a slow watcher never blocks writers.
   */
  onEvents(events: WatchEvent[]): void | Promise<void>;
  /** The watch ended because the store closed, fell too far behind, or fromRevision was compacted. */
  onError(err: Error): void;
  /** Progress notification (etcd's): every event up to `revision` has been delivered. Used for bookmarks. */
  onProgress?(revision: number): void;
}

export interface Store {
  /** Read as of opts.revision (default newest). Below the compacted revision → CompactedError; above the current → FutureRevisionError. */
  get(key: string, opts?: { revision?: number }): Promise<GetResult>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Create when the key is absent (etcd: compare createRevision == 0). */
  create(key: string, value: Uint8Array): Promise<WriteResult>;
  /** Replace when the key's modRevision equals expectedModRevision. */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteResult>;
  /** Delete; when expectedModRevision is given, only if it matches. ok:false with current=undefined if absent. */
  delete(key: string, expectedModRevision?: number): Promise<WriteResult>;
  /** Watch every key under prefix. Throws CompactedError (synchronously via onError) if fromRevision is compacted. */
  watch(prefix: string, opts: WatchOptions, cb: WatchCallbacks): Watch;
  /** Discards history older than revision; later reads/watches below it get CompactedError. */
  compact(revision: number): Promise<void>;
  currentRevision(): Promise<number>;
  /** Oldest revision still readable. */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (oldest available is ${compacted})`);
    this.name = 'CompactedError';
  }
}

export class StoreClosedError extends Error {
  constructor() {
    super('store is closed');
    this.name = 'StoreClosedError';
  }
}

/** A read or watch asked for a revision the store has not reached yet (etcd's ErrFutureRev). */
export class FutureRevisionError extends Error {
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`required revision ${requested} is a future revision (current is ${current})`);
    this.name = 'FutureRevisionError';
  }
}

/** A watcher fell too far behind (its buffer of undelivered events overflowed); the watch is ended. */
export class WatchOverflowError extends Error {
  constructor(readonly buffered: number) {
    super(`watcher fell behind by more than ${buffered} events`);
    this.name = 'WatchOverflowError';
  }
}
