// The Deployment controller: wiring and syncDeployment. Handlers only find the
// Deployment concerned and enqueue its key; the strategies live in rolling.ts and
// recreate.ts, status estimation in progress.ts, the arithmetic in util.ts.
import type { apps, core, OwnerReference } from '../../api/types.js';
import {
  DEPLOYMENTS,
  OWNER_UID_INDEX,
  PODS,
  REPLICASETS,
  WorkQueue,
  WrittenVersions,
  finalState,
  indexByOwnerUid,
  objectKey,
  runController,
  splitKey,
  type Clock,
  type DeletedFinalStateUnknown,
  type EventRecorder,
  type KubeClient,
  type ReconcileResult,
  type RunningController,
  type SharedInformerFactory,
} from '../../client/index.js';
import { planClaims } from '../runtime/claim.js';
import { labelSelectorIsEmpty, labelSelectorMatcher, labelSelectorMatches } from '../../api/labels.js';
import { isNotFound } from '../runtime/names.js';
import { adopt, ensureCanAdopt, release } from '../runtime/ownership.js';
import { controllerRefOf, newControllerRef } from '../runtime/pods.js';
import { rolloutRecreate } from './recreate.js';
import { rollback, rollbackTo } from './rollback.js';
import { rolloutRolling } from './rolling.js';
import { Syncer } from './sync.js';

type Deployment = apps.Deployment;
type ReplicaSet = apps.ReplicaSet;
type Pod = core.Pod;

/** How soon a sync that found the caches behind our own writes looks again, should no event come. */
export const CACHE_CATCH_UP_RETRY_MS = 1000;

export interface DeploymentControllerOptions {
  client: KubeClient;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  clock: Clock;
  workers?: number;
}

export class DeploymentController {
  readonly queue: WorkQueue<string>;
  private readonly dInformer;
  private readonly rsInformer;
  private readonly podInformer;
  private readonly syncer: Syncer;
  private readonly rsClient;
  private readonly dClient;
  /** What our own writes returned, per Deployment key: a sync waits until the caches show them. */
  readonly writes: WrittenVersions;

  constructor(private readonly opts: DeploymentControllerOptions) {
    this.queue = new WorkQueue<string>({ name: 'deployment', clock: opts.clock });
    this.writes = new WrittenVersions({ clock: opts.clock });
    this.dClient = opts.client.resource(DEPLOYMENTS);
    this.rsClient = opts.client.resource(REPLICASETS);
    this.syncer = new Syncer(this.dClient, this.rsClient, opts.recorder, () => opts.clock.now(), (d, obj) => this.writes.written(objectKey(d), obj));
    this.dInformer = opts.factory.informer(DEPLOYMENTS);
    this.rsInformer = opts.factory.informer(REPLICASETS, { indexers: { [OWNER_UID_INDEX]: indexByOwnerUid } });
    this.podInformer = opts.factory.informer(PODS, { indexers: { [OWNER_UID_INDEX]: indexByOwnerUid } });

    this.dInformer.addEventHandler({
      onAdd: (d) => this.queue.add(objectKey(d)),
      onUpdate: (_o, d) => this.queue.add(objectKey(d)),
      onDelete: (d) => {
        const key = objectKey(finalState(d));
        this.writes.delete(key);
        this.queue.add(key);
      },
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.addReplicaSet(rs),
      onUpdate: (old, rs) => this.updateReplicaSet(old, rs),
      onDelete: (rs) => this.deleteReplicaSet(rs),
    });
    // Recreate waits for old pods to vanish: their deletion is what lets it continue.
    this.podInformer.addEventHandler({ onDelete: (pod) => this.deletePod(pod) });
  }

  start(): RunningController {
    return runController({
      name: 'deployment-controller',
      queue: this.queue,
      workers: this.opts.workers ?? 5,
      waitFor: [this.dInformer, this.rsInformer, this.podInformer],
      reconcile: (key) => this.reconcile(key),
    });
  }

  // ---- handlers ----

  private resolve(namespace: string | undefined, ref: OwnerReference): Deployment | undefined {
    if (ref.kind !== 'Deployment' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const d = this.dInformer.cache.getByName(namespace, ref.name);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  private matchingDeployments(rs: ReplicaSet): Deployment[] {
    return this.dInformer.cache
      .listInNamespace(rs.metadata?.namespace ?? '')
      .filter((d) => !labelSelectorIsEmpty(d.spec?.selector) && labelSelectorMatches(d.spec?.selector, rs.metadata?.labels));
  }

  private addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata?.deletionTimestamp) return this.deleteReplicaSet(rs);
    const ref = controllerRefOf(rs);
    if (ref) {
      const d = this.resolve(rs.metadata?.namespace, ref);
      if (d) this.queue.add(objectKey(d));
      return;
    }
    for (const d of this.matchingDeployments(rs)) this.queue.add(objectKey(d));
  }

