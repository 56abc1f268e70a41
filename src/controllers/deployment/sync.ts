// The Deployment sync shared by every strategy: finding/creating the new ReplicaSet
// and syncing revisions, scaling (including proportional scaling while paused or
// resized mid-rollout), history cleanup, and plain status sync.
import type { apps } from '../../api/types.js';
import type { EventRecorder, ObjectLike, ResourceClient } from '../../client/index.js';
import { errorMessage, isAlreadyExists, isNotFound } from '../runtime/names.js';
import { controllerRefOf, newControllerRef } from '../runtime/pods.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  PROGRESSING,
  REVISION_ANNOTATION,
  byRevision,
  calculateStatus,
  computeHash,
  equalIgnoreHash,
  filterActive,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  proportionalScale,
  reasons,
  replicasOf,
  desiredReplicasAnnotation,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './util.js';

type Deployment = apps.Deployment;
type ReplicaSet = apps.ReplicaSet;

export type SyncResult = { requeueAfterMs?: number } | void;

/** What a sync needs from the outside world. One per controller; `d` is passed per call. */
export class Syncer {
  constructor(
    readonly deployments: ResourceClient<Deployment>,
    readonly replicaSets: ResourceClient<ReplicaSet>,
    readonly recorder: EventRecorder,
    readonly now: () => number,
    /** Told what every write for `d` returned, so the controller waits until its caches show it. */
    readonly written: (d: Deployment, obj: ObjectLike) => void = () => undefined,
  ) {}

  /** Writes status (if it differs) and returns the stored Deployment. */
  async writeStatus(d: Deployment, status: apps.DeploymentStatus): Promise<Deployment> {
    if (JSON.stringify(d.status ?? {}) === JSON.stringify(status)) return d;
    const stored = await this.deployments.updateStatus(d.metadata!.namespace, { ...d, status });
    this.written(d, stored);
    return stored;
  }

  /** Patches the Deployment's own object, remembering the version written. */
  async patchDeployment(d: Deployment, patch: unknown, type: 'merge' | 'json'): Promise<Deployment> {
    const stored = await this.deployments.patch(d.metadata!.namespace, d.metadata!.name!, patch, type);
    this.written(d, stored);
    return stored;
  }

