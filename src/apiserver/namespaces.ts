// Namespaces: the four Kubernetes creates at start, and the lifecycle that empties a namespace
// marked for deletion (deleting every namespaced object in it, pods gracefully), then removes it.
import { ApiError } from '../api/errors.js';
import type { Logger } from '../api/log.js';
import type { KubeObject } from '../api/types.js';
import type { Watch } from '../storage/store.js';
import type { ObjectService } from './rest/objects.js';
import { decodeKv, listPrefix, objectKey, type ResourceIndex, type ServedResource } from './resources.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function ensureSystemNamespaces(service: ObjectService, index: ResourceIndex): Promise<void> {
  const ns = index.lookup('', 'v1', 'namespaces');
  if (!ns) return;
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await service.create(ns, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { dryRun: false, fieldValidation: 'Ignore' });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  }
}

export interface NamespaceLifecycleOptions {
  /** How soon to look again at a namespace whose contents are still going (graceful pods). */
  retryMs: number;
}

export class NamespaceLifecycle {
  private watch?: Watch;
  /** Every namespace seen, and whether it is terminating (for the create path's existence check). */
  private readonly known = new Map<string, boolean>();
  private pending = new Map<string, NodeJS.Timeout | null>();
  private stopped = false;
  private readonly nsRes: ServedResource | undefined;
  /** One served version per stored prefix: each namespaced kind is emptied once. */
  private readonly contents: ServedResource[];

  constructor(
    private readonly service: ObjectService,
    index: ResourceIndex,
    private readonly log: Logger,
    private readonly opts: NamespaceLifecycleOptions = { retryMs: 1000 },
  ) {
    this.nsRes = index.lookup('', 'v1', 'namespaces');
    const seen = new Set<string>();
    this.contents = index.all.filter((r) => r.def.namespaced && !seen.has(r.prefix) && seen.add(r.prefix));
  }

  async start(): Promise<void> {
    const nsRes = this.nsRes;
    if (!nsRes) return;
    const listed = await this.service.store.list(nsRes.prefix);
    for (const kv of listed.kvs) this.consider(decodeKv(nsRes, kv));
    this.watch = this.service.store.watch(nsRes.prefix, { fromRevision: listed.revision + 1 }, {
      onEvents: (events) => {
        for (const ev of events) {
          if (ev.type === 'put') this.consider(decodeKv(nsRes, ev.kv));
          else this.known.delete(ev.kv.key.slice(nsRes.prefix.length));
        }
      },
      onError: (err) => {
        this.service.namespaceLookup = undefined;
        if (!this.stopped) this.log.error('namespace watch ended', { err: err.message });
      },
    });
    this.service.namespaceLookup = (name) => {
      const terminating = this.known.get(name);
      return terminating === undefined ? undefined : terminating ? 'terminating' : 'active';
    };
  }

  stop(): void {
    this.stopped = true;
    this.service.namespaceLookup = undefined;
    this.watch?.cancel();
    for (const t of this.pending.values()) if (t) clearTimeout(t);
    this.pending.clear();
  }

  private consider(ns: KubeObject): void {
    const name = ns.metadata?.name;
    if (name) this.known.set(name, !!ns.metadata?.deletionTimestamp);
    if (!name || !ns.metadata?.deletionTimestamp || this.pending.has(name)) return;
    this.pending.set(name, null);
    void this.sync(name);
  }

  private async sync(name: string): Promise<void> {
    if (this.stopped) return;
    try {
      const remaining = await this.empty(name);
      if (remaining === 0) {
        await this.remove(name);
        this.pending.delete(name);
        return;
      }
    } catch (err) {
      this.log.warn('cannot empty namespace yet', { namespace: name, err: (err as Error).message });
    }
    if (!this.stopped) this.pending.set(name, setTimeout(() => void this.sync(name), this.opts.retryMs));
  }

  /** Deletes what is in the namespace; returns how many objects are still there. */
  private async empty(name: string): Promise<number> {
    let remaining = 0;
    for (const r of this.contents) {
      const listed = await this.service.store.list(listPrefix(r, name));
      for (const kv of listed.kvs) {
        const obj = decodeKv(r, kv);
        if (!obj.metadata?.deletionTimestamp) {
          try {
            await this.service.delete(r, name, obj.metadata!.name!, { dryRun: false });
          } catch (err) {
            if (!(err instanceof ApiError && err.code === 404)) throw err;
          }
        }
      }
      remaining += (await this.service.store.list(listPrefix(r, name), { limit: 1 })).count;
    }
    return remaining;
  }

  private async remove(name: string): Promise<void> {
    const nsRes = this.nsRes!;
    const key = objectKey(nsRes, undefined, name);
    const { kv } = await this.service.store.get(key);
    if (!kv) return;
    const ns = decodeKv(nsRes, kv);
    if ((ns.metadata?.finalizers ?? []).length > 0) return; // other finalizers still hold it
    await this.service.store.delete(key, kv.modRevision);
    this.log.info('namespace removed', { namespace: name });
  }
}
