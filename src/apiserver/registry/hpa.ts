// autoscaling horizontalpodautoscalers, stored as autoscaling/v2 and also served as v1.
// v1 knows only a CPU utilization target; everything else v2 carries survives a round trip
// through v1 in annotations, as Kubernetes does.
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, autoscalingV1, autoscalingV2 } from '../../api/types.js';
import { nameIsPathSegment } from '../../api/names.js';
import { formatQuantity, parseQuantity } from '../../api/quantity.js';
import type { ResourceDefinition } from './types.js';
import {
  age, ageColumn, allVerbs, clone, col, fe, nameColumn, prepareForCreate, prepareForStatusUpdate, prepareForUpdate,
  specOf, validateObjectMeta, validateObjectMetaUpdate, type StrategyRules,
} from './common.js';

type HPAv1 = autoscalingV1.HorizontalPodAutoscaler;
type HPAv2 = autoscalingV2.HorizontalPodAutoscaler;
type MetricSpec = autoscalingV2.MetricSpec;
type MetricStatus = autoscalingV2.MetricStatus;

export const DEFAULT_CPU_UTILIZATION = 80;
export const ANNOTATION_METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
export const ANNOTATION_CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const ANNOTATION_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
export const ANNOTATION_BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';

const metaRules = { namespaced: true, nameValidator: nameIsPathSegment };
const strategy: StrategyRules = { hasStatus: true, tracksGeneration: true };

// ---- defaults ------------------------------------------------------------------------------------

function scaleUpDefaults(r: autoscalingV2.HPAScalingRules | undefined): autoscalingV2.HPAScalingRules {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? 0,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

function scaleDownDefaults(r: autoscalingV2.HPAScalingRules | undefined): autoscalingV2.HPAScalingRules {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? 300,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

export function defaultHPAv2(obj: KubeObject): void {
  const spec = specOf<autoscalingV2.HorizontalPodAutoscalerSpec>(obj);
  spec.minReplicas ??= 1;
  if (!spec.metrics || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (spec.behavior) {
    spec.behavior.scaleUp = scaleUpDefaults(spec.behavior.scaleUp);
    spec.behavior.scaleDown = scaleDownDefaults(spec.behavior.scaleDown);
  }
}

// ---- conversion --------------------------------------------------------------------------------

const isCpuUtilization = (m: MetricSpec): boolean =>
  m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target?.type === 'Utilization' && m.resource.target.averageUtilization !== undefined;

function takeJSON<T>(annotations: Record<string, string>, key: string): T | undefined {
  const raw = annotations[key];
  delete annotations[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/** autoscaling/v1 → autoscaling/v2 (the storage version), with v2 defaults applied. */
export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const v1 = obj as unknown as HPAv1;
  const annotations = { ...(v1.metadata?.annotations ?? {}) };
  const extraMetrics = takeJSON<MetricSpec[]>(annotations, ANNOTATION_METRICS) ?? [];
  const extraCurrent = takeJSON<MetricStatus[]>(annotations, ANNOTATION_CURRENT_METRICS) ?? [];
  const conditions = takeJSON<autoscalingV2.HorizontalPodAutoscalerCondition[]>(annotations, ANNOTATION_CONDITIONS);
  const behavior = takeJSON<autoscalingV2.HorizontalPodAutoscalerBehavior>(annotations, ANNOTATION_BEHAVIOR);
  const metadata = clone(v1.metadata ?? {});
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;

  const metrics: MetricSpec[] = [];
  if (v1.spec?.targetCPUUtilizationPercentage !== undefined) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: v1.spec.targetCPUUtilizationPercentage } } });
  }
  metrics.push(...extraMetrics.filter((m) => !isCpuUtilization(m)));
  const spec: autoscalingV2.HorizontalPodAutoscalerSpec = {
    scaleTargetRef: clone(v1.spec?.scaleTargetRef) as autoscalingV2.CrossVersionObjectReference,
    maxReplicas: v1.spec?.maxReplicas as number,
  };
  if (v1.spec?.minReplicas !== undefined) spec.minReplicas = v1.spec.minReplicas;
  if (metrics.length > 0) spec.metrics = metrics;
  if (behavior) spec.behavior = behavior;
  const out: Record<string, unknown> = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata, spec };
  if (v1.status) {
    const st = v1.status;
    const status: autoscalingV2.HorizontalPodAutoscalerStatus = { desiredReplicas: st.desiredReplicas };
    if (st.observedGeneration !== undefined) status.observedGeneration = st.observedGeneration;
    if (st.lastScaleTime !== undefined) status.lastScaleTime = st.lastScaleTime;
    if (st.currentReplicas !== undefined) status.currentReplicas = st.currentReplicas;
    const current: MetricStatus[] = [];
    if (st.currentCPUUtilizationPercentage !== undefined) {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } });
    }
    current.push(...extraCurrent.filter((m) => !(m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current?.averageUtilization !== undefined)));
    if (current.length > 0) status.currentMetrics = current;
    if (conditions) status.conditions = conditions;
    out.status = status;
  }
  defaultHPAv2(out as KubeObject);
  return out as KubeObject;
}

