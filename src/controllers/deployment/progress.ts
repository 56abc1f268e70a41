// Rollout status with progress estimation: Progressing becomes
// NewReplicaSetAvailable when complete, ReplicaSetUpdated (lastUpdateTime refreshed)
// while pods move, ProgressDeadlineExceeded when nothing moved for
// progressDeadlineSeconds. ReplicaFailure is lifted from the ReplicaSets.
import type { apps } from '../../api/types.js';
import type { SyncResult, Syncer } from './sync.js';
import {
  PROGRESSING,
  REPLICA_FAILURE,
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  reasons,
  removeCondition,
  setCondition,
} from './util.js';

type Deployment = apps.Deployment;
type ReplicaSet = apps.ReplicaSet;

/** The new status a rollout step leads to, pure. */
export function rolloutStatus(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): apps.DeploymentStatus {
  const status = calculateStatus(allRSs, newRS, d, nowMs);
  if (!hasProgressDeadline(d)) removeCondition(status, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  const isComplete = status.replicas === status.updatedReplicas && current?.reason === reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !isComplete) {
    const name = d.metadata!.name;
    if (deploymentComplete(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      setCondition(status, newCondition(PROGRESSING, 'True', reasons.newRSAvailable, msg, nowMs));
    } else if (deploymentProgressing(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" is progressing.` : `Deployment "${name}" is progressing.`;
      const c = newCondition(PROGRESSING, 'True', reasons.rsUpdated, msg, nowMs);
      // Progress refreshes lastUpdateTime even when the reason stays the same.
      if (current) {
        if (current.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, PROGRESSING);
      }
      setCondition(status, c);
    } else if (deploymentTimedOut(d, status, nowMs)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      setCondition(status, newCondition(PROGRESSING, 'False', reasons.timedOut, msg, nowMs));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, REPLICA_FAILURE);
  return status;
}

/** The ReplicaFailure condition of the new RS (else any RS), as a Deployment condition. */
function replicaFailure(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): apps.DeploymentCondition | undefined {
  const ordered = newRS ? [newRS, ...allRSs.filter((rs) => rs !== newRS)] : allRSs;
  for (const rs of ordered) {
    const c = rs?.status?.conditions?.find((x) => x.type === REPLICA_FAILURE);
    if (c) return { type: REPLICA_FAILURE, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime };
  }
  return undefined;
}

/**
 * When to look again so a stuck rollout times out on time: at the deadline measured
 * from the Progressing condition's lastUpdateTime. undefined = no need.
 */
export function requeueForDeadline(d: Deployment, status: apps.DeploymentStatus, nowMs: number): number | undefined {
  const c = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !c) return undefined;
  if (deploymentComplete(d, status) || c.reason === reasons.timedOut) return undefined;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return undefined;
  const after = from + d.spec!.progressDeadlineSeconds! * 1000 - nowMs;
  // Condition times have second precision: look a second past the deadline.
  return Math.max(after, 0) + 1000;
}

export async function syncRolloutStatus(s: Syncer, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, d: Deployment): Promise<SyncResult> {
  const now = s.now();
  const status = rolloutStatus(allRSs, newRS, d, now);
  if (JSON.stringify(d.status ?? {}) === JSON.stringify(status)) {
    const after = requeueForDeadline(d, status, now);
    return after === undefined ? undefined : { requeueAfterMs: after };
  }
  await s.writeStatus(d, status);
}
