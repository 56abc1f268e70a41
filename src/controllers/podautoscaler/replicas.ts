// The replica calculator: Kubernetes' HPA arithmetic for resource metrics, pure.
// Given the target's pods, their latest usage and the target, it answers how many
// replicas would bring the average to the target:
//
//   desired = ceil(readyPods × currentUtilization / targetUtilization)
//
// Worked example (the seed's `kubectl autoscale rs kuard --cpu-percent=80`): 2 pods
// requesting 100m each use 200m and 180m → utilization (380×100)/200 = 190 % (integer
// division, as Kubernetes does) → ratio 190/80 = 2.375 → ceil(2 × 2.375) = 5.
//
// Within the tolerance (|1 − ratio| ≤ 0.1) nothing changes. Pods being deleted or Failed
// are ignored. Pending pods and (for cpu) pods not yet ready are "unready": left out,
// and on a scale-up counted as using 0 so that a burst of starting pods does not cause
// another burst. Pods with no metrics are "missing": on a scale-down assumed to use
// max(100 %, target) of their request, on a scale-up 0. If filling these in flips the
// direction or brings the ratio within tolerance, the replica count stays.
import type { core } from '../../api/types.js';
import { milliValueOf } from '../../api/quantity.js';

export type ResourceName = 'cpu' | 'memory';

/** One pod's usage of one resource, in milli-units (sum over the containers considered). */
export interface PodMetric {
  /** Epoch ms when measured. */
  timestamp: number;
  /** Measurement window in ms. */
  windowMs: number;
  value: number;
}

/** Pod name → its metric. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorOptions {
  /** `--horizontal-pod-autoscaler-tolerance`, default 0.1. */
  tolerance: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period`, default 5 minutes. */
  cpuInitializationPeriodMs: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay`, default 30 seconds. */
  delayOfInitialReadinessStatusMs: number;
}

export const defaultCalculatorOptions: CalculatorOptions = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
};

/** An error whose message is what Kubernetes reports in conditions and events. */
export class ReplicaCalculationError extends Error {
  override name = 'ReplicaCalculationError';
}

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

function epochMs(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Sorts the selected pods into ready, unready, missing-metrics and ignored (deleted/failed). */
export function groupPods(pods: core.Pod[], metrics: PodMetricsInfo, resource: ResourceName, opts: CalculatorOptions, now: number): PodGroups {
  const groups: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp || phase === 'Failed') {
      groups.ignoredPods.add(name);
      continue;
    }
    if (phase === 'Pending') {
      groups.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      groups.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const startTime = epochMs(pod.status?.startTime);
      let unready: boolean;
      if (!ready || startTime === undefined) {
        unready = true;
      } else {
        const transition = epochMs(ready.lastTransitionTime) ?? 0;
        if (startTime + opts.cpuInitializationPeriodMs > now) {
          // Still initialising: skip the sample if unready, or if a full metric window
          // has not passed since it became ready (the sample may include start-up burn).
          unready = ready.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // Past initialisation: skip only a pod that has never been ready.
          unready = ready.status === 'False' && startTime + opts.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        groups.unreadyPods.add(name);
        continue;
      }
    }
    groups.readyPodCount++;
  }
  return groups;
}

/**
 * Each pod's request of `resource` in milli-units: the sum over its containers (or the
 * named container). A container without a request makes utilization meaningless.
 */
