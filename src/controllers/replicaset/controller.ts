// The ReplicaSet controller: keeps the number of active pods that match a
// ReplicaSet's selector (and that it controls) equal to spec.replicas.
// Informer handlers only resolve the owning ReplicaSet and enqueue its key;
// reconcile() re-reads everything from the caches (level-triggered).
import type { apps, core } from '../../api/types.js';
import {
  EventRecorder,
  Expectations,
  OWNER_UID_INDEX,
  PODS,
  REPLICASETS,
  WorkQueue,
  finalState,
  indexByOwnerUid,
  objectKey,
  runController,
  splitKey,
  type Clock,
  type DeletedFinalStateUnknown,
  type KubeClient,
  type ReconcileResult,
  type RunningController,
  type SharedInformerFactory,
} from '../../client/index.js';
import type { OwnerReference } from '../../api/types.js';
import { planClaims } from '../runtime/claim.js';
import { labelSelectorMatcher, labelSelectorMatches } from '../../api/labels.js';
import { errorMessage, generateName, isAlreadyExists, isConflict, isNotFound } from '../runtime/names.js';
import { adopt, ensureCanAdopt, release } from '../runtime/ownership.js';
import { controllerRefOf, isPodActive, isPodReady, newControllerRef } from '../runtime/pods.js';
import { podsToDelete } from './ranking.js';
import { calculateStatus, slowStartBatches, statusEqual, type ManageError } from './status.js';

type ReplicaSet = apps.ReplicaSet;
type Pod = core.Pod;

/** Kubernetes' BurstReplicas: at most this many creates or deletes per sync. */
export const BURST_REPLICAS = 500;

export interface ReplicaSetControllerOptions {
  client: KubeClient;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  clock: Clock;
  workers?: number;
  burstReplicas?: number;
}

export class ReplicaSetController {
  readonly queue: WorkQueue<string>;
  readonly expectations: Expectations;
  private readonly rsInformer;
  private readonly podInformer;
  private readonly rsClient;
  private readonly podClient;
  private readonly burst: number;

