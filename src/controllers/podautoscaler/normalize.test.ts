import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  convertDesiredReplicasWithRules,
  newScalingHistory,
  normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors,
  resolveBehavior,
  storeScaleEvent,
  type Behavior,
} from './normalize.js';

const T0 = Date.UTC(2025, 0, 1);
const S = 1000;

describe('convertDesiredReplicasWithRules (min/max and the default rate)', () => {
  const cases = [
    { name: 'below min → min, TooFewReplicas', current: 3, desired: 1, min: 2, max: 5, want: [2, 'True', 'TooFewReplicas'] },
    { name: 'above max → max, TooManyReplicas', current: 3, desired: 10, min: 2, max: 5, want: [5, 'True', 'TooManyReplicas'] },
    { name: 'faster than max(2×current, 4) → ScaleUpLimit', current: 1, desired: 10, min: 1, max: 20, want: [4, 'True', 'ScaleUpLimit'] },
    { name: 'scale-up limit doubles from 3 → 6', current: 3, desired: 10, min: 1, max: 20, want: [6, 'True', 'ScaleUpLimit'] },
    { name: 'within range', current: 2, desired: 3, min: 2, max: 5, want: [3, 'False', 'DesiredWithinRange'] },
  ] as const;
  for (const c of cases) {
    test(c.name, () => {
      const got = convertDesiredReplicasWithRules(c.current, c.desired, c.min, c.max);
      assert.deepEqual([got.replicas, got.status, got.reason], c.want);
    });
  }
});

describe('normalizeDesiredReplicas (no behavior): downscale stabilization', () => {
  const window = 300 * S;
  test('a scale-down waits for the window; a scale-up does not', () => {
    const h = newScalingHistory();
    // recordInitialRecommendation: the first sync remembers the current size.
    h.recommendations.push({ recommendation: 3, timestamp: T0 });
    let r = normalizeDesiredReplicas(h, { current: 3, desired: 5, min: 2, max: 5, now: T0 + 15 * S, downscaleStabilizationWindowMs: window });
    assert.equal(r.replicas, 5);
    assert.equal(r.ableToScale.reason, 'ReadyForNewScale');
    assert.equal(r.scalingLimited.status, 'False');

    r = normalizeDesiredReplicas(h, { current: 5, desired: 2, min: 2, max: 5, now: T0 + 60 * S, downscaleStabilizationWindowMs: window });
    assert.equal(r.replicas, 5);
    assert.equal(r.ableToScale.reason, 'ScaleDownStabilized');
    assert.equal(r.ableToScale.message, 'recent recommendations were higher than current one, applying the highest recent recommendation');

    r = normalizeDesiredReplicas(h, { current: 5, desired: 2, min: 2, max: 5, now: T0 + 316 * S, downscaleStabilizationWindowMs: window });
    assert.equal(r.replicas, 2);
    assert.equal(r.ableToScale.reason, 'ReadyForNewScale');
  });

  test('a zero window scales down at once', () => {
    const h = newScalingHistory();
    h.recommendations.push({ recommendation: 5, timestamp: T0 });
    const r = normalizeDesiredReplicas(h, { current: 5, desired: 2, min: 1, max: 10, now: T0 + 1, downscaleStabilizationWindowMs: 0 });
    assert.equal(r.replicas, 2);
  });

  test('the history stays bounded: aged-out slots are reused', () => {
    const h = newScalingHistory();
    for (let i = 0; i < 100; i++) normalizeDesiredReplicas(h, { current: 3, desired: 3, min: 1, max: 10, now: T0 + i * 15 * S, downscaleStabilizationWindowMs: 60 * S });
    assert.ok(h.recommendations.length <= 6, `kept ${h.recommendations.length}`);
  });

  test('clamping applies to the stabilized value: min wins', () => {
    const h = newScalingHistory();
    const r = normalizeDesiredReplicas(h, { current: 3, desired: 1, min: 2, max: 5, now: T0, downscaleStabilizationWindowMs: 0 });
    assert.deepEqual([r.replicas, r.scalingLimited.status, r.scalingLimited.reason], [2, 'True', 'TooFewReplicas']);
  });
});