/** autoscaling/v2 → autoscaling/v1. */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const v2 = obj as unknown as HPAv2;
  const metadata = clone(v2.metadata ?? {});
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}) };
  const metrics = v2.spec?.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length > 0) annotations[ANNOTATION_METRICS] = JSON.stringify(others);
  if (v2.spec?.behavior) annotations[ANNOTATION_BEHAVIOR] = JSON.stringify(v2.spec.behavior);
  const spec: autoscalingV1.HorizontalPodAutoscalerSpec = {
    scaleTargetRef: clone(v2.spec?.scaleTargetRef) as autoscalingV1.CrossVersionObjectReference,
    maxReplicas: v2.spec?.maxReplicas as number,
  };
  if (v2.spec?.minReplicas !== undefined) spec.minReplicas = v2.spec.minReplicas;
  if (cpu) spec.targetCPUUtilizationPercentage = cpu.resource!.target.averageUtilization;
  const out: Record<string, unknown> = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata, spec };
  if (v2.status) {
    const st = v2.status;
    const status: autoscalingV1.HorizontalPodAutoscalerStatus = { currentReplicas: st.currentReplicas ?? 0, desiredReplicas: st.desiredReplicas };
    if (st.observedGeneration !== undefined) status.observedGeneration = st.observedGeneration;
    if (st.lastScaleTime !== undefined) status.lastScaleTime = st.lastScaleTime;
    const current = st.currentMetrics ?? [];
    const cpuNow = current.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current?.averageUtilization !== undefined);
    if (cpuNow) status.currentCPUUtilizationPercentage = cpuNow.resource!.current?.averageUtilization;
    const rest = current.filter((m) => m !== cpuNow);
    if (rest.length > 0) annotations[ANNOTATION_CURRENT_METRICS] = JSON.stringify(rest);
    if (st.conditions?.length) annotations[ANNOTATION_CONDITIONS] = JSON.stringify(st.conditions);
    out.status = status;
  }
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return out as KubeObject;
}

// ---- validation ----------------------------------------------------------------------------------

