// Node lifecycle decisions with injected time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { core } from '../../api/types.js';
import { desiredTaints, evictionDueAt, isStale, podNotReadyConditions, staleConditions } from './health.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const node = (ready: string, extra: Partial<core.NodeSpec> = {}): core.Node => ({
  metadata: { name: 'n1' },
  spec: { ...extra },
  status: {
    conditions: [
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: '2025-12-31T23:59:00Z' },
      { type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: '2025-12-31T23:59:00Z', lastTransitionTime: '2025-12-31T00:00:00Z' },
    ],
  },
});
const tolerating = (seconds?: number): core.Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: {
    containers: [],
    tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) }],
  },
});

describe('isStale', () => {
  const cases: [number, boolean][] = [
    [39_000, false],
    [40_000, false],
    [40_001, true],
  ];
  for (const [age, want] of cases) it(`${age}ms after the last heartbeat → ${want}`, () => assert.equal(isStale(T, T + age, 40_000), want));
});

describe('staleConditions', () => {
  it('sets Ready and the pressures Unknown with NodeStatusUnknown, keeping heartbeats', () => {
    const c = staleConditions(node('True'), T)!;
    const ready = c.find((x) => x.type === 'Ready')!;
    assert.equal(ready.status, 'Unknown');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    assert.equal(ready.lastHeartbeatTime, '2025-12-31T23:59:00Z');
    assert.equal(ready.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(c.find((x) => x.type === 'MemoryPressure')!.status, 'Unknown');
  });
  it('leaves an already Unknown node alone', () => assert.equal(staleConditions(node('Unknown'), T), undefined));
});

describe('desiredTaints', () => {
  const cases: { name: string; node: core.Node; want: string[] | undefined }[] = [
    { name: 'ready node: nothing to do', node: node('True'), want: undefined },
    { name: 'Unknown → unreachable NoSchedule + NoExecute', node: node('Unknown'), want: ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute'] },
    { name: 'False → not-ready NoSchedule + NoExecute', node: node('False'), want: ['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute'] },
    { name: 'cordoned → unschedulable NoSchedule', node: node('True', { unschedulable: true }), want: ['node.kubernetes.io/unschedulable:NoSchedule'] },
    {
      name: 'back to Ready: managed taints removed, others kept',
      node: node('True', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2025-12-31T00:00:00Z' }, { key: 'gpu', effect: 'NoSchedule' }] }),
      want: ['gpu:NoSchedule'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = desiredTaints(c.node, T);
      assert.deepEqual(got?.map((t) => `${t.key}:${t.effect}`), c.want);
    });
  }
  it('NoExecute taints carry timeAdded, kept once set', () => {
    const first = desiredTaints(node('Unknown'), T)!;
    assert.equal(first.find((t) => t.effect === 'NoExecute')!.timeAdded, '2026-01-01T00:00:00Z');
    assert.equal(desiredTaints(node('Unknown', { taints: first }), T + 5000), undefined);
  });
});

describe('evictionDueAt', () => {
  const tainted = node('Unknown', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' }] });
  const cases: { name: string; pod: core.Pod; node: core.Node; want: number | undefined }[] = [
    { name: 'no NoExecute taint', pod: tolerating(300), node: node('True'), want: undefined },
    { name: 'tolerated 300s', pod: tolerating(300), node: tainted, want: T + 300_000 },
    { name: 'tolerated forever', pod: tolerating(), node: tainted, want: undefined },
    { name: 'not tolerated: at once', pod: { metadata: { name: 'p' }, spec: { containers: [] } }, node: tainted, want: T },
  ];
  for (const c of cases) it(c.name, () => assert.equal(evictionDueAt(c.pod, c.node, T + 1000), c.want));
});

describe('podNotReadyConditions', () => {
  it('turns Ready False', () => {
    const pod: core.Pod = { metadata: { name: 'p' }, status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] } };
    const c = podNotReadyConditions(pod, T)!;
    assert.equal(c.find((x) => x.type === 'Ready')!.status, 'False');
    assert.equal(c.length, 2);
  });
});
