import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { core } from '../../api/types.js';
import {
  defaultCalculatorOptions,
  rawResourceReplicas,
  ReplicaCalculationError,
  resourceReplicas,
  type PodMetricsInfo,
  type ResourceName,
} from './replicas.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface PodCase {
  /** Request per pod, e.g. '1' or '500m' (undefined = no request). */
  request?: string;
  phase?: 'Running' | 'Pending' | 'Failed' | 'Succeeded';
  ready?: 'True' | 'False';
  deleted?: boolean;
  /** ms before NOW the pod started (default 10 min: past the cpu initialization period). */
  startedAgo?: number;
  /** ms before NOW the Ready condition last changed (default 9 min). */
  readyChangedAgo?: number;
  /** Usage in milli-units; undefined = no metric. */
  usage?: number;
  /** ms before NOW the metric was taken (default 0). */
  metricAgo?: number;
}

function build(resource: ResourceName, cases: PodCase[]): { pods: core.Pod[]; metrics: PodMetricsInfo } {
  const metrics: PodMetricsInfo = new Map();
  const pods = cases.map((c, i): core.Pod => {
    const name = `pod-${i}`;
    if (c.usage !== undefined) metrics.set(name, { timestamp: NOW - (c.metricAgo ?? 0), windowMs: 30_000, value: c.usage });
    const started = NOW - (c.startedAgo ?? 10 * MIN);
    return {
      metadata: { name, namespace: 'default', ...(c.deleted ? { deletionTimestamp: iso(NOW) } : {}) },
      spec: { containers: [{ name: 'app', image: 'kuard', resources: c.request ? { requests: { [resource]: c.request } } : {} }] },
      status: {
        phase: c.phase ?? 'Running',
        startTime: iso(started),
        conditions: [{ type: 'Ready', status: c.ready ?? 'True', lastTransitionTime: iso(NOW - (c.readyChangedAgo ?? 9 * MIN)) }],
      },
    };
  });
  return { pods, metrics };
}

interface UtilizationCase {
  name: string;
  resource?: ResourceName;
  current: number;
  target: number;
  pods: PodCase[];
  want: { replicas: number; utilization: number; raw?: number };
}

