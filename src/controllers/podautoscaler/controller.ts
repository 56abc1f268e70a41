// The HorizontalPodAutoscaler controller, after Kubernetes' pkg/controller/podautoscaler:
// every sync period, for every HPA: read the target's scale subresource, compute the
// replicas each metric asks for (the max wins), stabilize and limit them, write the
// scale, then the status with its conditions, and record events. One HPA's failure
// (missing target, no requests, no metrics) is reported on that HPA and the loop
// carries on with the others.
//
// kujira addition: when the target's replicas differ from what this controller last
// set (someone ran `kubectl scale`), the next sync sets them back and records a Normal
// `ScaleOverridden` event saying so.
import type { autoscalingV2, core } from '../../api/types.js';
import { formatMilli, milliValueOf } from '../../api/quantity.js';
import { errorCode, errorMessage, type ApiRequester, type EventSink } from '../../autoscaling/requester.js';
import { parseSelector, SelectorError } from '../../api/labels.js';
import { ableToScale, conditionType, eventReason, scalingActive, setCondition, type ConditionType } from './conditions.js';
import { metricsApiClient, type ResourceMetricsClient } from './metrics.js';
import {
  newScalingHistory,
  normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors,
  resolveBehavior,
  storeScaleEvent,
  type Behavior,
  type Normalized,
  type ScalingHistory,
} from './normalize.js';
import { defaultCalculatorOptions, rawResourceReplicas, resourceReplicas, type CalculatorOptions, type ResourceName } from './replicas.js';

type HPA = autoscalingV2.HorizontalPodAutoscaler;
type MetricSpec = autoscalingV2.MetricSpec;
type MetricStatus = autoscalingV2.MetricStatus;
type Condition = autoscalingV2.HorizontalPodAutoscalerCondition;

export interface HorizontalPodAutoscalerOptions {
  /** `--horizontal-pod-autoscaler-sync-period`, ms. Default 15 s. */
  syncPeriodMs?: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization`, ms. Default 5 m. */
  downscaleStabilizationMs?: number;
  /** `--horizontal-pod-autoscaler-tolerance`. Default 0.1. */
  tolerance?: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period`, ms. Default 5 m. */
  cpuInitializationPeriodMs?: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay`, ms. Default 30 s. */
  initialReadinessDelayMs?: number;
  log?(line: string): void;
}

export interface Scale {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** Targets with a scale subresource, by group and kind. */
const scalableKinds: Record<string, string> = {
  'apps/Deployment': 'deployments',
  'apps/ReplicaSet': 'replicasets',
  'apps/StatefulSet': 'statefulsets',
  '/ReplicationController': 'replicationcontrollers',
};

class ScaleTargetError extends Error {
  override name = 'ScaleTargetError';
}

function groupVersionOf(ref: autoscalingV2.CrossVersionObjectReference): { group: string; version: string; base: string } {
  const [group, version] = (ref.apiVersion ?? '').includes('/') ? (ref.apiVersion as string).split('/') as [string, string] : ['', ref.apiVersion || 'v1'];
  return { group, version, base: group === '' ? `/api/${version}` : `/apis/${group}/${version}` };
}

/** The scale subresource's path for a scaleTargetRef of a well-known kind, or an error worded as Kubernetes' RESTMapper. */
export function scalePath(namespace: string, ref: autoscalingV2.CrossVersionObjectReference): string {
  const { group, base } = groupVersionOf(ref);
  const resource = scalableKinds[`${group}/${ref.kind}`];
  if (!resource) throw new ScaleTargetError(`no matches for kind "${ref.kind}" in group "${group}"`);
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}/${encodeURIComponent(ref.name)}/scale`;
}

/**
 * Like scalePath, but for other kinds asks discovery which resource serves the kind, as the
 * RESTMapper does: a served kind without a scale subresource then fails at the GET with the
 * server's own "the server could not find the requested resource", as in Kubernetes.
 */