function validateScaleBounds(min: number | undefined, max: number | undefined, ref: { kind?: string; name?: string } | undefined): FieldCause[] {
  const errs: FieldCause[] = [];
  if (!ref?.kind) errs.push(fe.required('spec.scaleTargetRef.kind'));
  if (!ref?.name) errs.push(fe.required('spec.scaleTargetRef.name'));
  if (min !== undefined && min < 1) errs.push(fe.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max === undefined || max < 1) errs.push(fe.invalid('spec.maxReplicas', max ?? 0, 'must be greater than 0'));
  else if (min !== undefined && max < min) errs.push(fe.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  return errs;
}

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const targetTypes = ['AverageValue', 'Utilization', 'Value'];

function validateTarget(t: autoscalingV2.MetricTarget | undefined, path: string): FieldCause[] {
  if (!t) return [fe.required(path)];
  const errs: FieldCause[] = [];
  if (!targetTypes.includes(t.type)) errs.push(fe.notSupported(`${path}.type`, t.type, targetTypes));
  if (t.averageUtilization !== undefined && t.averageUtilization < 1) errs.push(fe.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  for (const f of ['value', 'averageValue'] as const) {
    const v = t[f];
    if (v === undefined) continue;
    try {
      if (parseQuantity(v).nanos <= 0n) errs.push(fe.invalid(`${path}.${f}`, v, 'must be positive'));
    } catch {
      errs.push(fe.invalid(`${path}.${f}`, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    }
  }
  if (t.type === 'Utilization' && t.averageUtilization === undefined) errs.push(fe.required(`${path}.averageUtilization`, 'must set either a target raw value or a target utilization'));
  if (t.type === 'Value' && t.value === undefined) errs.push(fe.required(`${path}.value`, 'must set either a target value for metric or a per-pod target'));
  if (t.type === 'AverageValue' && t.averageValue === undefined) errs.push(fe.required(`${path}.averageValue`, 'must set either a target value for metric or a per-pod target'));
  return errs;
}

function validateV2Spec(h: HPAv2): FieldCause[] {
  const s = h.spec;
  if (!s) return [fe.required('spec.scaleTargetRef.kind'), fe.required('spec.scaleTargetRef.name'), fe.invalid('spec.maxReplicas', 0, 'must be greater than 0')];
  const errs = validateScaleBounds(s.minReplicas, s.maxReplicas, s.scaleTargetRef);
  (s.metrics ?? []).forEach((m, i) => {
    const p = `spec.metrics[${i}]`;
    if (!metricTypes.includes(m.type)) {
      errs.push(fe.notSupported(`${p}.type`, m.type, metricTypes));
      return;
    }
    if (m.type === 'Resource') {
      if (!m.resource) errs.push(fe.required(`${p}.resource`, 'must populate information for the given metric source'));
      else {
        if (!m.resource.name) errs.push(fe.required(`${p}.resource.name`, 'must specify a resource name'));
        errs.push(...validateTarget(m.resource.target, `${p}.resource.target`));
      }
    } else if (m.type === 'ContainerResource') {
      if (!m.containerResource) errs.push(fe.required(`${p}.containerResource`, 'must populate information for the given metric source'));
      else errs.push(...validateTarget(m.containerResource.target, `${p}.containerResource.target`));
    } else if (m.type === 'Pods') {
      if (!m.pods) errs.push(fe.required(`${p}.pods`, 'must populate information for the given metric source'));
      else errs.push(...validateTarget(m.pods.target, `${p}.pods.target`));
    } else if (m.type === 'Object') {
      if (!m.object) errs.push(fe.required(`${p}.object`, 'must populate information for the given metric source'));
      else errs.push(...validateTarget(m.object.target, `${p}.object.target`));
    } else if (m.type === 'External') {
      if (!m.external) errs.push(fe.required(`${p}.external`, 'must populate information for the given metric source'));
      else errs.push(...validateTarget(m.external.target, `${p}.external.target`));
    }
  });
  return errs;
}

function validateV1Spec(h: HPAv1): FieldCause[] {
  const s = h.spec;
  const errs = validateScaleBounds(s?.minReplicas, s?.maxReplicas, s?.scaleTargetRef);
  if (s?.targetCPUUtilizationPercentage !== undefined && s.targetCPUUtilizationPercentage < 1) {
    errs.push(fe.invalid('spec.targetCPUUtilizationPercentage', s.targetCPUUtilizationPercentage, 'must be greater than 0'));
  }
  return errs;
}

// ---- table -----------------------------------------------------------------------------------------

const q = (v: string | undefined): string => {
  if (v === undefined) return '<unknown>';
  try {
    return formatQuantity(parseQuantity(v));
  } catch {
    return v;
  }
};

/** The TARGETS column, e.g. "cpu: 45%/80%", "cpu: <unknown>/80%", "... + 1 more...". */
export function formatHPAMetrics(specs: MetricSpec[], statuses: MetricStatus[]): string {
  if (specs.length === 0) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses[i];
    switch (spec.type) {
      case 'External': {
        const t = spec.external?.target;
        if (t?.averageValue !== undefined) list.push(`${st?.external?.current?.averageValue !== undefined ? q(st.external.current?.averageValue) : '<unknown>'}/${q(t.averageValue)} (avg)`);
        else list.push(`${st?.external?.current?.value !== undefined ? q(st.external.current?.value) : '<unknown>'}/${q(t?.value)}`);
        break;
      }
      case 'Pods':
        list.push(`${st?.pods?.current?.averageValue !== undefined ? q(st.pods.current?.averageValue) : '<unknown>'}/${q(spec.pods?.target?.averageValue)}`);
        break;
      case 'Object': {
        const t = spec.object?.target;
        if (t?.averageValue !== undefined) list.push(`${st?.object?.current?.averageValue !== undefined ? q(st.object.current?.averageValue) : '<unknown>'}/${q(t.averageValue)} (avg)`);
        else list.push(`${st?.object?.current?.value !== undefined ? q(st.object.current?.value) : '<unknown>'}/${q(t?.value)}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = spec.type === 'Resource' ? st?.resource : st?.containerResource;
        const name = src?.name ?? '';
        if (src?.target?.averageValue !== undefined) {
          list.push(`${name}: ${cur?.current?.averageValue !== undefined ? q(cur.current?.averageValue) : '<unknown>'}/${q(src.target?.averageValue)}`);
        } else {
          const current = cur?.current?.averageUtilization !== undefined ? `${cur.current?.averageUtilization}%` : '<unknown>';
          const target = src?.target?.averageUtilization !== undefined ? `${src.target?.averageUtilization}%` : '<auto>';
          list.push(`${name}: ${current}/${target}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

function hpaRow(v2: HPAv2): unknown[] {
  const ref = v2.spec?.scaleTargetRef;
  return [
    v2.metadata?.name ?? '',
    `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
    formatHPAMetrics(v2.spec?.metrics ?? [], v2.status?.currentMetrics ?? []),
    v2.spec?.minReplicas !== undefined ? v2.spec.minReplicas : '<unset>',
    v2.spec?.maxReplicas ?? 0,
    v2.status?.currentReplicas ?? 0,
  ];
}

const columns = [
  nameColumn,
  col('Reference', 'string', 'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.'),
  col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
  col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
  col('MaxPods', 'integer', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.'),
  col('Replicas', 'integer', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
  ageColumn,
];

function base(version: 'v1' | 'v2'): Omit<ResourceDefinition, 'applyDefaults' | 'validateCreate' | 'validateUpdate' | 'tableRow'> {
  return {
    group: 'autoscaling',
    version,
    resource: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    kind: 'HorizontalPodAutoscaler',
    listKind: 'HorizontalPodAutoscalerList',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    verbs: allVerbs,
    subresources: { status: true },
    storageVersion: 'v2',
    validateStatusUpdate: (obj, old) => validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules),
    prepareForCreate: (obj) => prepareForCreate(obj, strategy),
    prepareForUpdate: (obj, old) => prepareForUpdate(obj, old, strategy),
    prepareForStatusUpdate: (obj, old) => prepareForStatusUpdate(obj, old, { keepLabels: false }),
    tableColumns: columns,
    fieldSelectors: {},
  };
}

export function hpaV2(): ResourceDefinition {
  return {
    ...base('v2'),
    applyDefaults: defaultHPAv2,
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateV2Spec(obj as unknown as HPAv2)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateV2Spec(obj as unknown as HPAv2)],
    tableRow: (obj, ctx) => [...hpaRow(obj as unknown as HPAv2), age(obj, ctx)],
  };
}

export function hpaV1(): ResourceDefinition {
  return {
    ...base('v1'),
    toStorage: hpaV1ToV2,
    fromStorage: hpaV2ToV1,
    applyDefaults(obj) {
      specOf<autoscalingV1.HorizontalPodAutoscalerSpec>(obj).minReplicas ??= 1;
    },
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateV1Spec(obj as unknown as HPAv1)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateV1Spec(obj as unknown as HPAv1)],
    tableRow: (obj, ctx) => {
      const v2 = obj.apiVersion === 'autoscaling/v2' ? obj : hpaV1ToV2(obj);
      return [...hpaRow(v2 as unknown as HPAv2), age(obj, ctx)];
    },
  };
}
