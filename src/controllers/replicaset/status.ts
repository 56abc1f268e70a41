// A ReplicaSet's status computed from the pods it owns, pure.
import type { apps, core } from '../../api/types.js';
import { isPodAvailable, isPodReady } from '../runtime/pods.js';

export const REPLICA_FAILURE = 'ReplicaFailure';

export interface ManageError {
  /** FailedCreate or FailedDelete. */
  reason: 'FailedCreate' | 'FailedDelete';
  message: string;
}

function templateLabelsPresent(pod: core.Pod, templateLabels: Record<string, string>): boolean {
  const labels = pod.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(templateLabels)) if (labels[k] !== v) return false;
  return true;
}

/**
 * status for `rs` given its active pods. A failed create/delete sets the
 * ReplicaFailure condition (kept with its first transition time while it persists);
 * a clean pass removes it.
 */
export function calculateStatus(rs: apps.ReplicaSet, activePods: core.Pod[], manageError: ManageError | undefined, nowMs: number): apps.ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of activePods) {
    if (templateLabelsPresent(pod, templateLabels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
  }
  const conditions = (rs.status?.conditions ?? []).filter((c) => c.type !== REPLICA_FAILURE);
  const existing = rs.status?.conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (manageError) {
    // Kubernetes sets the condition once and leaves it until the failures stop.
    conditions.push(
      existing ?? {
        type: REPLICA_FAILURE,
        status: 'True',
        reason: manageError.reason,
        message: manageError.message,
        lastTransitionTime: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    );
  }
  // replicas is always written; the other counts are omitempty in Kubernetes' JSON.
  const status: apps.ReplicaSetStatus = { replicas: activePods.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (rs.metadata?.generation) status.observedGeneration = rs.metadata.generation;
  if (conditions.length) status.conditions = conditions;
  return status;
}

export function statusEqual(a: apps.ReplicaSetStatus | undefined, b: apps.ReplicaSetStatus): boolean {
  if (!a) return false;
  return (
    (a.replicas ?? 0) === (b.replicas ?? 0) &&
    (a.fullyLabeledReplicas ?? 0) === (b.fullyLabeledReplicas ?? 0) &&
    (a.readyReplicas ?? 0) === (b.readyReplicas ?? 0) &&
    (a.availableReplicas ?? 0) === (b.availableReplicas ?? 0) &&
    a.observedGeneration === b.observedGeneration &&
    JSON.stringify(a.conditions ?? []) === JSON.stringify(b.conditions ?? [])
  );
}

/** Slow start: batches of 1, 2, 4, … until `count` are done or a batch has a failure. */
export function slowStartBatches(count: number, initial = 1): number[] {
  const out: number[] = [];
  let remaining = count;
  for (let size = Math.min(remaining, initial); size > 0; size = Math.min(2 * size, remaining)) {
    out.push(size);
    remaining -= size;
  }
  return out;
}
