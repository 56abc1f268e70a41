// Which pods a ReplicaSet deletes first when it scales down, as Kubernetes ranks them
// (controller.ActivePodsWithRanks). Earlier in the order = deleted first:
//  1. unassigned before assigned to a node
//  2. Pending before Unknown before Running
//  3. not ready before ready
//  4. lower controller.kubernetes.io/pod-deletion-cost before higher
//  5. more pods of the same owner family on the same node before fewer ("doubled up")
//  6. ready for less time before longer (in log2 buckets, then by uid)
//  7. higher container restart count before lower
//  8. newer before older (in log2 buckets, then by uid)
import type { core } from '../../api/types.js';
import { isPodReady, maxContainerRestarts, readyCondition } from '../runtime/pods.js';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: core.Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

/** floor(log2(age in ns)), or -1 for a time not in the past; compares ages in coarse buckets. */
function logBucket(timeMs: number | undefined, nowMs: number): number {
  if (timeMs === undefined || Number.isNaN(timeMs)) return Number.POSITIVE_INFINITY; // zero time = infinitely old
  const ageNs = (nowMs - timeMs) * 1e6;
  return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1;
}

function parseTime(t: string | undefined): number | undefined {
  return t ? Date.parse(t) : undefined;
}

export interface RankedPod {
  pod: core.Pod;
  /** How many related pods share this pod's node. */
  rank: number;
}

/** Negative when `a` should be deleted before `b`. */
export function compareForDeletion(a: RankedPod, b: RankedPod, nowMs: number): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const oa = phaseOrdinal[pa.status?.phase ?? ''] ?? -1;
  const ob = phaseOrdinal[pb.status?.phase ?? ''] ?? -1;
  if (oa !== ob) return oa - ob;
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (ra && rb) {
    const ta = parseTime(readyCondition(pa)?.lastTransitionTime);
    const tb = parseTime(readyCondition(pb)?.lastTransitionTime);
    if (ta !== tb) {
      const d = logBucket(ta, nowMs) - logBucket(tb, nowMs);
      if (d !== 0 && !Number.isNaN(d)) return d;
      if (d === 0) return uidCompare(pa, pb);
    }
  }
  const xa = maxContainerRestarts(pa);
  const xb = maxContainerRestarts(pb);
  if (xa !== xb) return xb - xa;
  const ka = parseTime(pa.metadata?.creationTimestamp);
  const kb = parseTime(pb.metadata?.creationTimestamp);
  if (ka !== kb) {
    const d = logBucket(ka, nowMs) - logBucket(kb, nowMs);
    if (d !== 0 && !Number.isNaN(d)) return d;
    if (d === 0) return uidCompare(pa, pb);
  }
  return 0;
}

function uidCompare(a: core.Pod, b: core.Pod): number {
  const ua = a.metadata?.uid ?? '';
  const ub = b.metadata?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * The `count` pods to delete from `pods`. `related` are the active pods of the whole
 * owner family (e.g. every ReplicaSet of one Deployment): a pod sharing its node with
 * many of them is deleted first, spreading what remains.
 */
export function podsToDelete(pods: core.Pod[], related: core.Pod[], count: number, nowMs: number): core.Pod[] {
  if (count >= pods.length) return pods.slice();
  const perNode = new Map<string, number>();
  for (const p of related) {
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const ranked: RankedPod[] = pods.map((pod) => ({ pod, rank: pod.spec?.nodeName ? perNode.get(pod.spec.nodeName) ?? 0 : 0 }));
  ranked.sort((a, b) => compareForDeletion(a, b, nowMs));
  return ranked.slice(0, count).map((r) => r.pod);
}