  private updateReplicaSet(old: ReplicaSet, rs: ReplicaSet): void {
    if (old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const oldRef = controllerRefOf(old);
    const ref = controllerRefOf(rs);
    const refChanged = oldRef?.uid !== ref?.uid;
    if (refChanged && oldRef) {
      const d = this.resolve(old.metadata?.namespace, oldRef);
      if (d) this.queue.add(objectKey(d));
    }
    if (ref) {
      const d = this.resolve(rs.metadata?.namespace, ref);
      if (d) this.queue.add(objectKey(d));
      return;
    }
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(rs.metadata?.labels ?? {});
    if (labelsChanged || refChanged) for (const d of this.matchingDeployments(rs)) this.queue.add(objectKey(d));
  }

  private deleteReplicaSet(obj: ReplicaSet | DeletedFinalStateUnknown<ReplicaSet>): void {
    const rs = finalState(obj);
    const ref = controllerRefOf(rs);
    if (!ref) return;
    // Gone: a write we made to it will never show up in the cache.
    if (ref.kind === 'Deployment') this.writes.forgetObject(objectKey({ metadata: { namespace: rs.metadata?.namespace, name: ref.name } }), rs.metadata!.uid!);
    const d = this.resolve(rs.metadata?.namespace, ref);
    if (d) this.queue.add(objectKey(d));
  }

  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = finalState(obj);
    const rsRef = controllerRefOf(pod);
    if (!rsRef || rsRef.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.cache.getByName(pod.metadata?.namespace, rsRef.name);
    const dRef = rs && controllerRefOf(rs);
    if (!dRef) return;
    const d = this.resolve(rs.metadata?.namespace, dRef);
    if (d?.spec?.strategy?.type === 'Recreate') this.queue.add(objectKey(d));
  }

  // ---- reconcile ----

  async reconcile(key: string): Promise<ReconcileResult> {
    try {
      return await this.reconcileOnce(key);
    } catch (err) {
      // Deleted while we were syncing it: our writes to it (or to ReplicaSets the
      // garbage collector is removing) fail NotFound, and there is nothing left to do.
      if (isNotFound(err) && (await this.deploymentGone(key))) return;
      throw err;
    }
  }

  private async reconcileOnce(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.dInformer.cache.getByName(namespace, name);
    if (!cached) return;
    // Expectations before writes: deciding from a cache that does not yet show our own
    // last writes would repeat them (scale the new ReplicaSet up twice, past maxSurge).
    // The informer's event for the awaited object requeues us; the delay is a fallback.
    if (this.cacheBehindOurWrites(key, cached)) return { requeueAfterMs: CACHE_CATCH_UP_RETRY_MS };
    let d = structuredClone(cached);
    const s = this.syncer;

    if (labelSelectorIsEmpty(d.spec?.selector)) {
      this.opts.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) await s.writeStatus(d, { ...d.status, observedGeneration: d.metadata?.generation });
      return;
    }

    const rsList = await this.claimReplicaSets(d);
    if (d.metadata?.deletionTimestamp) return s.syncStatusOnly(d, rsList);

    d = await s.checkPausedConditions(d);
    if (d.spec?.paused) return s.sync(d, rsList);
    if (rollbackTo(d) !== undefined) return rollback(s, d, rsList);

    const probe = await s.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    d = probe.d;
    if (s.isScalingEvent(d, [...probe.oldRSs, probe.newRS])) return s.sync(d, rsList);

    if (d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(s, d, rsList, this.podsByReplicaSet(d, rsList));
    return rolloutRolling(s, d, rsList);
  }

  private async deploymentGone(key: string): Promise<boolean> {
    const { namespace, name } = splitKey(key);
    try {
      await this.dClient.get(namespace, name);
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }

  private cacheBehindOurWrites(key: string, d: Deployment): boolean {
    const rsVersions = new Map<string, string | undefined>();
    for (const rs of this.rsInformer.cache.listInNamespace(d.metadata?.namespace ?? '')) rsVersions.set(rs.metadata!.uid!, rs.metadata?.resourceVersion);
    const uid = d.metadata?.uid;
    return this.writes.pending(key, (u) => (u === uid ? d.metadata?.resourceVersion : rsVersions.get(u))).length > 0;
  }

  /** The ReplicaSets this Deployment controls, adopting matching orphans and releasing ones that stopped matching. */
  private async claimReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const candidates = this.rsInformer.cache.listInNamespace(d.metadata!.namespace ?? '');
    const selects = labelSelectorMatcher(d.spec?.selector);
    const plan = planClaims(d, candidates, (rs) => selects(rs.metadata?.labels));
    for (const rs of plan.release) await release(this.rsClient, rs, d.metadata!.uid!);
    if (plan.adopt.length === 0) return plan.claimed;
    await ensureCanAdopt(this.dClient, d);
    const ref = newControllerRef(d, 'apps/v1', 'Deployment');
    const out: ReplicaSet[] = plan.claimed.filter((rs) => !plan.adopt.includes(rs));
    for (const rs of plan.adopt) {
      try {
        const adopted = await adopt(this.rsClient, rs, ref);
        this.writes.written(objectKey(d), adopted);
        out.push(adopted);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }

  /** Pods selected by the Deployment, grouped by the uid of the ReplicaSet controlling them. */
  private podsByReplicaSet(d: Deployment, rsList: ReplicaSet[]): Map<string, Pod[]> {
    const map = new Map<string, Pod[]>();
    const selects = labelSelectorMatcher(d.spec?.selector);
    for (const rs of rsList) {
      const uid = rs.metadata!.uid!;
      const pods = this.podInformer.cache
        .byIndex(OWNER_UID_INDEX, uid)
        .filter((p) => controllerRefOf(p)?.uid === uid && selects(p.metadata?.labels));
      map.set(uid, pods);
    }
    return map;
  }
}