  constructor(private readonly opts: ReplicaSetControllerOptions) {
    this.queue = new WorkQueue<string>({ name: 'replicaset', clock: opts.clock });
    this.expectations = new Expectations({ clock: opts.clock });
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.rsClient = opts.client.resource(REPLICASETS);
    this.podClient = opts.client.resource(PODS);
    this.rsInformer = opts.factory.informer(REPLICASETS, { indexers: { [OWNER_UID_INDEX]: indexByOwnerUid } });
    this.podInformer = opts.factory.informer(PODS, { indexers: { [OWNER_UID_INDEX]: indexByOwnerUid } });

    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.queue.add(objectKey(rs)),
      onUpdate: (_old, rs) => this.queue.add(objectKey(rs)),
      onDelete: (obj) => {
        const key = objectKey(finalState(obj));
        this.expectations.delete(key);
        this.queue.add(key);
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, pod) => this.updatePod(old, pod),
      onDelete: (pod) => this.deletePod(pod),
    });
  }

  start(): RunningController {
    return runController({
      name: 'replicaset-controller',
      queue: this.queue,
      workers: this.opts.workers ?? 5,
      waitFor: [this.rsInformer, this.podInformer],
      reconcile: (key) => this.reconcile(key),
    });
  }

  // ---- event handlers: find the ReplicaSet, enqueue its key ----

  private resolveControllerRef(namespace: string | undefined, ref: OwnerReference): ReplicaSet | undefined {
    if (ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const rs = this.rsInformer.cache.getByName(namespace, ref.name);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod. */
  private matchingReplicaSets(pod: Pod): ReplicaSet[] {
    const ns = pod.metadata?.namespace ?? '';
    return this.rsInformer.cache.listInNamespace(ns).filter((rs) => labelSelectorMatches(rs.spec?.selector, pod.metadata?.labels));
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod);
    const ref = controllerRefOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata?.namespace, ref);
      if (!rs) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.matchingReplicaSets(pod)) this.queue.add(objectKey(rs));
  }

  private updatePod(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {});
    if (pod.metadata?.deletionTimestamp) {
      // Graceful deletion started: count it now, the pod no longer counts as a replica.
      this.deletePod(pod);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const oldRef = controllerRefOf(old);
    const ref = controllerRefOf(pod);
    const refChanged = oldRef?.uid !== ref?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(old.metadata?.namespace, oldRef);
      if (rs) this.queue.add(objectKey(rs));
    }
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata?.namespace, ref);
      if (!rs) return;
      this.queue.add(objectKey(rs));
      const minReady = rs.spec?.minReadySeconds ?? 0;
      // Availability changes with time only: look again once minReadySeconds have passed.
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(objectKey(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(pod)) this.queue.add(objectKey(rs));
  }

  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = finalState(obj);
    const ref = controllerRefOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata?.namespace, ref);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.queue.add(key);
  }

  // ---- reconcile ----

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const rs = this.rsInformer.cache.getByName(namespace, name);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selects = labelSelectorMatcher(rs.spec?.selector);
    const candidates = this.podInformer.cache.listInNamespace(namespace).filter(isPodActive);
    const plan = planClaims(rs, candidates, (p) => selects(p.metadata?.labels));
    const pods = await this.applyClaims(rs, plan);

    let manageError: ManageError | undefined;
    if (needsSync && !rs.metadata?.deletionTimestamp) manageError = await this.manageReplicas(rs, key, pods);

    const now = this.opts.clock.now();
    const status = calculateStatus(rs, pods, manageError, now);
    const updated = await this.updateStatus(rs, status);
    if (manageError) throw new Error(manageError.message);
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const replicas = rs.spec?.replicas ?? 1;
    if (updated && minReady > 0 && status.readyReplicas === replicas && status.availableReplicas !== replicas) {
      return { requeueAfterMs: minReady * 1000 };
    }
  }

  private async applyClaims(rs: ReplicaSet, plan: { claimed: Pod[]; adopt: Pod[]; release: Pod[] }): Promise<Pod[]> {
    for (const pod of plan.release) await release(this.podClient, pod, rs.metadata!.uid!);
    if (plan.adopt.length === 0) return plan.claimed;
    await ensureCanAdopt(this.rsClient, rs);
    const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
    const dropped = new Set<Pod>();
    for (const pod of plan.adopt) {
      try {
        await adopt(this.podClient, pod, ref);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        dropped.add(pod);
      }
    }
    return dropped.size ? plan.claimed.filter((p) => !dropped.has(p)) : plan.claimed;
  }

  private podFromTemplate(rs: ReplicaSet): Pod {
    const template = rs.spec?.template ?? {};
    const base = `${rs.metadata!.name}-`;
    const metadata: Pod['metadata'] = {
      name: generateName(base),
      generateName: base,
      namespace: rs.metadata!.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')],
    };
    if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
    if (template.metadata?.finalizers) metadata.finalizers = [...template.metadata.finalizers];
    return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec) as core.PodSpec };
  }

  private async manageReplicas(rs: ReplicaSet, key: string, pods: Pod[]): Promise<ManageError | undefined> {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const want = Math.min(-diff, this.burst);
      this.expectations.expectCreations(key, want);
      let done = 0;
      for (const batch of slowStartBatches(want)) {
        const results = await Promise.allSettled(Array.from({ length: batch }, () => this.createPod(rs)));
        const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        done += batch;
        for (const f of failures) {
          // The informer will never see this pod: stop expecting it.
          this.expectations.creationObserved(key);
          this.opts.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(f.reason)}`);
        }
        if (failures.length) {
          // Skipped batches will never be observed either.
          for (let i = done; i < want; i++) this.expectations.creationObserved(key);
          return { reason: 'FailedCreate', message: errorMessage(failures[0].reason) };
        }
      }
      return undefined;
    }
    if (diff > 0) {
      const count = Math.min(diff, this.burst);
      const victims = podsToDelete(pods, this.relatedPods(rs, pods), count, this.opts.clock.now());
      this.expectations.expectDeletions(key, victims.map(objectKey));
      const results = await Promise.allSettled(victims.map((p) => this.podClient.delete(p.metadata!.namespace, p.metadata!.name!)));
      let firstError: unknown;
      results.forEach((r, i) => {
        const pod = victims[i];
        if (r.status === 'fulfilled') {
          this.opts.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
          return;
        }
        this.expectations.deletionObserved(key, objectKey(pod));
        if (isNotFound(r.reason)) return;
        firstError ??= r.reason;
        this.opts.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(r.reason)}`);
      });
      if (firstError) return { reason: 'FailedDelete', message: errorMessage(firstError) };
    }
    return undefined;
  }

  private async createPod(rs: ReplicaSet): Promise<void> {
    // Five random characters collide now and then at thousands of pods (as the API
    // server's generateName retries do): pick another name.
    for (let attempt = 0; ; attempt++) {
      const pod = this.podFromTemplate(rs);
      try {
        const created = await this.podClient.create(rs.metadata!.namespace, pod);
        this.opts.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? pod.metadata!.name}`);
        return;
      } catch (err) {
        if (!isAlreadyExists(err) || attempt >= 7) throw err;
      }
    }
  }

  /** Active pods of every ReplicaSet sharing this one's controller (a Deployment's family), for spreading deletions. */
  private relatedPods(rs: ReplicaSet, own: Pod[]): Pod[] {
    const owner = controllerRefOf(rs);
    if (!owner) return own;
    const siblings = this.rsInformer.cache.byIndex(OWNER_UID_INDEX, owner.uid).filter((s) => controllerRefOf(s)?.uid === owner.uid);
    const out: Pod[] = [];
    for (const s of siblings) for (const p of this.podInformer.cache.byIndex(OWNER_UID_INDEX, s.metadata!.uid!)) if (isPodActive(p)) out.push(p);
    return out;
  }

  /** Writes status if it changed; returns true when status is now as computed. */
  private async updateStatus(rs: ReplicaSet, status: apps.ReplicaSetStatus): Promise<boolean> {
    if (statusEqual(rs.status, status)) return true;
    let current = rs;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.rsClient.updateStatus(current.metadata!.namespace, { ...current, status });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        if (!isConflict(err) || attempt === 1) throw err;
        current = await this.rsClient.get(rs.metadata!.namespace, rs.metadata!.name!);
        status = { ...status, observedGeneration: status.observedGeneration };
      }
    }
    return false;
  }
}
