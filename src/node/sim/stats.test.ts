import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '../../api/types.js';
import { decodeSummary } from '../../autoscaling/metrics/scraper.js';
import { simulatedSummary } from './stats.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function pod(name: string, uid: string): core.Pod {
  return { metadata: { name, namespace: 'default', uid }, status: { startTime: new Date(T0 - 10_000).toISOString() } };
}

test('a simulated node reports its running containers, summed per pod and per node', () => {
  const summary = simulatedSummary({
    nodeName: 'kujira-sim-1',
    nodeStartedAt: T0 - 60_000,
    now: T0,
    pods: [
      { pod: pod('a', 'u-a'), containers: [{ name: 'web', cpu: 900, memory: 64 * 2 ** 20, startedAt: T0 - 10_000 }, { name: 'side', cpu: 100, memory: 2 ** 20, startedAt: T0 - 2000 }] },
      { pod: pod('b', 'u-b'), containers: [{ name: 'web', cpu: 250, memory: 2 ** 20, startedAt: T0 - 1000 }] },
      // Nothing running yet: no entry, as a kubelet has no stats for it.
      { pod: pod('c', 'u-c'), containers: [] },
    ],
  });
  assert.equal(summary.node.nodeName, 'kujira-sim-1');
  assert.equal(summary.node.cpu?.usageNanoCores, 1_250_000_000);
  assert.equal(summary.node.memory?.workingSetBytes, 66 * 2 ** 20);
  assert.deepEqual(summary.pods?.map((p) => p.podRef), [
    { name: 'a', namespace: 'default', uid: 'u-a' },
    { name: 'b', namespace: 'default', uid: 'u-b' },
  ]);
  const a = summary.pods![0]!;
  assert.equal(a.cpu?.usageNanoCores, 1_000_000_000);
  assert.equal(a.memory?.workingSetBytes, 65 * 2 ** 20);
  assert.deepEqual(a.containers?.map((c) => [c.name, c.cpu?.usageNanoCores, c.memory?.workingSetBytes]), [
    ['web', 900_000_000, 64 * 2 ** 20],
    ['side', 100_000_000, 2 ** 20],
  ]);
  // Cumulative cpu time: 0.9 cores for 10 s.
  assert.equal(a.containers![0]!.cpu?.usageCoreNanoSeconds, 9_000_000_000);
  assert.equal(a.containers![0]!.cpu?.time, new Date(T0).toISOString());
});

test('the scraper reads a simulated summary as it reads a kubelet one', () => {
  const summary = simulatedSummary({
    nodeName: 'kujira-sim-2',
    nodeStartedAt: T0 - 60_000,
    now: T0,
    pods: [{ pod: pod('a', 'u-a'), containers: [{ name: 'web', cpu: 900, memory: 2 ** 20, startedAt: T0 - 1000 }] }],
  });
  const decoded = decodeSummary(summary, { metadata: { name: 'kujira-sim-2' } }, T0, 1000);
  assert.equal(decoded.node?.cpuNanoCores, 900_000_000);
  assert.deepEqual(decoded.pods.map((p) => [p.namespace, p.name, p.uid, p.containers]), [['default', 'a', 'u-a', [{ name: 'web', cpuNanoCores: 900_000_000, memoryBytes: 2 ** 20 }]]]);
  assert.deepEqual(decoded.incompletePods, []);
});
