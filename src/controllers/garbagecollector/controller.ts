// The garbage collector: deletes objects whose owners are gone, and carries out
// foreground and orphan deletion for owners that carry those finalizers (the API
// server adds them when a delete asks for propagationPolicy Foreground/Orphan).
// It watches a known set of resources through shared informers, indexed by uid and
// by owner uid, and works one object key at a time.
import {
  DEPLOYMENTS,
  LEASES,
  NODES,
  OWNER_UID_INDEX,
  PODS,
  REPLICASETS,
  SERVICES,
  WorkQueue,
  finalState,
  indexByOwnerUid,
  objectKey,
  runController,
  splitKey,
  type Clock,
  type Informer,
  type KubeClient,
  type ObjectLike,
  type ReconcileResult,
  type ResourceClient,
  type ResourceType,
  type RunningController,
  type SharedInformerFactory,
} from '../../client/index.js';
import type { OwnerReference } from '../../api/types.js';
import { isConflict, isNotFound } from '../runtime/names.js';
import { ownerRefsPatch } from '../runtime/ownership.js';
import { ENDPOINTSLICES } from '../runtime/services.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, decide, hasFinalizer, isDeletingDependents, type OwnerState } from './plan.js';

const UID_INDEX = 'uid';
const indexByUid = (o: ObjectLike): string[] => (o.metadata?.uid ? [o.metadata.uid] : []);

/** What the collector watches: the workload chain, and nodes with their heartbeat leases (owned by the Node). */
export const DEFAULT_GC_RESOURCES: ResourceType[] = [DEPLOYMENTS, REPLICASETS, PODS, NODES, LEASES, SERVICES, ENDPOINTSLICES];

interface Watched {
  type: ResourceType;
  informer: Informer<ObjectLike>;
  client: ResourceClient<ObjectLike>;
}

export interface GarbageCollectorOptions {
  client: KubeClient;
  factory: SharedInformerFactory;
  clock: Clock;
  workers?: number;
  resources?: ResourceType[];
}

