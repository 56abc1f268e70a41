// Taints, tolerations and the well-known node taints, shared by the scheduler,
// the node lifecycle controller and the API server's default-toleration hook.
import type { core } from '../../api/types.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

/** Does this toleration tolerate this taint? An empty effect matches all effects; an empty key with Exists matches all keys. */
export function toleratesTaint(t: core.Toleration, taint: core.Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  if (!t.key) return false; // an empty key requires Exists
  return (t.value ?? '') === (taint.value ?? '');
}

export function isTaintTolerated(taint: core.Taint, tolerations: core.Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: core.Taint[] | undefined,
  tolerations: core.Toleration[] | undefined,
  effects: readonly string[],
): core.Taint | undefined {
  if (!taints || taints.length === 0) return undefined;
  return taints.find((taint) => effects.includes(taint.effect) && !isTaintTolerated(taint, tolerations));
}

/**
 * How long a pod may stay on a node with these NoExecute taints: 0 = evict now,
 * Infinity = never; otherwise the smallest tolerationSeconds among the tolerations used.
 */
export function noExecuteTolerationSeconds(taints: core.Taint[], tolerations: core.Toleration[] | undefined): number {
  let seconds = Infinity;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const matching = (tolerations ?? []).filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return 0;
    for (const t of matching) {
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) {
        seconds = Math.min(seconds, Math.max(0, t.tolerationSeconds));
      }
    }
  }
  return seconds;
}

export interface DefaultTolerationSeconds {
  notReadySeconds: number;
  unreachableSeconds: number;
}

/**
 * Kubernetes' DefaultTolerationSeconds admission: on pod create, add
 *   node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
 *   node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
 * unless the pod already tolerates that key for NoExecute. Returns a new pod; the input is untouched.
 */
export function addDefaultTolerations(pod: core.Pod, seconds: DefaultTolerationSeconds): core.Pod {
  const existing = pod.spec?.tolerations ?? [];
  const covers = (key: string): boolean =>
    existing.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
  const added: core.Toleration[] = [];
  if (!covers(TAINT_NOT_READY)) {
    added.push({ key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds.notReadySeconds });
  }
  if (!covers(TAINT_UNREACHABLE)) {
    added.push({ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds.unreachableSeconds });
  }
  if (added.length === 0 || !pod.spec) return pod;
  return { ...pod, spec: { ...pod.spec, tolerations: [...existing, ...added] } };
}