  /**
   * Sets the Deployment's revision annotation. Written through the status subresource, as
   * Kubernetes' controller does (UpdateStatus): a main-resource write that changes annotations
   * bumps a Deployment's generation, and a fresh Deployment must stay at generation 1.
   */
  async setDeploymentRevision(d: Deployment, revision: string): Promise<Deployment> {
    if (d.metadata?.annotations?.[REVISION_ANNOTATION] === revision) return d;
    const patch = { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } };
    const updated = await this.deployments.patch(d.metadata!.namespace, d.metadata!.name!, patch, 'merge', { subresource: 'status' });
    this.written(d, updated);
    // Keep the in-memory status we are computing; only metadata came back new.
    return { ...d, metadata: updated.metadata };
  }

  // ---- new and old replica sets ----

  /**
   * The new ReplicaSet (template equal to the Deployment's) and all old ones. The new
   * one's revision becomes max(old revisions)+1 (so a rolled-back-to template becomes
   * the newest revision); with `create`, a missing new ReplicaSet is created.
   */
  async getAllReplicaSetsAndSyncRevision(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<{ d: Deployment; newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const { d: d2, newRS } = await this.getNewReplicaSet(d, rsList, oldRSs, create);
    return { d: d2, newRS, oldRSs };
  }

  private async getNewReplicaSet(d: Deployment, rsList: ReplicaSet[], oldRSs: ReplicaSet[], create: boolean): Promise<{ d: Deployment; newRS?: ReplicaSet }> {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1n;
    if (existing) {
      let rs = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, rs, newRevision, true);
      const minReadyChanged = (rs.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsChanged || minReadyChanged) {
        rs.spec = { ...rs.spec!, minReadySeconds: d.spec?.minReadySeconds ?? 0 };
        rs = await this.replicaSets.update(rs.metadata!.namespace, rs);
        this.written(d, rs);
        // Later steps of this sync read rsList: let them see what we just wrote.
        const i = rsList.indexOf(existing);
        if (i >= 0) rsList[i] = rs;
      }
      d = await this.setDeploymentRevision(d, rs.metadata!.annotations![REVISION_ANNOTATION]);
      if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
        const status = structuredClone(d.status ?? {});
        setCondition(status, newCondition(PROGRESSING, 'True', reasons.foundNewRS, `Found new replica set "${rs.metadata!.name}"`, this.now()));
        d = await this.writeStatus(d, status);
      }
      return { d, newRS: rs };
    }
    if (!create) return { d };

    const template = structuredClone(d.spec!.template);
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace,
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
        labels: template.metadata.labels,
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const size = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = size;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.replicaSets.create(d.metadata!.namespace, rs);
      this.written(d, created);
    } catch (err) {
      if (isAlreadyExists(err)) {
        const found = await this.replicaSets.get(d.metadata!.namespace, rs.metadata!.name!);
        // Ours with the same template: an earlier create we did not see yet.
        if (controllerRefOf(found)?.uid === d.metadata!.uid && equalIgnoreHash(d.spec!.template, found.spec?.template)) {
          created = found;
          alreadyExisted = true;
          // Acted on from a live read: the cache must catch up to it before the next sync.
          this.written(d, found);
        } else {
          // A hash collision with someone else's ReplicaSet: bump collisionCount so the next hash differs.
          const status = { ...structuredClone(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
          await this.writeStatus(d, status);
          throw new Error(`replica set ${rs.metadata!.name} already exists with a different template (collision)`, { cause: err });
        }
      } else {
        const msg = `Failed to create new replica set "${rs.metadata!.name}": ${errorMessage(err)}`;
        if (hasProgressDeadline(d)) {
          const status = structuredClone(d.status ?? {});
          setCondition(status, newCondition(PROGRESSING, 'False', reasons.failedRSCreate, msg, this.now()));
          await this.writeStatus(d, status).catch(() => undefined);
        }
        this.recorder.event(d, 'Warning', 'FailedCreate', msg);
        throw err;
      }
    }
    if (!alreadyExisted && size > 0) {
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata!.name} from 0 to ${size}`);
    }
    d = await this.setDeploymentRevision(d, newRevision.toString());
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const status = structuredClone(d.status ?? {});
      setCondition(status, newCondition(PROGRESSING, 'True', reasons.newRSCreated, `Created new replica set "${created.metadata!.name}"`, this.now()));
      d = await this.writeStatus(d, status);
    }
    return { d, newRS: created };
  }

  // ---- scaling ----

  /** Scales `rs` (and refreshes its desired/max-replicas annotations); records ScalingReplicaSet when the size moved. */
  async scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment, direction: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const copy = structuredClone(rs);
    const sizeChanged = replicasOf(rs) !== newScale;
    const annotationsChanged = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    if (!sizeChanged && !annotationsChanged) return { scaled: false, rs };
    const oldScale = replicasOf(rs);
    // A JSON patch guarded on the size we decided from: the ReplicaSet's status changes
    // all through a rollout and must not make this write conflict; a size change must.
    const ops: unknown[] = [
      { op: 'test', path: '/metadata/uid', value: rs.metadata!.uid },
      { op: 'test', path: '/spec/replicas', value: oldScale },
      { op: 'replace', path: '/spec/replicas', value: newScale },
    ];
    if (rs.metadata?.annotations) {
      for (const key of [DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION]) {
        ops.push({ op: 'add', path: `/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: copy.metadata!.annotations![key] });
      }
    } else ops.push({ op: 'add', path: '/metadata/annotations', value: copy.metadata!.annotations });
    const updated = await this.replicaSets.patch(rs.metadata!.namespace, rs.metadata!.name!, ops, 'json');
    this.written(d, updated);
    if (sizeChanged) this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata!.name} from ${oldScale} to ${newScale}`);
    return { scaled: sizeChanged, rs: updated };
  }

  async scaleReplicaSetAndRecordEvent(rs: ReplicaSet, newScale: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale, d, replicasOf(rs) < newScale ? 'up' : 'down');
  }

  /**
   * A resize outside a template change: one active RS takes the whole size; a
   * saturated new RS means old ones go to 0; otherwise (RollingUpdate) the change is
   * spread proportionally.
   */
  async scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const target = findActiveOrLatest(newRS, oldRSs);
    if (target) {
      if (replicasOf(target) === replicasOf(d)) return;
      await this.scaleReplicaSetAndRecordEvent(target, replicasOf(d), d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActive(oldRSs)) await this.scaleReplicaSetAndRecordEvent(old, 0, d);
      return;
    }
    if (isRollingUpdate(d)) {
      const { sizes, direction } = proportionalScale(d, filterActive([...oldRSs, newRS]));
      for (const { rs, size } of sizes) await this.scaleReplicaSet(rs, size, d, direction);
    }
  }

  /** True when some active RS was sized for a different Deployment size (a resize, not a rollout). */
  isScalingEvent(d: Deployment, rss: Array<ReplicaSet | undefined>): boolean {
    for (const rs of filterActive(rss)) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired === undefined) continue;
      if (desired !== replicasOf(d)) return true;
    }
    return false;
  }

  /** Deletes the oldest zero-sized ReplicaSets beyond revisionHistoryLimit. */
  async cleanupDeployment(oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0) continue;
      if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.replicaSets.delete(rs.metadata!.namespace, rs.metadata!.name!, { preconditions: { uid: rs.metadata!.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Status only: counts and Available (no progress estimation). */
  async syncDeploymentStatus(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const status = calculateStatus(allRSs, newRS, d, this.now());
    await this.writeStatus(d, status);
  }

  /** Paused or resized: scale, clean up history when paused, sync status. */
  async sync(d: Deployment, rsList: ReplicaSet[]): Promise<SyncResult> {
    const r = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    d = r.d;
    await this.scale(d, r.newRS, r.oldRSs);
    if (d.spec?.paused) await this.cleanupDeployment(r.oldRSs, d);
    await this.syncDeploymentStatus([...r.oldRSs, r.newRS], r.newRS, d);
  }

  /** Being deleted: report status, change nothing. */
  async syncStatusOnly(d: Deployment, rsList: ReplicaSet[]): Promise<SyncResult> {
    const r = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.syncDeploymentStatus([...r.oldRSs, r.newRS], r.newRS, r.d);
  }

  /** Progressing=Unknown DeploymentPaused / DeploymentResumed as spec.paused flips (never overriding a timeout). */
  async checkPausedConditions(d: Deployment): Promise<Deployment> {
    if (!hasProgressDeadline(d)) return d;
    const cond = getCondition(d.status, PROGRESSING);
    if (cond?.reason === reasons.timedOut) return d;
    const pausedCondExists = cond?.reason === reasons.paused;
    const status = structuredClone(d.status ?? {});
    if (d.spec?.paused && !pausedCondExists) {
      setCondition(status, newCondition(PROGRESSING, 'Unknown', reasons.paused, 'Deployment is paused', this.now()));
    } else if (!d.spec?.paused && pausedCondExists) {
      setCondition(status, newCondition(PROGRESSING, 'Unknown', reasons.resumed, 'Deployment is resumed', this.now()));
    } else return d;
    return this.writeStatus(d, status);
  }
}