export function calculatePodRequests(pods: core.Pod[], container: string, resource: ResourceName): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container !== '' && c.name !== container) continue;
      const request = milliValueOf(c.resources?.requests?.[resource]);
      if (request === undefined) {
        throw new ReplicaCalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ''}`);
      }
      sum += request;
    }
    requests.set(pod.metadata?.name ?? '', sum);
  }
  return requests;
}

export interface UtilizationRatio {
  ratio: number;
  /** Percent of request, integer (truncated), as shown in status. */
  utilization: number;
  /** Average usage per pod in milli-units (truncated). */
  rawAverage: number;
}

export function getResourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): UtilizationRatio {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [podName, metric] of metrics) {
    const request = requests.get(podName);
    // A metric for a pod we did not list is extraneous.
    if (request === undefined) continue;
    metricsTotal += metric.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

export function getMetricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

function withinTolerance(ratio: number, tolerance: number): boolean {
  return Math.abs(1 - ratio) <= tolerance;
}

/** The timestamp Kubernetes reports with a metric: the first pod's sample. */
function firstTimestamp(metrics: PodMetricsInfo): number {
  for (const m of metrics.values()) return m.timestamp;
  return 0;
}

export interface ResourceReplicasInput {
  currentReplicas: number;
  resource: ResourceName;
  /** Only this container's usage and request ('' = the whole pod). */
  container?: string;
  /** Pods selected by the target's selector. */
  pods: core.Pod[];
  /** Usage per pod in milli-units. Not modified. */
  metrics: PodMetricsInfo;
  options: CalculatorOptions;
  now: number;
}

export interface UtilizationResult {
  replicas: number;
  utilization: number;
  rawUtilization: number;
  timestamp: number;
}

/** Replicas for a target average utilization (percent of request). */
export function resourceReplicas(input: ResourceReplicasInput & { targetUtilization: number }): UtilizationResult {
  const { currentReplicas, resource, pods, options, now, targetUtilization } = input;
  const metrics: PodMetricsInfo = new Map(input.metrics);
  if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const timestamp = firstTimestamp(metrics);

  const { readyPodCount, unreadyPods, missingPods, ignoredPods } = groupPods(pods, metrics, resource, options, now);
  for (const name of ignoredPods) metrics.delete(name);
  for (const name of unreadyPods) metrics.delete(name);
  if (metrics.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');

  const requests = calculatePodRequests(pods, input.container ?? '', resource);
  const first = getResourceUtilizationRatio(metrics, requests, targetUtilization);
  const unchanged = { replicas: currentReplicas, utilization: first.utilization, rawUtilization: first.rawAverage, timestamp };

  const scaleUpWithUnready = unreadyPods.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && missingPods.size === 0) {
    if (withinTolerance(first.ratio, options.tolerance)) return unchanged;
    return { ...unchanged, replicas: Math.ceil(first.ratio * readyPodCount) };
  }

  if (missingPods.size > 0) {
    if (first.ratio < 1) {
      const fallbackUtilization = Math.max(100, targetUtilization);
      for (const name of missingPods) metrics.set(name, { timestamp: 0, windowMs: 0, value: Math.trunc(((requests.get(name) ?? 0) * fallbackUtilization) / 100) });
    } else if (first.ratio > 1) {
      for (const name of missingPods) metrics.set(name, { timestamp: 0, windowMs: 0, value: 0 });
    }
  }
  if (scaleUpWithUnready) {
    for (const name of unreadyPods) metrics.set(name, { timestamp: 0, windowMs: 0, value: 0 });
  }

  const second = getResourceUtilizationRatio(metrics, requests, targetUtilization);
  if (withinTolerance(second.ratio, options.tolerance) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) {
    return unchanged;
  }
  const replicas = Math.ceil(second.ratio * metrics.size);
  if ((second.ratio < 1 && replicas > currentReplicas) || (second.ratio > 1 && replicas < currentReplicas)) return unchanged;
  return { ...unchanged, replicas };
}

export interface AverageValueResult {
  replicas: number;
  /** Average usage per pod in milli-units. */
  usage: number;
  timestamp: number;
}

/** Replicas for a target average value per pod (milli-units). */
export function rawResourceReplicas(input: ResourceReplicasInput & { targetAverageValue: number }): AverageValueResult {
  const { currentReplicas, resource, pods, options, now, targetAverageValue } = input;
  const metrics: PodMetricsInfo = new Map(input.metrics);
  if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const timestamp = firstTimestamp(metrics);

  const { readyPodCount, unreadyPods, missingPods, ignoredPods } = groupPods(pods, metrics, resource, options, now);
  for (const name of ignoredPods) metrics.delete(name);
  for (const name of unreadyPods) metrics.delete(name);
  if (metrics.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');

  const first = getMetricUsageRatio(metrics, targetAverageValue);
  const unchanged = { replicas: currentReplicas, usage: first.usage, timestamp };

  const scaleUpWithUnready = unreadyPods.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && missingPods.size === 0) {
    if (withinTolerance(first.ratio, options.tolerance)) return unchanged;
    return { ...unchanged, replicas: Math.ceil(first.ratio * readyPodCount) };
  }

  if (missingPods.size > 0) {
    // On a scale-down a missing pod is assumed to sit exactly at the target.
    const fill = first.ratio < 1 ? targetAverageValue : first.ratio > 1 ? 0 : undefined;
    if (fill !== undefined) for (const name of missingPods) metrics.set(name, { timestamp: 0, windowMs: 0, value: fill });
  }
  if (scaleUpWithUnready) {
    for (const name of unreadyPods) metrics.set(name, { timestamp: 0, windowMs: 0, value: 0 });
  }

  const second = getMetricUsageRatio(metrics, targetAverageValue);
  if (withinTolerance(second.ratio, options.tolerance) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) {
    return unchanged;
  }
  const replicas = Math.ceil(second.ratio * metrics.size);
  if ((second.ratio < 1 && replicas > currentReplicas) || (second.ratio > 1 && replicas < currentReplicas)) return unchanged;
  return { ...unchanged, replicas };
}