export class GarbageCollector {
  readonly queue: WorkQueue<string>;
  private readonly watched: Watched[] = [];
  private readonly byKind = new Map<string, Watched>();
  /**
   * Uids seen deleted or confirmed absent. Uids are never reused, so this saves a live
   * read per dependent when an owner with thousands of dependents goes away.
   */
  private readonly absentOwners = new Set<string>();

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.queue = new WorkQueue<string>({ name: 'garbagecollector', clock: opts.clock });
    for (const type of opts.resources ?? DEFAULT_GC_RESOURCES) {
      const informer = opts.factory.informer(type, { indexers: { [UID_INDEX]: indexByUid, [OWNER_UID_INDEX]: indexByOwnerUid } });
      const w: Watched = { type, informer, client: opts.client.resource(type) };
      this.watched.push(w);
      this.byKind.set(`${type.group}/${type.kind}`, w);
      informer.addEventHandler({
        onAdd: (o) => this.onChange(w, undefined, o),
        onUpdate: (old, o) => this.onChange(w, old, o),
        onDelete: (o) => this.onDeleted(finalState(o)),
      });
    }
  }

  start(): RunningController {
    return runController({
      name: 'garbage-collector',
      queue: this.queue,
      workers: this.opts.workers ?? 5,
      waitFor: this.watched.map((w) => w.informer),
      reconcile: (key) => this.reconcile(key),
    });
  }

  private key(w: Watched, obj: ObjectLike): string {
    return `${w.type.group}/${w.type.resource}|${objectKey(obj)}`;
  }

  private watchedFor(obj: ObjectLike): Watched | undefined {
    const group = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/')[0] : '';
    return this.byKind.get(`${group}/${obj.kind}`);
  }

  private enqueue(obj: ObjectLike): void {
    const w = this.watchedFor(obj);
    if (w) this.queue.add(this.key(w, obj));
  }

  // ---- handlers ----

  private onChange(w: Watched, old: ObjectLike | undefined, obj: ObjectLike): void {
    const meta = obj.metadata ?? {};
    if (meta.ownerReferences?.length || (meta.deletionTimestamp && (hasFinalizer(obj, ORPHAN_FINALIZER) || hasFinalizer(obj, FOREGROUND_FINALIZER)))) {
      this.queue.add(this.key(w, obj));
    }
    // An owner in foreground deletion waits for references to it to disappear.
    if (old) {
      const now = new Set((meta.ownerReferences ?? []).map((r) => r.uid));
      for (const r of old.metadata?.ownerReferences ?? []) if (!now.has(r.uid)) this.enqueueOwnerIfWaiting(obj, r);
      if (meta.deletionTimestamp && !old.metadata?.deletionTimestamp) for (const r of meta.ownerReferences ?? []) this.enqueueOwnerIfWaiting(obj, r);
    }
  }

  private onDeleted(obj: ObjectLike): void {
    const uid = obj.metadata?.uid;
    if (uid) this.rememberAbsent(uid);
    if (uid) for (const dep of this.dependentsOf(uid)) this.enqueue(dep);
    for (const r of obj.metadata?.ownerReferences ?? []) this.enqueueOwnerIfWaiting(obj, r);
  }

  private enqueueOwnerIfWaiting(dependent: ObjectLike, ref: OwnerReference): void {
    const owner = this.cachedByUid(ref.uid, dependent.metadata?.namespace);
    if (owner && (isDeletingDependents(owner.obj) || hasFinalizer(owner.obj, ORPHAN_FINALIZER))) this.queue.add(this.key(owner.w, owner.obj));
  }

  // ---- lookups ----

  private rememberAbsent(uid: string): void {
    // Bounded: forget the oldest (Set keeps insertion order).
    if (this.absentOwners.size >= 100_000) this.absentOwners.delete(this.absentOwners.values().next().value!);
    this.absentOwners.add(uid);
  }

  private cachedByUid(uid: string, namespace: string | undefined): { w: Watched; obj: ObjectLike } | undefined {
    for (const w of this.watched) {
      for (const obj of w.informer.cache.byIndex(UID_INDEX, uid)) {
        if (!w.type.namespaced || (obj.metadata?.namespace ?? '') === (namespace ?? '')) return { w, obj };
      }
    }
    return undefined;
  }

  private dependentsOf(uid: string): ObjectLike[] {
    const out: ObjectLike[] = [];
    for (const w of this.watched) for (const o of w.informer.cache.byIndex(OWNER_UID_INDEX, uid)) out.push(o);
    return out;
  }

  /** The owner's state; a cache miss is confirmed with a live read before calling it absent. */
  private async ownerState(dependent: ObjectLike, ref: OwnerReference): Promise<OwnerState> {
    const cached = this.cachedByUid(ref.uid, dependent.metadata?.namespace);
    if (cached) return isDeletingDependents(cached.obj) ? 'deletingDependents' : 'present';
    if (this.absentOwners.has(ref.uid)) return 'absent';
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
    const w = this.byKind.get(`${group}/${ref.kind}`);
    if (!w) return 'unknown';
    try {
      const live = await w.client.get(w.type.namespaced ? dependent.metadata?.namespace : undefined, ref.name);
      if (live.metadata?.uid !== ref.uid) {
        this.rememberAbsent(ref.uid);
        return 'absent';
      }
      return isDeletingDependents(live) ? 'deletingDependents' : 'present';
    } catch (err) {
      if (isNotFound(err)) {
        this.rememberAbsent(ref.uid);
        return 'absent';
      }
      throw err;
    }
  }

  // ---- reconcile ----

  async reconcile(key: string): Promise<ReconcileResult> {
    const bar = key.indexOf('|');
    const w = this.watched.find((x) => `${x.type.group}/${x.type.resource}` === key.slice(0, bar));
    if (!w) return;
    const { namespace, name } = splitKey(key.slice(bar + 1));
    const obj = w.informer.cache.getByName(namespace, name);
    if (!obj) return;
    const meta = obj.metadata!;

    if (meta.deletionTimestamp) {
      if (hasFinalizer(obj, ORPHAN_FINALIZER)) return this.orphanDependents(w, obj);
      if (hasFinalizer(obj, FOREGROUND_FINALIZER)) return this.processDeletingDependents(w, obj);
      return;
    }
    const refs = meta.ownerReferences ?? [];
    if (refs.length === 0) return;
    const owners = [];
    for (const ref of refs) owners.push({ ref, state: await this.ownerState(obj, ref) });
    const decision = decide(obj, owners, this.dependentsOf(meta.uid!).length > 0);
    switch (decision.action) {
      case 'none':
        return;
      case 'removeOwnerRefs': {
        const drop = new Set(decision.uids);
        await this.patchOwnerRefs(w, obj, refs.filter((r) => !drop.has(r.uid)));
        return;
      }
      case 'delete':
        try {
          await w.client.delete(meta.namespace, meta.name!, { propagationPolicy: decision.propagationPolicy, preconditions: { uid: meta.uid } });
        } catch (err) {
          // Gone already, or replaced by a new object with the same name (uid precondition): nothing to do.
          if (isNotFound(err) || isConflict(err)) return;
          throw err;
        }
        return;
    }
  }

  /** Orphan: strip our reference from every dependent, then drop the orphan finalizer. */
  private async orphanDependents(w: Watched, owner: ObjectLike): Promise<void> {
    const uid = owner.metadata!.uid!;
    for (const dep of this.dependentsOf(uid)) {
      const dw = this.watchedFor(dep);
      if (!dw) continue;
      await this.patchOwnerRefs(dw, dep, (dep.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid));
    }
    await this.removeFinalizer(w, owner, ORPHAN_FINALIZER);
  }

  /** Foreground: delete every dependent; drop the finalizer once no blocking dependent remains. */
  private async processDeletingDependents(w: Watched, owner: ObjectLike): Promise<ReconcileResult> {
    const uid = owner.metadata!.uid!;
    const dependents = this.dependentsOf(uid);
    const blocking = dependents.filter((d) => d.metadata?.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
    if (blocking.length === 0) {
      await this.removeFinalizer(w, owner, FOREGROUND_FINALIZER);
      return;
    }
    for (const dep of dependents) if (!dep.metadata?.deletionTimestamp) this.enqueue(dep);
    // Dependents' deletions re-enqueue us; the periodic look is a safety net against a missed event.
    return { requeueAfterMs: 30_000 };
  }

  private async patchOwnerRefs(w: Watched, obj: ObjectLike, refs: OwnerReference[]): Promise<void> {
    try {
      await w.client.patch(obj.metadata!.namespace, obj.metadata!.name!, ownerRefsPatch(obj, refs), 'json');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async removeFinalizer(w: Watched, obj: ObjectLike, finalizer: string): Promise<void> {
    const current = obj.metadata?.finalizers ?? [];
    const rest = current.filter((f) => f !== finalizer);
    // Guarded on the finalizer list only, so a concurrent status write does not make us retry.
    const ops = [
      { op: 'test', path: '/metadata/uid', value: obj.metadata!.uid },
      { op: 'test', path: '/metadata/finalizers', value: current },
      rest.length ? { op: 'replace', path: '/metadata/finalizers', value: rest } : { op: 'remove', path: '/metadata/finalizers' },
    ];
    try {
      await w.client.patch(obj.metadata!.namespace, obj.metadata!.name!, ops, 'json');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
