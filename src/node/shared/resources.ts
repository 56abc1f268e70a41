// What a pod asks of a node, computed as Kubernetes' resource helpers do.
// Amounts are plain numbers keyed by resource name; cpu is in millicores, everything
// else (memory, ephemeral-storage, extended resources) in its integer unit.
import type { core } from '../../api/types.js';
import { intValueOf, milliValueOf } from '../../api/quantity.js';

export type ResourceAmounts = Record<string, number>;

export function amountOf(name: string, q: string | number | undefined): number {
  // A malformed quantity (refused by the API server) counts as nothing rather than crashing.
  return (name === 'cpu' ? milliValueOf(q) : intValueOf(q)) ?? 0;
}

/** A Kubernetes ResourceList as numbers. */
export function toAmounts(list: Record<string, string | number> | undefined): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const [name, q] of Object.entries(list ?? {})) out[name] = amountOf(name, q);
  return out;
}

/** A container's requests; a limit without a request counts as the request (API defaulting does the same). */
export function containerRequests(c: core.Container): ResourceAmounts {
  const out = toAmounts(c.resources?.limits);
  Object.assign(out, toAmounts(c.resources?.requests));
  return out;
}

function addInto(into: ResourceAmounts, add: ResourceAmounts): void {
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
}

function maxInto(into: ResourceAmounts, other: ResourceAmounts): void {
  for (const [k, v] of Object.entries(other)) if (v > (into[k] ?? 0)) into[k] = v;
}

/**
 * The pod's effective request: the larger of
 *   - the sum of app containers plus restartable init containers (sidecars), and
 *   - for each regular init container, its own request plus the sidecars started before it;
 * then pod overhead on top. Example: init 2 cpu, app 1 cpu + 500m → max(2, 1.5) = 2 cpu.
 */
export function podRequests(pod: core.Pod): ResourceAmounts {
  return podAggregate(pod, containerRequests);
}

/** The pod's effective limits, aggregated as its requests are (Kubernetes' PodLimits): what its pod cgroup is capped at. */
export function podLimits(pod: core.Pod): ResourceAmounts {
  return podAggregate(pod, (c) => toAmounts(c.resources?.limits));
}

function podAggregate(pod: core.Pod, of: (c: core.Container) => ResourceAmounts): ResourceAmounts {
  const spec = pod.spec;
  const running: ResourceAmounts = {};
  for (const c of spec?.containers ?? []) addInto(running, of(c));
  const initPeak: ResourceAmounts = {};
  const sidecars: ResourceAmounts = {};
  for (const c of spec?.initContainers ?? []) {
    const req = of(c);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, req);
      const peak = { ...sidecars };
      maxInto(initPeak, peak);
    } else {
      const peak = { ...sidecars };
      addInto(peak, req);
      maxInto(initPeak, peak);
    }
  }
  addInto(running, sidecars);
  maxInto(running, initPeak);
  addInto(running, toAmounts(spec?.overhead));
  return running;
}

/** Requests used only for scoring: a container without cpu/memory requests counts as 100m / 200Mi, so empty pods still spread. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function podScoringRequests(pod: core.Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = containerRequests(c);
    cpu += r['cpu'] ?? DEFAULT_MILLI_CPU_REQUEST;
    memory += r['memory'] ?? DEFAULT_MEMORY_REQUEST;
  }
  const all = podRequests(pod);
  return { cpu: Math.max(cpu, all['cpu'] ?? 0), memory: Math.max(memory, all['memory'] ?? 0) };
}
