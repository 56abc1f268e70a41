// From "what the metrics ask for" to "what the autoscaler sets": stabilization over
// recent recommendations, rate limits (the default max(2×current, 4) or the HPA's
// `behavior` policies) and min/max clamping — each with the condition Kubernetes shows.
// Pure: the per-HPA history is passed in and updated in place; time is a number.
//
// Worked example (no behavior, default 5 m downscale window): recommendations 5 at
// t=0 and 2 at t=60 s → at t=60 s the answer is max(5, 2) = 5 (AbleToScale
// ScaleDownStabilized); at t=301 s the sample from t=0 has aged out and 2 is applied.
import type { autoscalingV2 } from '../../api/types.js';
import { ableToScale, scalingLimited } from './conditions.js';

export interface TimestampedRecommendation {
  recommendation: number;
  /** Epoch ms. */
  timestamp: number;
}

export interface TimestampedScaleEvent {
  replicaChange: number;
  timestamp: number;
  outdated: boolean;
}

/** What one HPA's controller remembers between syncs (Kubernetes keeps it in memory too). */
export interface ScalingHistory {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: TimestampedScaleEvent[];
  scaleDownEvents: TimestampedScaleEvent[];
}

export function newScalingHistory(): ScalingHistory {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

export interface ConditionVerdict {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface Normalized {
  replicas: number;
  /** The AbleToScale condition (status True) this step decided. */
  ableToScale: ConditionVerdict;
  scalingLimited: ConditionVerdict;
}

/** Without behavior, a scale-up is limited to max(2 × current, 4) per sync. */
export function calculateScaleUpLimit(currentReplicas: number): number {
  return Math.max(2 * currentReplicas, 4);
}

/** Records the recommendation and returns the highest one within the window (a scale-down waits for it). */
export function stabilizeRecommendation(history: ScalingHistory, desired: number, now: number, windowMs: number): number {
  let max = desired;
  let oldIndex = -1;
  const cutoff = now - windowMs;
  history.recommendations.forEach((rec, i) => {
    if (rec.timestamp < cutoff) oldIndex = i;
    else if (rec.recommendation > max) max = rec.recommendation;
  });
  // Reuse one aged-out slot, so the list stays bounded.
  if (oldIndex >= 0) history.recommendations[oldIndex] = { recommendation: desired, timestamp: now };
  else history.recommendations.push({ recommendation: desired, timestamp: now });
  return max;
}

/** Min/max and the default rate limit, with the ScalingLimited reason. */
export function convertDesiredReplicasWithRules(current: number, desired: number, min: number, max: number): ConditionVerdict & { replicas: number } {
  const scaleUpLimit = calculateScaleUpLimit(current);
  let maximumAllowed: number;
  let limitReason: string;
  let limitMessage: string;
  if (max > scaleUpLimit) {
    maximumAllowed = scaleUpLimit;
    limitReason = scalingLimited.ScaleUpLimit;
    limitMessage = 'the desired replica count is increasing faster than the maximum scale rate';
  } else {
    maximumAllowed = max;
    limitReason = scalingLimited.TooManyReplicas;
    limitMessage = 'the desired replica count is more than the maximum replica count';
  }
  if (desired < min) {
    return { replicas: min, status: 'True', reason: scalingLimited.TooFewReplicas, message: 'the desired replica count is less than the minimum replica count' };
  }
  if (desired > maximumAllowed) return { replicas: maximumAllowed, status: 'True', reason: limitReason, message: limitMessage };
  return { replicas: desired, status: 'False', reason: scalingLimited.DesiredWithinRange, message: 'the desired count is within the acceptable range' };
}

/** The path for an HPA without `behavior`. */
export function normalizeDesiredReplicas(
  history: ScalingHistory,
  args: { current: number; desired: number; min: number; max: number; now: number; downscaleStabilizationWindowMs: number },
): Normalized {
  const stabilized = stabilizeRecommendation(history, args.desired, args.now, args.downscaleStabilizationWindowMs);
  const able: ConditionVerdict =
    stabilized !== args.desired
      ? { status: 'True', reason: ableToScale.ScaleDownStabilized, message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
      : { status: 'True', reason: ableToScale.ReadyForNewScale, message: 'recommended size matches current size' };
  const limited = convertDesiredReplicasWithRules(args.current, stabilized, args.min, args.max);
  return {
    replicas: limited.replicas,
    ableToScale: able,
    scalingLimited: { status: limited.replicas === stabilized ? 'False' : 'True', reason: limited.reason, message: limited.message },
  };
}

// ---- behavior ----

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: Array<{ type: 'Pods' | 'Percent'; value: number; periodSeconds: number }>;
}

export interface Behavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/**
 * The behavior with Kubernetes' defaults filled in: scale-up may add 4 pods or 100 % per
 * 15 s (whichever is more) with no window; scale-down may remove 100 % per 15 s after the
 * controller's downscale window (`--horizontal-pod-autoscaler-downscale-stabilization`).
 */
export function resolveBehavior(b: autoscalingV2.HorizontalPodAutoscalerBehavior, downscaleStabilizationSeconds: number): Behavior {
  const rules = (r: autoscalingV2.HPAScalingRules | undefined, window: number, policies: ScalingRules['policies']): ScalingRules => ({
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? window,
    selectPolicy: (r?.selectPolicy as ScalingRules['selectPolicy'] | undefined) ?? 'Max',
    policies: r?.policies ? r.policies.map((p) => ({ type: p.type as 'Pods' | 'Percent', value: p.value, periodSeconds: p.periodSeconds })) : policies,
  });
  return {
    scaleUp: rules(b.scaleUp, 0, [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ]),
    scaleDown: rules(b.scaleDown, downscaleStabilizationSeconds, [{ type: 'Percent', value: 100, periodSeconds: 15 }]),
  };
}

/** Net replicas added (or removed) by the recorded events within the last `periodSeconds`. */
export function getReplicasChangePerPeriod(periodSeconds: number, events: TimestampedScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let change = 0;
  for (const e of events) if (e.timestamp > cutoff) change += e.replicaChange;
  return change;
}

/** Highest size the policies allow now, counting from the size at each policy period's start. */
export function calculateScaleUpLimitWithScalingRules(
  current: number,
  upEvents: TimestampedScaleEvent[],
  downEvents: TimestampedScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const policy of rules.policies) {
    const added = getReplicasChangePerPeriod(policy.periodSeconds, upEvents, now);
    const removed = getReplicasChangePerPeriod(policy.periodSeconds, downEvents, now);
    const periodStart = current - added + removed;
    const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** Lowest size the policies allow now. "Min" picks the smallest change, i.e. the highest size. */
export function calculateScaleDownLimitWithBehaviors(
  current: number,
  upEvents: TimestampedScaleEvent[],
  downEvents: TimestampedScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickHighest = rules.selectPolicy === 'Min';
  let result = pickHighest ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const policy of rules.policies) {
    const added = getReplicasChangePerPeriod(policy.periodSeconds, upEvents, now);
    const removed = getReplicasChangePerPeriod(policy.periodSeconds, downEvents, now);
    const periodStart = current - added + removed;
    const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
    result = pickHighest ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/**
 * Stabilization with separate windows: a scale-up applies the lowest recommendation of
 * the up-window, a scale-down the highest of the down-window.
 */
export function stabilizeRecommendationWithBehaviors(
  history: ScalingHistory,
  args: { current: number; desired: number; behavior: Behavior; now: number },
): { replicas: number; reason: string; message: string } {
  const upCutoff = args.now - args.behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = args.now - args.behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let upRecommendation = args.desired;
  let downRecommendation = args.desired;
  let oldIndex = -1;
  history.recommendations.forEach((rec, i) => {
    if (rec.timestamp > upCutoff) upRecommendation = Math.min(rec.recommendation, upRecommendation);
    if (rec.timestamp > downCutoff) downRecommendation = Math.max(rec.recommendation, downRecommendation);
    if (rec.timestamp < upCutoff && rec.timestamp < downCutoff) oldIndex = i;
  });
  let recommendation = args.current;
  if (recommendation < upRecommendation) recommendation = upRecommendation;
  if (recommendation > downRecommendation) recommendation = downRecommendation;
  if (oldIndex >= 0) history.recommendations[oldIndex] = { recommendation: args.desired, timestamp: args.now };
  else history.recommendations.push({ recommendation: args.desired, timestamp: args.now });
  return args.desired >= args.current
    ? { replicas: recommendation, reason: ableToScale.ScaleUpStabilized, message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
    : { replicas: recommendation, reason: ableToScale.ScaleDownStabilized, message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
}

export function convertDesiredReplicasWithBehaviorRate(
  history: ScalingHistory,
  args: { current: number; desired: number; min: number; max: number; behavior: Behavior; now: number },
): { replicas: number; reason: string; message: string } {
  if (args.desired > args.current) {
    let limit = calculateScaleUpLimitWithScalingRules(args.current, history.scaleUpEvents, history.scaleDownEvents, args.behavior.scaleUp, args.now);
    // Until old scale events leave their period, do not go further.
    if (limit < args.current) limit = args.current;
    let maximumAllowed = args.max;
    let reason: string = scalingLimited.TooManyReplicas;
    let message = 'the desired replica count is more than the maximum replica count';
    if (maximumAllowed > limit) {
      maximumAllowed = limit;
      reason = scalingLimited.ScaleUpLimit;
      message = 'the desired replica count is increasing faster than the maximum scale rate';
    }
    if (args.desired > maximumAllowed) return { replicas: maximumAllowed, reason, message };
  } else if (args.desired < args.current) {
    let limit = calculateScaleDownLimitWithBehaviors(args.current, history.scaleUpEvents, history.scaleDownEvents, args.behavior.scaleDown, args.now);
    if (limit > args.current) limit = args.current;
    let minimumAllowed = args.min;
    let reason: string = scalingLimited.TooFewReplicas;
    let message = 'the desired replica count is less than the minimum replica count';
    if (minimumAllowed < limit) {
      minimumAllowed = limit;
      reason = scalingLimited.ScaleDownLimit;
      message = 'the desired replica count is decreasing faster than the maximum scale rate';
    }
    if (args.desired < minimumAllowed) return { replicas: minimumAllowed, reason, message };
  }
  return { replicas: args.desired, reason: scalingLimited.DesiredWithinRange, message: 'the desired count is within the acceptable range' };
}

/** The path for an HPA with `behavior`. */
export function normalizeDesiredReplicasWithBehaviors(
  history: ScalingHistory,
  args: { current: number; desired: number; min: number; max: number; behavior: Behavior; now: number },
): Normalized {
  const stabilized = stabilizeRecommendationWithBehaviors(history, args);
  const able: ConditionVerdict =
    stabilized.replicas !== args.desired
      ? { status: 'True', reason: stabilized.reason, message: stabilized.message }
      : { status: 'True', reason: ableToScale.ReadyForNewScale, message: 'recommended size matches current size' };
  const limited = convertDesiredReplicasWithBehaviorRate(history, { ...args, desired: stabilized.replicas });
  return {
    replicas: limited.replicas,
    ableToScale: able,
    scalingLimited: { status: limited.replicas === stabilized.replicas ? 'False' : 'True', reason: limited.reason, message: limited.message },
  };
}

function longestPolicyPeriodSeconds(rules: ScalingRules): number {
  return rules.policies.reduce((longest, p) => Math.max(longest, p.periodSeconds), 0);
}

/** Remembers a rescale, for the policies' "per period" limits. Only HPAs with behavior keep these. */
export function storeScaleEvent(history: ScalingHistory, behavior: Behavior | undefined, previous: number, next: number, now: number): void {
  if (!behavior) return;
  const up = next > previous;
  const events = up ? history.scaleUpEvents : history.scaleDownEvents;
  const cutoff = now - longestPolicyPeriodSeconds(up ? behavior.scaleUp : behavior.scaleDown) * 1000;
  let outdatedIndex = -1;
  events.forEach((e, i) => {
    if (e.timestamp < cutoff) e.outdated = true;
    if (e.outdated) outdatedIndex = i;
  });
  const event = { replicaChange: up ? next - previous : previous - next, timestamp: now, outdated: false };
  if (outdatedIndex >= 0) events[outdatedIndex] = event;
  else events.push(event);
}