const utilizationCases: UtilizationCase[] = [
  {
    name: 'scale up: 50% used against a 30% target → ceil(3 × 50/30) = 5',
    current: 3,
    target: 30,
    pods: [300, 500, 700].map((usage) => ({ request: '1', usage })),
    want: { replicas: 5, utilization: 50, raw: 500 },
  },
  {
    name: 'the seed: 2 pods at 200m and 180m of 100m, target 80% → 5',
    current: 2,
    target: 80,
    pods: [
      { request: '100m', usage: 200 },
      { request: '100m', usage: 180 },
    ],
    want: { replicas: 5, utilization: 190, raw: 190 },
  },
  {
    name: 'scale down: 28% used against 50% → ceil(5 × 0.56) = 3',
    current: 5,
    target: 50,
    pods: [100, 300, 500, 250, 250].map((usage) => ({ request: '1', usage })),
    want: { replicas: 3, utilization: 28, raw: 280 },
  },
  {
    name: 'tolerance: 102% against 100% stays',
    current: 3,
    target: 100,
    pods: [
      { request: '0.9', usage: 1010 },
      { request: '1.0', usage: 1030 },
      { request: '1.1', usage: 1020 },
    ],
    want: { replicas: 3, utilization: 102, raw: 1020 },
  },
  {
    name: 'tolerance edge: exactly 110% stays, 111% scales',
    current: 10,
    target: 100,
    pods: Array.from({ length: 10 }, () => ({ request: '1', usage: 1110 })),
    want: { replicas: 12, utilization: 111, raw: 1110 },
  },
  {
    name: 'unready pod on a scale-up counts as 0: (0+500+700)/3000 = 40% → 4, not 6',
    current: 3,
    target: 30,
    pods: [
      { request: '1', usage: 300, ready: 'False', readyChangedAgo: 10 * MIN },
      { request: '1', usage: 500 },
      { request: '1', usage: 700 },
    ],
    want: { replicas: 4, utilization: 60, raw: 600 },
  },
  {
    name: 'unready pod on a scale-down is left out: ready pods alone decide',
    current: 3,
    target: 50,
    pods: [
      { request: '1', usage: 900, ready: 'False', readyChangedAgo: 10 * MIN },
      { request: '1', usage: 100 },
      { request: '1', usage: 100 },
    ],
    want: { replicas: 1, utilization: 10, raw: 100 },
  },
  {
    name: 'pending pod is unready: scale-up counts it as 0',
    current: 3,
    target: 50,
    pods: [{ request: '1', phase: 'Pending' }, { request: '1', usage: 1000 }, { request: '1', usage: 1000 }],
    want: { replicas: 4, utilization: 100, raw: 1000 },
  },
  {
    name: 'within the cpu initialization period a sample less than one window after becoming ready is skipped',
    current: 2,
    target: 50,
    pods: [
      { request: '1', usage: 1000, startedAgo: MIN, readyChangedAgo: 10_000 },
      { request: '1', usage: 500 },
    ],
    // pod-0 unready; scale-up ratio 1.0 → within tolerance only with pod-1: 500/1000 = 50% → stays.
    want: { replicas: 2, utilization: 50, raw: 500 },
  },
  {
    name: 'within the initialization period a sample taken a full window after readiness counts',
    current: 2,
    target: 50,
    pods: [
      { request: '1', usage: 1000, startedAgo: 2 * MIN, readyChangedAgo: MIN },
      { request: '1', usage: 1000 },
    ],
    want: { replicas: 4, utilization: 100, raw: 1000 },
  },
  {
    name: 'past initialization, a pod that has never been ready is skipped',
    current: 2,
    target: 50,
    pods: [
      // became unready 10 s after start (within the 30 s readiness delay) → never ready
      { request: '1', usage: 1000, ready: 'False', startedAgo: 10 * MIN, readyChangedAgo: 10 * MIN - 10_000 },
      { request: '1', usage: 500 },
    ],
    want: { replicas: 2, utilization: 50, raw: 500 },
  },
  {
    name: 'past initialization, a pod that was ready and became unready still counts',
    current: 2,
    target: 50,
    pods: [
      { request: '1', usage: 1000, ready: 'False', startedAgo: 10 * MIN, readyChangedAgo: 5 * MIN },
      { request: '1', usage: 1000 },
    ],
    want: { replicas: 4, utilization: 100, raw: 1000 },
  },
  {
    name: 'memory ignores readiness',
    resource: 'memory',
    current: 2,
    target: 50,
    pods: [
      { request: '100Mi', usage: 104857600 * 1000, ready: 'False', readyChangedAgo: 10 * MIN },
      { request: '100Mi', usage: 104857600 * 1000 },
    ],
    want: { replicas: 4, utilization: 100, raw: 104857600 * 1000 },
  },
  {
    name: 'missing metrics on a scale-down assume 100% of request: (300+1000)/4000 = 32% → 3',
    current: 4,
    target: 50,
    pods: [{ request: '1', usage: 100 }, { request: '1', usage: 100 }, { request: '1', usage: 100 }, { request: '1' }],
    want: { replicas: 3, utilization: 10, raw: 100 },
  },
  {
    name: 'missing metrics on a scale-down with a target above 100% assume the target',
    current: 4,
    target: 200,
    pods: [{ request: '1', usage: 100 }, { request: '1', usage: 100 }, { request: '1', usage: 100 }, { request: '1' }],
    // (300 + 2000)/4000 = 57% → 0.285 → ceil(1.14) = 2 (with 100% it would be 1)
    want: { replicas: 2, utilization: 10, raw: 100 },
  },
  {
    name: 'missing metrics on a scale-up assume 0: 1600/4000 = 40% → ceil(4 × 40/30) = 6',
    current: 4,
    target: 30,
    pods: [{ request: '1', usage: 400 }, { request: '1', usage: 500 }, { request: '1', usage: 700 }, { request: '1' }],
    want: { replicas: 6, utilization: 53, raw: 533 },
  },
  {
    name: 'missing metrics that bring the ratio within tolerance keep the count',
    current: 2,
    target: 100,
    pods: [{ request: '1', usage: 1900 }, { request: '1' }],
    want: { replicas: 2, utilization: 190, raw: 1900 },
  },
  {
    name: 'deleted and failed pods are ignored, not counted as missing',
    current: 4,
    target: 50,
    pods: [{ request: '1', usage: 600 }, { request: '1', usage: 600 }, { request: '1', phase: 'Failed' }, { request: '1', deleted: true }],
    // 1200/2000 = 60% → 1.2 → ceil(2 × 1.2) = 3
    want: { replicas: 3, utilization: 60, raw: 600 },
  },
];

