// The node lifecycle controller's decisions, pure: is a node's heartbeat stale, what its
// conditions and taints should be, and when a pod on a tainted node must go.
//
// Example (grace 40s, default tolerations 300s): the last lease renewal is seen at 12:00:00;
// at 12:00:41 Ready becomes Unknown and the node gets node.kubernetes.io/unreachable:NoExecute
// (and :NoSchedule); its pods, tolerating unreachable for 300s, are deleted at 12:05:41.
import type { core } from '../../api/types.js';
import { findCondition, rfc3339 } from '../../node/shared/conditions.js';
import { noExecuteTolerationSeconds, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE } from '../../node/shared/taints.js';

export const REASON_NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const MESSAGE_NODE_STATUS_UNKNOWN = 'Kubelet stopped posting node status.';
const NODE_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** Heartbeat is stale when nothing was heard for longer than the grace period. */
export function isStale(lastHeardAt: number, now: number, graceMs: number): boolean {
  return now - lastHeardAt > graceMs;
}

/**
 * Conditions after the heartbeat went stale: every kubelet-owned condition becomes
 * Unknown with reason NodeStatusUnknown, keeping its last heartbeat time.
 * Returns undefined when nothing changes (already Unknown).
 */
export function staleConditions(node: core.Node, now: number): core.NodeCondition[] | undefined {
  const current = node.status?.conditions ?? [];
  if (findCondition(current, 'Ready')?.status === 'Unknown') return undefined;
  const t = rfc3339(now);
  const out: core.NodeCondition[] = current.filter((c) => !NODE_CONDITIONS.includes(c.type));
  for (const type of NODE_CONDITIONS) {
    const old = findCondition(current, type);
    const next: core.NodeCondition = {
      type,
      status: 'Unknown',
      reason: REASON_NODE_STATUS_UNKNOWN,
      message: MESSAGE_NODE_STATUS_UNKNOWN,
      lastTransitionTime: t,
      lastHeartbeatTime: old?.lastHeartbeatTime ?? t,
    };
    if (!old && type !== 'Ready') continue;
    out.push(next);
  }
  return out.sort((a, b) => NODE_CONDITIONS.indexOf(a.type) - NODE_CONDITIONS.indexOf(b.type));
}

const MANAGED = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE]);

/**
 * The taints a node should carry: its own, plus not-ready / unreachable (NoSchedule and
 * NoExecute) from its Ready condition, plus unschedulable:NoSchedule when cordoned.
 * Existing managed taints keep their timeAdded. Returns undefined when nothing changes.
 */
export function desiredTaints(node: core.Node, now: number): core.Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const ready = findCondition(node.status?.conditions, 'Ready')?.status;
  const want: core.Taint[] = [];
  const key = ready === 'Unknown' ? TAINT_UNREACHABLE : ready === 'False' ? TAINT_NOT_READY : undefined;
  if (key) {
    want.push({ key, effect: 'NoSchedule' });
    want.push({ key, effect: 'NoExecute' });
  }
  if (node.spec?.unschedulable) want.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  const kept = current.filter((t) => !MANAGED.has(t.key));
  const managed = want.map((w) => {
    const existing = current.find((t) => t.key === w.key && t.effect === w.effect);
    if (existing) return existing;
    return w.effect === 'NoExecute' ? { ...w, timeAdded: rfc3339(now) } : w;
  });
  const next = [...kept, ...managed];
  const same = next.length === current.length && next.every((t) => current.includes(t));
  return same ? undefined : next;
}

/**
 * When a pod on this node must be evicted, as absolute ms: undefined = never (no NoExecute
 * taint, or tolerated forever); otherwise the taint's timeAdded plus the smallest
 * tolerationSeconds (0 when some NoExecute taint is not tolerated at all).
 */
export function evictionDueAt(pod: core.Pod, node: core.Node, now: number): number | undefined {
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  if (taints.length === 0) return undefined;
  const seconds = noExecuteTolerationSeconds(taints, pod.spec?.tolerations);
  if (seconds === Infinity) return undefined;
  let added = now;
  for (const t of taints) {
    const at = t.timeAdded ? Date.parse(t.timeAdded) : NaN;
    if (!Number.isNaN(at) && at < added) added = at;
  }
  return added + seconds * 1000;
}

/** Pod conditions after its node stopped reporting: Ready becomes False. Undefined when already so. */
export function podNotReadyConditions(pod: core.Pod, now: number): core.PodCondition[] | undefined {
  const conditions = pod.status?.conditions ?? [];
  const ready = findCondition(conditions, 'Ready');
  if (ready?.status === 'False') return undefined;
  const next: core.PodCondition = { type: 'Ready', status: 'False', lastProbeTime: null as unknown as undefined, lastTransitionTime: rfc3339(now) };
  return ready ? conditions.map((c) => (c.type === 'Ready' ? next : c)) : [...conditions, next];
}
