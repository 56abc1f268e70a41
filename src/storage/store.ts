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
  /** Total number of keys under the prefix at that revision (like etcd's count). */
  count: number;
}

/** Outcome of a guarded write (etcd Txn: compare modRevision, then put/delete). */
export type WriteResult =
  | { ok: true; revision: number; kv: KeyValue }
  /** The guard failed: `current` is what is stored now (undefined = key absent). */
  | { ok: false; current: KeyValue | undefined };

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
}

export interface WatchCallbacks {
  /** Events in revision order; a batch never spans out of order. */
  onEvents(events: WatchEvent[]): void;
  /** The watch ended because the store closed, fell too far behind, or fromRevision was compacted. */
  onError(err: Error): void;
  /** Progress notification (etcd's): every event up to `revision` has been delivered. Used for bookmarks. */
  onProgress?(revision: number): void;
}

export interface Store {
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
