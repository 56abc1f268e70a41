// The informer's local cache: objects by "namespace/name" key plus secondary
// indexes (by namespace, by owner uid, by node name, or any custom function).
import type { ObjectLike } from './resources.js';

export type IndexFunc<T> = (obj: T) => string[];
export type Indexers<T> = Record<string, IndexFunc<T>>;

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_UID_INDEX = 'ownerUid';
export const NODE_NAME_INDEX = 'nodeName';

/** "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: ObjectLike): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const indexByNamespace: IndexFunc<ObjectLike> = (obj) => [obj.metadata?.namespace ?? ''];
/** Every owner's uid (controller or not), so dependents can be found from an owner. */
export const indexByOwnerUid: IndexFunc<ObjectLike> = (obj) => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid);
export const indexByNodeName: IndexFunc<ObjectLike & { spec?: unknown }> = (obj) => {
  const node = (obj.spec as { nodeName?: string } | undefined)?.nodeName;
  return node ? [node] : [];
};

export class ObjectCache<T extends ObjectLike> {
  private readonly items = new Map<string, T>();
  private readonly indexers: Indexers<T> = {};
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  /** [index function, its index] pairs, walked on every write (hot path: no Object.entries). */
  private indexList: Array<[IndexFunc<T>, Map<string, Set<string>>]> = [];

  constructor(indexers: Indexers<T> = {}) {
    this.addIndexers(indexers);
  }

  addIndexers(indexers: Indexers<T>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers[name]) throw new Error(`indexer ${name} already exists`);
      this.indexers[name] = fn;
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      this.indexList.push([fn, index]);
      for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(index, v, key);
    }
  }

  hasIndex(name: string): boolean {
    return this.indices.has(name);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  get size(): number {
    return this.items.size;
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** Objects in one namespace (uses the namespace index if present). */
  listInNamespace(namespace: string): T[] {
    if (this.indices.has(NAMESPACE_INDEX)) return this.byIndex(NAMESPACE_INDEX, namespace);
    return this.list().filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${indexName} does not exist`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.items.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Stores `obj`, returning the previous version (if any). */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const [fn, index] of this.indexList) {
      const next = fn(obj);
      if (old) {
        const prev = fn(old);
        // Most updates (status) leave index values alone: skip the set churn then.
        if (prev.length === next.length && prev.every((v, i) => v === next[i])) continue;
        for (const v of prev) removeFrom(index, v, key);
      }
      for (const v of next) addTo(index, v, key);
    }
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    for (const [fn, index] of this.indexList) for (const v of fn(old)) removeFrom(index, v, key);
    return old;
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
}

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const set = index.get(value);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(value);
}