describe('behavior policies', () => {
  const behavior = (b: Parameters<typeof resolveBehavior>[0]): Behavior => resolveBehavior(b, 300);

  test('defaults: scale-up max(+4 pods, +100%) per 15 s, scale-down 100% per 15 s after the controller window', () => {
    const b = behavior({});
    assert.deepEqual(b.scaleUp, {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    });
    assert.deepEqual(b.scaleDown, { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  });

  const table: Array<{ name: string; b: Behavior; current: number; desired: number; min?: number; max?: number; want: [number, string, string] }> = [
    { name: 'default scale-up from 2: max(2+4, 2×2) = 6', b: behavior({}), current: 2, desired: 20, max: 50, want: [6, 'True', 'ScaleUpLimit'] },
    {
      name: 'selectPolicy Min picks the smaller: min(2+4, 2×2) = 4',
      b: behavior({ scaleUp: { selectPolicy: 'Min' } }),
      current: 2,
      desired: 20,
      max: 50,
      want: [4, 'True', 'ScaleUpLimit'],
    },
    {
      name: 'scale-up Disabled keeps the size',
      b: behavior({ scaleUp: { selectPolicy: 'Disabled' } }),
      current: 2,
      desired: 20,
      max: 50,
      want: [2, 'True', 'ScaleUpLimit'],
    },
    {
      name: 'scale-down Percent 50 from 10 → 5',
      b: behavior({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } }),
      current: 10,
      desired: 1,
      want: [5, 'True', 'ScaleDownLimit'],
    },
    {
      name: 'scale-down Pods 1 from 10 → 9',
      b: behavior({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } }),
      current: 10,
      desired: 1,
      want: [9, 'True', 'ScaleDownLimit'],
    },
    {
      name: 'scale-down Min of (Pods 1, Percent 50) removes the fewest → 9',
      b: behavior({
        scaleDown: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Min',
          policies: [
            { type: 'Pods', value: 1, periodSeconds: 60 },
            { type: 'Percent', value: 50, periodSeconds: 60 },
          ],
        },
      }),
      current: 10,
      desired: 1,
      want: [9, 'True', 'ScaleDownLimit'],
    },
    {
      name: 'scale-down Disabled keeps the size',
      b: behavior({ scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } }),
      current: 5,
      desired: 2,
      want: [5, 'True', 'ScaleDownLimit'],
    },
    {
      name: 'scale-down to min when the policy allows more',
      b: behavior({ scaleDown: { stabilizationWindowSeconds: 0 } }),
      current: 5,
      desired: 1,
      min: 2,
      want: [2, 'True', 'TooFewReplicas'],
    },
    { name: 'max wins over a generous policy', b: behavior({}), current: 4, desired: 20, max: 5, want: [5, 'True', 'TooManyReplicas'] },
  ];
  for (const c of table) {
    test(c.name, () => {
      const h = newScalingHistory();
      const r = normalizeDesiredReplicasWithBehaviors(h, { current: c.current, desired: c.desired, min: c.min ?? 1, max: c.max ?? 100, behavior: c.b, now: T0 });
      assert.deepEqual([r.replicas, r.scalingLimited.status, r.scalingLimited.reason], c.want);
    });
  }

  test('a Pods policy counts earlier scale events within its period', () => {
    const b = behavior({ scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } });
    const h = newScalingHistory();
    let r = normalizeDesiredReplicasWithBehaviors(h, { current: 2, desired: 5, min: 1, max: 10, behavior: b, now: T0 });
    assert.equal(r.replicas, 3);
    storeScaleEvent(h, b, 2, 3, T0);
    r = normalizeDesiredReplicasWithBehaviors(h, { current: 3, desired: 5, min: 1, max: 10, behavior: b, now: T0 + 30 * S });
    assert.equal(r.replicas, 3, 'the period that began at size 2 already added its one pod');
    r = normalizeDesiredReplicasWithBehaviors(h, { current: 3, desired: 5, min: 1, max: 10, behavior: b, now: T0 + 61 * S });
    assert.equal(r.replicas, 4);
  });

  test('scale-up stabilization window applies the lowest recent recommendation', () => {
    const b = behavior({ scaleUp: { stabilizationWindowSeconds: 60 } });
    const h = newScalingHistory();
    h.recommendations.push({ recommendation: 2, timestamp: T0 });
    let r = normalizeDesiredReplicasWithBehaviors(h, { current: 2, desired: 5, min: 1, max: 10, behavior: b, now: T0 + 30 * S });
    assert.equal(r.replicas, 2);
    assert.equal(r.ableToScale.reason, 'ScaleUpStabilized');
    r = normalizeDesiredReplicasWithBehaviors(h, { current: 2, desired: 5, min: 1, max: 10, behavior: b, now: T0 + 61 * S });
    assert.equal(r.replicas, 5);
    assert.equal(r.ableToScale.reason, 'ReadyForNewScale');
  });

  test('scale-down stabilization window from behavior', () => {
    const b = behavior({ scaleDown: { stabilizationWindowSeconds: 30 } });
    const h = newScalingHistory();
    h.recommendations.push({ recommendation: 5, timestamp: T0 });
    let r = normalizeDesiredReplicasWithBehaviors(h, { current: 5, desired: 2, min: 1, max: 10, behavior: b, now: T0 + 10 * S });
    assert.deepEqual([r.replicas, r.ableToScale.reason], [5, 'ScaleDownStabilized']);
    r = normalizeDesiredReplicasWithBehaviors(h, { current: 5, desired: 2, min: 1, max: 10, behavior: b, now: T0 + 45 * S });
    assert.equal(r.replicas, 2);
  });
});
