// RollingUpdate, read top-down: rolloutRolling → reconcileNewReplicaSet →
// reconcileOldReplicaSets → cleanupUnhealthyReplicas → scaleDownOldReplicaSets.
// Each pass makes at most one kind of move and then reports status; the next pass
// comes when ReplicaSet status changes (pods becoming available).
import type { apps } from '../../api/types.js';
import { syncRolloutStatus } from './progress.js';
import type { SyncResult, Syncer } from './sync.js';
import { cleanupUnhealthyPlan, deploymentComplete, filterActive, maxScaledDown, newRSNewReplicas, replicasOf, scaleDownOldPlan, specReplicas, statusCaughtUp } from './util.js';

type Deployment = apps.Deployment;
type ReplicaSet = apps.ReplicaSet;

export async function rolloutRolling(s: Syncer, d: Deployment, rsList: ReplicaSet[]): Promise<SyncResult> {
  const r = await s.getAllReplicaSetsAndSyncRevision(d, rsList, true);
  d = r.d;
  const newRS = r.newRS!;
  let oldRSs = r.oldRSs;
  const allRSs = [...oldRSs, newRS];

  if (await reconcileNewReplicaSet(s, allRSs, newRS, d)) return syncRolloutStatus(s, allRSs, newRS, d);
  if (await reconcileOldReplicaSets(s, allRSs, filterActive(oldRSs), newRS, d)) return syncRolloutStatus(s, allRSs, newRS, d);
  if (deploymentComplete(d, d.status ?? {})) await s.cleanupDeployment(oldRSs, d);
  return syncRolloutStatus(s, allRSs, newRS, d);
}

/** Grow the new RS as far as maxSurge allows (or shrink it if it is above replicas). */
export async function reconcileNewReplicaSet(s: Syncer, allRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  if (replicasOf(newRS) === replicasOf(d)) return false;
  if (replicasOf(newRS) > replicasOf(d)) return (await s.scaleReplicaSetAndRecordEvent(newRS, replicasOf(d), d)).scaled;
  return (await s.scaleReplicaSetAndRecordEvent(newRS, newRSNewReplicas(d, allRSs, newRS), d)).scaled;
}

/** Shrink old RSes as far as maxUnavailable allows: unhealthy replicas first, then available ones. */
export async function reconcileOldReplicaSets(s: Syncer, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  // Availability is read from ReplicaSet status: wait until it describes the sizes we
  // set (its update requeues us). Kubernetes' cleanupUnhealthyReplicas refuses the
  // "more available than replicas" case with an error for the same reason.
  if (!allRSs.every(statusCaughtUp)) return false;
  const budget = maxScaledDown(d, allRSs, newRS);
  if (budget <= 0) return false;
  const cleaned = await cleanupUnhealthyReplicas(s, oldRSs, d, budget);
  const scaledDown = await scaleDownOldReplicaSets(s, [...cleaned.oldRSs, newRS], cleaned.oldRSs, d);
  return cleaned.total + scaledDown > 0;
}

/** Unavailable old replicas can go at once: they block the rollout and serve nothing. */
export async function cleanupUnhealthyReplicas(s: Syncer, oldRSs: ReplicaSet[], d: Deployment, maxCleanup: number): Promise<{ oldRSs: ReplicaSet[]; total: number }> {
  const plan = cleanupUnhealthyPlan(oldRSs, maxCleanup);
  const updated = new Map<string, ReplicaSet>();
  for (const step of plan.steps) updated.set(step.rs.metadata!.uid!, (await s.scaleReplicaSetAndRecordEvent(step.rs, step.to, d)).rs);
  return { oldRSs: oldRSs.map((rs) => updated.get(rs.metadata!.uid!) ?? rs), total: plan.total };
}

export async function scaleDownOldReplicaSets(s: Syncer, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): Promise<number> {
  const plan = scaleDownOldPlan(d, allRSs, oldRSs);
  for (const step of plan.steps) await s.scaleReplicaSetAndRecordEvent(step.rs, step.to, d);
  return plan.total;
}