describe('resourceReplicas (Utilization target)', () => {
  for (const c of utilizationCases) {
    test(c.name, () => {
      const resource = c.resource ?? 'cpu';
      const { pods, metrics } = build(resource, c.pods);
      const got = resourceReplicas({ currentReplicas: c.current, targetUtilization: c.target, resource, pods, metrics, options: defaultCalculatorOptions, now: NOW });
      assert.equal(got.replicas, c.want.replicas, 'replicas');
      assert.equal(got.utilization, c.want.utilization, 'utilization');
      if (c.want.raw !== undefined) assert.equal(got.rawUtilization, c.want.raw, 'raw average');
    });
  }

  test('a configured tolerance of 0.5 keeps 140%', () => {
    const { pods, metrics } = build('cpu', [{ request: '1', usage: 1400 }]);
    const got = resourceReplicas({ currentReplicas: 1, targetUtilization: 100, resource: 'cpu', pods, metrics, options: { ...defaultCalculatorOptions, tolerance: 0.5 }, now: NOW });
    assert.equal(got.replicas, 1);
  });

  const errorCases: Array<{ name: string; pods: PodCase[]; message: string }> = [
    { name: 'no pods', pods: [], message: 'no pods returned by selector while calculating replica count' },
    {
      name: 'a container without a request',
      pods: [{ request: '1', usage: 100 }, { usage: 100 }],
      message: 'missing request for cpu in container app of Pod pod-1',
    },
    {
      name: 'only unready pods',
      pods: [{ request: '1', usage: 100, ready: 'False', readyChangedAgo: 10 * MIN }, { request: '1', phase: 'Pending' }],
      message: 'did not receive metrics for targeted pods (pods might be unready)',
    },
  ];
  for (const c of errorCases) {
    test(`error: ${c.name}`, () => {
      const { pods, metrics } = build('cpu', c.pods);
      assert.throws(
        () => resourceReplicas({ currentReplicas: 2, targetUtilization: 50, resource: 'cpu', pods, metrics, options: defaultCalculatorOptions, now: NOW }),
        (err: unknown) => err instanceof ReplicaCalculationError && err.message === c.message,
      );
    });
  }
});

describe('rawResourceReplicas (AverageValue target)', () => {
  const cases: Array<{ name: string; resource?: ResourceName; current: number; target: number; pods: PodCase[]; want: { replicas: number; usage: number } }> = [
    {
      name: 'cpu average 300m against 100m → 9',
      current: 3,
      target: 100,
      pods: [200, 300, 400].map((usage) => ({ usage })),
      want: { replicas: 9, usage: 300 },
    },
    {
      name: 'memory average 50Mi against 100Mi → 2 (no requests needed)',
      resource: 'memory',
      current: 4,
      target: 100 * 1048576 * 1000,
      pods: Array.from({ length: 4 }, () => ({ usage: 50 * 1048576 * 1000 })),
      want: { replicas: 2, usage: 50 * 1048576 * 1000 },
    },
    {
      name: 'within tolerance stays',
      current: 3,
      target: 100,
      pods: [95, 100, 105].map((usage) => ({ usage })),
      want: { replicas: 3, usage: 100 },
    },
    {
      name: 'missing pods on a scale-down assume exactly the target',
      current: 4,
      target: 100,
      pods: [{ usage: 10 }, { usage: 10 }, {}, {}],
      // (10+10+100+100)/4 = 55 → 0.55 → ceil(2.2) = 3
      want: { replicas: 3, usage: 10 },
    },
    {
      name: 'unready pods on a scale-up count as 0',
      current: 3,
      target: 100,
      pods: [{ usage: 300 }, { usage: 300 }, { phase: 'Pending' }],
      // (300+300+0)/3 = 200 → ceil(3 × 2) = 6
      want: { replicas: 6, usage: 300 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const resource = c.resource ?? 'cpu';
      const { pods, metrics } = build(resource, c.pods);
      const got = rawResourceReplicas({ currentReplicas: c.current, targetAverageValue: c.target, resource, pods, metrics, options: defaultCalculatorOptions, now: NOW });
      assert.equal(got.replicas, c.want.replicas, 'replicas');
      assert.equal(got.usage, c.want.usage, 'usage');
    });
  }
});
