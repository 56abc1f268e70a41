// Condition types, condition reasons and event reasons of the HPA controller, named as
// Kubernetes names them (what `kubectl describe hpa` shows), plus the one kujira adds.
import type { autoscalingV2 } from '../../api/types.js';

export const conditionType = {
  AbleToScale: 'AbleToScale',
  ScalingActive: 'ScalingActive',
  ScalingLimited: 'ScalingLimited',
} as const;
export type ConditionType = (typeof conditionType)[keyof typeof conditionType];

export const ableToScale = {
  SucceededGetScale: 'SucceededGetScale',
  FailedGetScale: 'FailedGetScale',
  SucceededRescale: 'SucceededRescale',
  FailedUpdateScale: 'FailedUpdateScale',
  ReadyForNewScale: 'ReadyForNewScale',
  ScaleDownStabilized: 'ScaleDownStabilized',
  ScaleUpStabilized: 'ScaleUpStabilized',
} as const;

export const scalingActive = {
  ValidMetricFound: 'ValidMetricFound',
  FailedGetResourceMetric: 'FailedGetResourceMetric',
  FailedGetContainerResourceMetric: 'FailedGetContainerResourceMetric',
  InvalidSelector: 'InvalidSelector',
  InvalidMetricSourceType: 'InvalidMetricSourceType',
  ScalingDisabled: 'ScalingDisabled',
} as const;

export const scalingLimited = {
  TooFewReplicas: 'TooFewReplicas',
  TooManyReplicas: 'TooManyReplicas',
  ScaleUpLimit: 'ScaleUpLimit',
  ScaleDownLimit: 'ScaleDownLimit',
  DesiredWithinRange: 'DesiredWithinRange',
} as const;

export const eventReason = {
  SuccessfulRescale: 'SuccessfulRescale',
  FailedRescale: 'FailedRescale',
  FailedGetScale: 'FailedGetScale',
  FailedGetResourceMetric: 'FailedGetResourceMetric',
  FailedGetContainerResourceMetric: 'FailedGetContainerResourceMetric',
  FailedComputeMetricsReplicas: 'FailedComputeMetricsReplicas',
  SelectorRequired: 'SelectorRequired',
  InvalidSelector: 'InvalidSelector',
  FailedUpdateStatus: 'FailedUpdateStatus',
  /**
   * kujira's own: the target's replicas were changed behind the autoscaler's back
   * (e.g. `kubectl scale`), and the autoscaler set them back. Kubernetes does this
   * silently; the seed warns the two fight, so kujira says so.
   */
  ScaleOverridden: 'ScaleOverridden',
} as const;

type Condition = autoscalingV2.HorizontalPodAutoscalerCondition;

/**
 * Sets a condition in place. lastTransitionTime changes only when the status does,
 * as Kubernetes' setConditionInList does.
 */
export function setCondition(conditions: Condition[], type: ConditionType, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: string): void {
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    conditions.push({ type, status, lastTransitionTime: now, reason, message });
    return;
  }
  if (existing.status !== status) existing.lastTransitionTime = now;
  existing.status = status;
  existing.reason = reason;
  existing.message = message;
}
