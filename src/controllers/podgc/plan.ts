// The pod garbage collector's decisions, pure. Kubernetes' PodGC removes what no kubelet
// will ever finish: pods bound to a node that no longer exists (after a quarantine, so a
// node being re-registered is not mistaken for a gone one), pods deleted before they were
// ever scheduled, and the oldest finished pods once there are more than the threshold.
//
// Example (quarantine 40s): node n3 is deleted at 12:00:00; the 12:00:20 pass first sees
// its pods orphaned and starts the quarantine; the 12:01:00 pass finds n3 still missing,
// marks its pods Failed with DisruptionTarget/DeletionByPodGC and force-deletes them.
import { compareStrings } from '../../api/compare.js';
import type { core } from '../../api/types.js';

/** --terminated-pod-gc-threshold's default in kube-controller-manager. */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12_500;
/** How often Kubernetes' PodGC runs. */
export const DEFAULT_GC_CHECK_PERIOD_MS = 20_000;
/** How long a node must stay missing before its pods are collected. */
export const DEFAULT_QUARANTINE_MS = 40_000;

export const REASON_DELETION_BY_POD_GC = 'DeletionByPodGC';
export const MESSAGE_NODE_GONE = 'PodGC: node no longer exists';

export function isTerminated(pod: core.Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * The oldest finished pods beyond `threshold` (0 or less turns this off). Pods already
 * being deleted are among the oldest picked but need no second delete.
 */
export function terminatedPodsToDelete(pods: core.Pod[], threshold: number): core.Pod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isTerminated);
  const excess = terminated.length - threshold;
  if (excess <= 0) return [];
  const created = (p: core.Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return terminated
    .sort((a, b) => created(a) - created(b) || compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''))
    .slice(0, excess)
    .filter((p) => !p.metadata?.deletionTimestamp);
}

/** Pods deleted before any scheduler bound them: no kubelet will finish their deletion. */
export function unscheduledTerminatingPods(pods: core.Pod[]): core.Pod[] {
  return pods.filter((p) => p.metadata?.deletionTimestamp && !p.spec?.nodeName);
}

/**
 * Node names that pods are bound to but that the node cache does not hold, with the time
 * each was first seen missing (kept from `quarantine`, started at `now` for new ones).
 * Nodes that reappeared drop out of the returned map.
 */
export function missingNodes(pods: core.Pod[], nodeExists: (name: string) => boolean, quarantine: ReadonlyMap<string, number>, now: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || out.has(node) || nodeExists(node)) continue;
    out.set(node, quarantine.get(node) ?? now);
  }
  return out;
}

/** Nodes whose quarantine is over: their pods may go once the API confirms the node is gone. */
export function quarantineOver(missing: ReadonlyMap<string, number>, now: number, quarantineMs: number): string[] {
  return [...missing].filter(([, since]) => now - since >= quarantineMs).map(([name]) => name);
}

/**
 * The status PodGC writes before force-deleting an orphaned pod: phase Failed unless it
 * already finished, and a DisruptionTarget condition saying why.
 */
export function orphanedPodStatus(pod: core.Pod, now: string): core.PodStatus {
  const status = pod.status ?? {};
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
  conditions.push({ type: 'DisruptionTarget', status: 'True', reason: REASON_DELETION_BY_POD_GC, message: MESSAGE_NODE_GONE, lastTransitionTime: now });
  return { ...status, phase: isTerminated(pod) ? status.phase : 'Failed', conditions };
}
