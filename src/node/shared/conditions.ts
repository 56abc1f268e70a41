// Pod and node condition helpers: pure, used by the scheduler, nodes and controllers.
import type { core } from '../../api/types.js';

export interface ConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

export function findCondition<C extends ConditionLike>(conditions: C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns conditions with `next` set: lastTransitionTime is kept when the status did
 * not change (Kubernetes only moves it on a transition). Order of existing entries is kept.
 */
export function setCondition<C extends ConditionLike>(conditions: C[] | undefined, next: C): C[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  if (i < 0) return [...list, next];
  const old = list[i]!;
  const merged = { ...next };
  if (old.status === next.status && old.lastTransitionTime) merged.lastTransitionTime = old.lastTransitionTime;
  list[i] = merged;
  return list;
}

export function isPodReady(pod: core.Pod): boolean {
  return findCondition(pod.status?.conditions, 'Ready')?.status === 'True';
}

/** 'True' | 'False' | 'Unknown', or undefined when the node never reported Ready. */
export function nodeReadyStatus(node: core.Node): string | undefined {
  return findCondition(node.status?.conditions, 'Ready')?.status;
}

/** Kubernetes time strings have second precision: "2024-01-02T03:04:05Z". */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** MicroTime (Lease renewTime, Event eventTime): "2024-01-02T03:04:05.123456Z". */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function parseTime(t: string | undefined | null): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}