export async function resolveScalePath(client: ApiRequester, namespace: string, ref: autoscalingV2.CrossVersionObjectReference): Promise<string> {
  const { group, base } = groupVersionOf(ref);
  if (scalableKinds[`${group}/${ref.kind}`]) return scalePath(namespace, ref);
  let resources: Array<{ name: string; kind: string; namespaced?: boolean }> = [];
  try {
    resources = (await client.request<{ resources?: typeof resources }>({ method: 'GET', path: base })).resources ?? [];
  } catch (err) {
    if (errorCode(err) !== 404) throw err;
  }
  const found = resources.find((r) => r.kind === ref.kind && !r.name.includes('/'));
  if (!found) throw new ScaleTargetError(`no matches for kind "${ref.kind}" in group "${group}"`);
  const ns = found.namespaced === false ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${ns}/${found.name}/${encodeURIComponent(ref.name)}/scale`;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An error that already carries the condition to set (ScalingActive False …). */
class MetricError extends Error {
  constructor(
    message: string,
    readonly condition: { type: ConditionType; reason: string; message: string },
  ) {
    super(message);
  }
}

interface PerHpaState {
  /** A recreated HPA of the same name starts afresh. */
  uid?: string;
  history: ScalingHistory;
  /** The replicas this controller last saw or set on the target. */
  lastSetReplicas?: number;
}

export class HorizontalController {
  private readonly state = new Map<string, PerHpaState>();
  private readonly calc: CalculatorOptions;
  private readonly syncPeriodMs: number;
  private readonly downscaleStabilizationMs: number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private rounds = 0;
  private readonly waiters: Array<{ after: number; resolve: () => void }> = [];

  constructor(
    private readonly client: ApiRequester,
    private readonly events: EventSink,
    private readonly metrics: ResourceMetricsClient,
    options: HorizontalPodAutoscalerOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.syncPeriodMs = options.syncPeriodMs ?? 15_000;
    this.downscaleStabilizationMs = options.downscaleStabilizationMs ?? 5 * 60_000;
    this.calc = {
      tolerance: options.tolerance ?? defaultCalculatorOptions.tolerance,
      cpuInitializationPeriodMs: options.cpuInitializationPeriodMs ?? defaultCalculatorOptions.cpuInitializationPeriodMs,
      delayOfInitialReadinessStatusMs: options.initialReadinessDelayMs ?? defaultCalculatorOptions.delayOfInitialReadinessStatusMs,
    };
    this.log = options.log ?? ((line) => console.error(line));
  }

  // ---- loop ----

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.syncAll()
        .catch((err: unknown) => this.log(`horizontal-pod-autoscaler: listing HPAs failed: ${errorMessage(err)}`))
        .finally(() => {
          this.running = undefined;
          this.rounds++;
          for (let i = this.waiters.length - 1; i >= 0; i--) {
            if (this.waiters[i]!.after < this.rounds) {
              this.waiters[i]!.resolve();
              this.waiters.splice(i, 1);
            }
          }
          if (!this.stopped) {
            this.timer = setTimeout(tick, this.syncPeriodMs);
            this.timer.unref();
          }
        });
    };
    tick();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Resolves after a full round that started after this call. */
  nextRound(): Promise<void> {
    const after = this.rounds + (this.running ? 1 : 0);
    return new Promise((resolve) => this.waiters.push({ after, resolve }));
  }

  /** One round over every HPA in the cluster. */
  async syncAll(): Promise<void> {
    const list = await this.client.request<{ items?: HPA[] }>({ method: 'GET', path: '/apis/autoscaling/v2/horizontalpodautoscalers' });
    const seen = new Set<string>();
    for (const hpa of list.items ?? []) {
      const key = `${hpa.metadata?.namespace}/${hpa.metadata?.name}`;
      seen.add(key);
      try {
        await this.reconcile({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', ...hpa });
      } catch (err) {
        this.log(`horizontal-pod-autoscaler: ${key}: ${errorMessage(err)}`);
      }
    }
    // Forget the memory of deleted HPAs.
    for (const key of this.state.keys()) if (!seen.has(key)) this.state.delete(key);
  }

  // ---- one HPA ----

  /** Reconciles one HPA (as read from the API) and writes its status. */
  async reconcile(hpaIn: HPA): Promise<void> {
    const hpa: HPA = structuredClone(hpaIn);
    hpa.apiVersion ??= 'autoscaling/v2';
    hpa.kind ??= 'HorizontalPodAutoscaler';
    const namespace = hpa.metadata?.namespace ?? 'default';
    const key = `${namespace}/${hpa.metadata?.name}`;
    const spec = hpa.spec!;
    const oldStatus = structuredClone(hpa.status ?? {});
    const conditions: Condition[] = structuredClone(hpa.status?.conditions ?? []);
    const nowMs = this.now();
    const now = rfc3339(nowMs);
    const cond = (type: ConditionType, status: 'True' | 'False', reason: string, message: string) => setCondition(conditions, type, status, reason, message, now);
    let state = this.state.get(key);
    if (!state || state.uid !== hpa.metadata?.uid) {
      state = { uid: hpa.metadata?.uid, history: newScalingHistory() };
      this.state.set(key, state);
    }

    const writeStatus = async (status: autoscalingV2.HorizontalPodAutoscalerStatus) => {
      status.conditions = conditions;
      await this.updateStatusIfNeeded(hpa, oldStatus, status);
    };
    const baseStatus = (current: number, desired: number, metrics: MetricStatus[] | undefined): autoscalingV2.HorizontalPodAutoscalerStatus => {
      const s: autoscalingV2.HorizontalPodAutoscalerStatus = { currentReplicas: current, desiredReplicas: desired };
      if (hpa.metadata?.generation !== undefined) s.observedGeneration = hpa.metadata.generation;
      if (hpa.status?.lastScaleTime) s.lastScaleTime = hpa.status.lastScaleTime;
      if (metrics && metrics.length > 0) s.currentMetrics = metrics;
      return s;
    };

    // 1. The target's scale.
    let scale: Scale;
    let path: string;
    try {
      path = await resolveScalePath(this.client, namespace, spec.scaleTargetRef);
      scale = await this.client.request<Scale>({ method: 'GET', path });
    } catch (err) {
      const message = errorMessage(err);
      this.events.event(hpa, 'Warning', eventReason.FailedGetScale, message);
      cond(conditionType.AbleToScale, 'False', ableToScale.FailedGetScale, `the HPA controller was unable to get the target's current scale: ${message}`);
      await writeStatus(baseStatus(hpa.status?.currentReplicas ?? 0, hpa.status?.desiredReplicas ?? 0, hpa.status?.currentMetrics));
      throw new Error(`failed to query scale subresource for ${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}: ${message}`, { cause: err });
    }
    cond(conditionType.AbleToScale, 'True', ableToScale.SucceededGetScale, "the HPA controller was able to get the target's current scale");

    const currentReplicas = scale.spec?.replicas ?? 0;
    if (state.history.recommendations.length === 0) state.history.recommendations.push({ recommendation: currentReplicas, timestamp: nowMs });
    const manualChange = state.lastSetReplicas !== undefined && state.lastSetReplicas !== currentReplicas ? state.lastSetReplicas : undefined;

    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;

    if (currentReplicas === 0 && minReplicas !== 0) {
      // Scaled to zero by hand: autoscaling is off until someone scales it up again.
      rescale = false;
      cond(conditionType.ScalingActive, 'False', scalingActive.ScalingDisabled, 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      let computed: Awaited<ReturnType<HorizontalController['computeReplicasForMetrics']>>;
      try {
        computed = await this.computeReplicasForMetrics(hpa, scale, nowMs, cond);
      } catch (err) {
        const statuses = err instanceof MetricsFailure ? err.statuses : undefined;
        await writeStatus(baseStatus(currentReplicas, hpa.status?.desiredReplicas ?? currentReplicas, statuses));
        this.events.event(hpa, 'Warning', eventReason.FailedComputeMetricsReplicas, errorMessage(err));
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${spec.scaleTargetRef.kind}/${namespace}/${spec.scaleTargetRef.name}: ${errorMessage(err)}`, { cause: err });
      }
      metricStatuses = computed.statuses;
      let rescaleMetric = '';
      if (computed.replicas > desiredReplicas) {
        desiredReplicas = computed.replicas;
        rescaleMetric = computed.metricName;
      }
      if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      let normalized: Normalized;
      if (spec.behavior) {
        const behavior: Behavior = resolveBehavior(spec.behavior, this.downscaleStabilizationMs / 1000);
        normalized = normalizeDesiredReplicasWithBehaviors(state.history, { current: currentReplicas, desired: desiredReplicas, min: minReplicas, max: maxReplicas, behavior, now: nowMs });
      } else {
        normalized = normalizeDesiredReplicas(state.history, {
          current: currentReplicas,
          desired: desiredReplicas,
          min: minReplicas,
          max: maxReplicas,
          now: nowMs,
          downscaleStabilizationWindowMs: this.downscaleStabilizationMs,
        });
      }
      cond(conditionType.AbleToScale, normalized.ableToScale.status, normalized.ableToScale.reason, normalized.ableToScale.message);
      cond(conditionType.ScalingLimited, normalized.scalingLimited.status, normalized.scalingLimited.reason, normalized.scalingLimited.message);
      desiredReplicas = normalized.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        await this.client.request<Scale>({
          method: 'PUT',
          path: path,
          body: { apiVersion: 'autoscaling/v1', kind: 'Scale', ...scale, spec: { ...scale.spec, replicas: desiredReplicas } },
        });
      } catch (err) {
        this.events.event(hpa, 'Warning', eventReason.FailedRescale, `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${errorMessage(err)}`);
        cond(conditionType.AbleToScale, 'False', ableToScale.FailedUpdateScale, `the HPA controller was unable to update the target scale: ${errorMessage(err)}`);
        await writeStatus(baseStatus(currentReplicas, hpa.status?.desiredReplicas ?? currentReplicas, metricStatuses));
        throw new Error(`failed to rescale ${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}: ${errorMessage(err)}`, { cause: err });
      }
      cond(conditionType.AbleToScale, 'True', ableToScale.SucceededRescale, `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      if (manualChange !== undefined) {
        this.events.event(
          hpa,
          'Normal',
          eventReason.ScaleOverridden,
          `${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name} was scaled to ${currentReplicas} outside the autoscaler (it had set ${manualChange}); the autoscaler manages its replicas and set them to ${desiredReplicas}`,
        );
      }
      this.events.event(hpa, 'Normal', eventReason.SuccessfulRescale, `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      storeScaleEvent(state.history, spec.behavior ? resolveBehavior(spec.behavior, this.downscaleStabilizationMs / 1000) : undefined, currentReplicas, desiredReplicas, nowMs);
      state.lastSetReplicas = desiredReplicas;
    } else {
      desiredReplicas = currentReplicas;
      state.lastSetReplicas = currentReplicas;
    }

    const status = baseStatus(currentReplicas, desiredReplicas, metricStatuses);
    if (rescale) status.lastScaleTime = now;
    await writeStatus(status);
  }

  /** Every metric's proposal; the largest wins. Throws MetricsFailure when no metric (or, on a scale-down, any) failed. */
  private async computeReplicasForMetrics(
    hpa: HPA,
    scale: Scale,
    nowMs: number,
    cond: (type: ConditionType, status: 'True' | 'False', reason: string, message: string) => void,
  ): Promise<{ replicas: number; metricName: string; statuses: MetricStatus[] }> {
    const selectorText = scale.status?.selector ?? '';
    if (selectorText === '') {
      this.events.event(hpa, 'Warning', eventReason.SelectorRequired, 'selector is required');
      cond(conditionType.ScalingActive, 'False', scalingActive.InvalidSelector, "the HPA target's scale is missing a selector");
      throw new MetricsFailure('selector is required', []);
    }
    try {
      parseSelector(selectorText);
    } catch (err) {
      const message = `couldn't convert selector into a corresponding internal selector object: ${errorMessage(err)}`;
      this.events.event(hpa, 'Warning', eventReason.InvalidSelector, message);
      cond(conditionType.ScalingActive, 'False', scalingActive.InvalidSelector, `the HPA target's scale has an invalid label selector: ${errorMessage(err)}`);
      if (!(err instanceof SelectorError)) throw err;
      throw new MetricsFailure(message, []);
    }

    const namespace = hpa.metadata?.namespace ?? 'default';
    const specs: MetricSpec[] = hpa.spec?.metrics?.length ? hpa.spec.metrics : [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    const specReplicas = scale.spec?.replicas ?? 0;
    const pods = (await this.client.request<{ items?: core.Pod[] }>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, query: { labelSelector: selectorText } })).items ?? [];

    // Statuses keep their index: kubectl pairs spec.metrics[i] with currentMetrics[i] (an unknown one stays `{type: ""}`).
    const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
    let replicas = 0;
    let metricName = '';
    let invalidCount = 0;
    let firstError: MetricError | undefined;
    for (let i = 0; i < specs.length; i++) {
      try {
        const r = await this.computeReplicasForMetric(hpa, specs[i]!, specReplicas, selectorText, pods, nowMs);
        statuses[i] = r.status;
        if (replicas === 0 || r.replicas > replicas) {
          replicas = r.replicas;
          metricName = r.metricName;
        }
      } catch (err) {
        const e = err instanceof MetricError ? err : new MetricError(errorMessage(err), { type: conditionType.ScalingActive, reason: 'FailedGetMetric', message: errorMessage(err) });
        if (!firstError) firstError = e;
        invalidCount++;
      }
    }
    if (firstError && (invalidCount >= specs.length || replicas < specReplicas)) {
      // Everything failed, or a partial view would scale down: do not act on it.
      cond(firstError.condition.type, 'False', firstError.condition.reason, firstError.condition.message);
      throw new MetricsFailure(`invalid metrics (${invalidCount} invalid out of ${specs.length}), first error is: ${firstError.message}`, statuses);
    }
    cond(conditionType.ScalingActive, 'True', scalingActive.ValidMetricFound, `the HPA was able to successfully calculate a replica count from ${metricName}`);
    return { replicas, metricName, statuses };
  }

  private async computeReplicasForMetric(
    hpa: HPA,
    spec: MetricSpec,
    specReplicas: number,
    selector: string,
    pods: core.Pod[],
    nowMs: number,
  ): Promise<{ replicas: number; metricName: string; status: MetricStatus }> {
    const namespace = hpa.metadata?.namespace ?? 'default';
    const source = spec.type === 'Resource' ? spec.resource : spec.type === 'ContainerResource' ? spec.containerResource : undefined;
    if (!source) {
      if (spec.type === 'Pods' || spec.type === 'Object' || spec.type === 'External') {
        const reason = `FailedGet${spec.type}Metric`;
        const message = `unable to get ${spec.type} metric: no custom or external metrics API is served by kujira`;
        this.events.event(hpa, 'Warning', reason, message);
        throw new MetricError(message, { type: conditionType.ScalingActive, reason, message: `the HPA was unable to compute the replica count: ${message}` });
      }
      const message = `unknown metric source type "${spec.type}"`;
      this.events.event(hpa, 'Warning', scalingActive.InvalidMetricSourceType, message);
      throw new MetricError(message, { type: conditionType.ScalingActive, reason: scalingActive.InvalidMetricSourceType, message: `the HPA was unable to compute the replica count: ${message}` });
    }
    const container = 'container' in source ? (source as autoscalingV2.ContainerResourceMetricSource).container : '';
    const failReason = spec.type === 'Resource' ? eventReason.FailedGetResourceMetric : eventReason.FailedGetContainerResourceMetric;
    const resource = source.name as ResourceName;
    // The event and condition carry the calculator's words; the summary adds which metric.
    const fail = (inner: string): MetricError => {
      this.events.event(hpa, 'Warning', failReason, inner);
      return new MetricError(`failed to get ${source.name} ${spec.type === 'Resource' ? 'resource' : 'container'} metric value: ${inner}`, {
        type: conditionType.ScalingActive,
        reason: failReason,
        message: `the HPA was unable to compute the replica count: ${inner}`,
      });
    };
    if (resource !== 'cpu' && resource !== 'memory') throw fail(`unable to get metrics for resource ${source.name}: only cpu and memory are measured`);

    const target = source.target;
    if (target.averageValue !== undefined) {
      const targetMilli = milliValueOf(target.averageValue);
      let r: ReturnType<typeof rawResourceReplicas>;
      try {
        const { metrics } = await this.getMetrics(resource, namespace, selector, container);
        r = rawResourceReplicas({ currentReplicas: specReplicas, targetAverageValue: targetMilli ?? 0, resource, container, pods, metrics, options: this.calc, now: nowMs });
      } catch (err) {
        throw fail(`failed to get ${resource} usage: ${errorMessage(err)}`);
      }
      const current = { averageValue: formatMilli(r.usage) };
      return {
        replicas: r.replicas,
        metricName: `${resource} resource${container ? ` of container "${container}"` : ''}`,
        status:
          spec.type === 'Resource'
            ? { type: 'Resource', resource: { name: resource, current } }
            : { type: 'ContainerResource', containerResource: { name: resource, container, current } },
      };
    }
    if (target.averageUtilization === undefined) {
      throw fail('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    }
    let r: ReturnType<typeof resourceReplicas>;
    try {
      const { metrics } = await this.getMetrics(resource, namespace, selector, container);
      r = resourceReplicas({ currentReplicas: specReplicas, targetUtilization: target.averageUtilization, resource, container, pods, metrics, options: this.calc, now: nowMs });
    } catch (err) {
      throw fail(`failed to get ${resource} utilization: ${errorMessage(err)}`);
    }
    const current = { averageUtilization: r.utilization, averageValue: formatMilli(r.rawUtilization) };
    return {
      replicas: r.replicas,
      metricName: `${resource} resource utilization (percentage of request)${container ? ` of container "${container}"` : ''}`,
      status:
        spec.type === 'Resource'
          ? { type: 'Resource', resource: { name: resource, current } }
          : { type: 'ContainerResource', containerResource: { name: resource, container, current } },
    };
  }

  private async getMetrics(resource: ResourceName, namespace: string, selector: string, container: string) {
    try {
      return await this.metrics.getResourceMetric(resource, namespace, selector, container);
    } catch (err) {
      throw new Error(`unable to get metrics for resource ${resource}: ${errorMessage(err)}`, { cause: err });
    }
  }

  private async updateStatusIfNeeded(hpa: HPA, oldStatus: Partial<autoscalingV2.HorizontalPodAutoscalerStatus>, status: autoscalingV2.HorizontalPodAutoscalerStatus): Promise<void> {
    if (JSON.stringify(sortKeys(oldStatus)) === JSON.stringify(sortKeys(status))) return;
    const namespace = hpa.metadata?.namespace ?? 'default';
    try {
      await this.client.request<HPA>({
        method: 'PUT',
        path: `/apis/autoscaling/v2/namespaces/${encodeURIComponent(namespace)}/horizontalpodautoscalers/${encodeURIComponent(hpa.metadata?.name ?? '')}/status`,
        body: { ...hpa, status },
      });
    } catch (err) {
      this.events.event(hpa, 'Warning', eventReason.FailedUpdateStatus, errorMessage(err));
      if (errorCode(err) === 409) return; // stale read: the next sync redoes it
      throw new Error(`failed to update status for ${hpa.metadata?.name}: ${errorMessage(err)}`, { cause: err });
    }
  }
}

class MetricsFailure extends Error {
  constructor(
    message: string,
    readonly statuses: MetricStatus[],
  ) {
    super(message);
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Posts core/v1 Events directly (used when no EventRecorder is given). */
export function simpleEventSink(client: ApiRequester, component: string, now: () => number = Date.now): EventSink {
  let seq = 0;
  return {
    event(obj, type, reason, message) {
      const meta = obj.metadata ?? {};
      const namespace = meta.namespace || 'default';
      const time = rfc3339(now());
      const event: core.Event = {
        metadata: { name: `${meta.name}.${(now() * 1000 + seq++).toString(16)}`, namespace },
        involvedObject: { kind: obj.kind, namespace: meta.namespace, name: meta.name, uid: meta.uid, apiVersion: obj.apiVersion, resourceVersion: meta.resourceVersion },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: time,
        lastTimestamp: time,
        source: { component },
        reportingComponent: component,
        reportingInstance: '',
      };
      void client.request({ method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, body: { apiVersion: 'v1', kind: 'Event', ...event } }).catch(() => undefined);
    },
  };
}

export interface StartHorizontalPodAutoscalerArgs {
  client: ApiRequester;
  now?: () => number;
  options?: HorizontalPodAutoscalerOptions;
  /** Where to record events; default: straight to the API. */
  events?: EventSink;
  /** Where to read pod usage; default: the metrics.k8s.io API through `client`. */
  metrics?: ResourceMetricsClient;
}

/** Starts the controller: a sync of every HPA at once and every sync period. */
export function startHorizontalPodAutoscaler({ client, now, options, events, metrics }: StartHorizontalPodAutoscalerArgs): HorizontalController {
  return new HorizontalController(client, events ?? simpleEventSink(client, 'horizontal-pod-autoscaler', now), metrics ?? metricsApiClient(client), options, now).start();
}
