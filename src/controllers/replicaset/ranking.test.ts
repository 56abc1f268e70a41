import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '../../api/types.js';
import { compareForDeletion, podsToDelete } from './ranking.js';
import { slowStartBatches } from './status.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readyFor?: number; restarts?: number; age?: number; cost?: number } = {}): core.Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: ago(o.age ?? 3600),
      annotations: o.cost !== undefined ? { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } : undefined,
    },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: ago(o.readyFor ?? 600) }] : [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: !!o.ready, restartCount: o.restarts ?? 0 }],
    },
  };
}

const cases: Array<{ name: string; first: core.Pod; second: core.Pod }> = [
  { name: 'unassigned before assigned', first: pod('a', { phase: 'Pending' }), second: pod('b', { node: 'n1', phase: 'Pending' }) },
  { name: 'Pending before Unknown', first: pod('a', { node: 'n1', phase: 'Pending' }), second: pod('b', { node: 'n1', phase: 'Unknown' }) },
  { name: 'Unknown before Running', first: pod('a', { node: 'n1', phase: 'Unknown' }), second: pod('b', { node: 'n1', phase: 'Running' }) },
  { name: 'not ready before ready', first: pod('a', { node: 'n1' }), second: pod('b', { node: 'n1', ready: true }) },
  { name: 'lower deletion cost first', first: pod('a', { node: 'n1', ready: true, cost: -5 }), second: pod('b', { node: 'n1', ready: true }) },
  { name: 'ready for a shorter time first', first: pod('a', { node: 'n1', ready: true, readyFor: 10 }), second: pod('b', { node: 'n1', ready: true, readyFor: 10_000 }) },
  { name: 'more restarts first', first: pod('a', { node: 'n1', ready: true, restarts: 7 }), second: pod('b', { node: 'n1', ready: true, restarts: 1 }) },
  { name: 'newer before older', first: pod('a', { node: 'n1', age: 5 }), second: pod('b', { node: 'n1', age: 50_000 }) },
];

for (const c of cases) {
  test(`deletion ranking: ${c.name}`, () => {
    assert.ok(compareForDeletion({ pod: c.first, rank: 0 }, { pod: c.second, rank: 0 }, NOW) < 0);
    assert.ok(compareForDeletion({ pod: c.second, rank: 0 }, { pod: c.first, rank: 0 }, NOW) > 0);
  });
}

test('deletion ranking: pods doubled up on a node go first', () => {
  const a = pod('a', { node: 'crowded', ready: true });
  const b = pod('b', { node: 'alone', ready: true });
  const related = [a, b, pod('x', { node: 'crowded' }), pod('y', { node: 'crowded' })];
  assert.deepEqual(podsToDelete([b, a], related, 1, NOW).map((p) => p.metadata!.name), ['a']);
});

test('deletion ranking: a mixed set is deleted in Kubernetes order', () => {
  const pods = [
    pod('running-ready-old', { node: 'n1', ready: true, readyFor: 100_000, age: 100_000 }),
    pod('pending-unscheduled', { phase: 'Pending' }),
    pod('running-notready', { node: 'n1' }),
    pod('pending-scheduled', { node: 'n1', phase: 'Pending' }),
    pod('running-ready-new', { node: 'n1', ready: true, readyFor: 5, age: 10 }),
  ];
  assert.deepEqual(
    podsToDelete(pods, [], 4, NOW).map((p) => p.metadata!.name),
    ['pending-unscheduled', 'pending-scheduled', 'running-notready', 'running-ready-new'],
  );
});

test('slow start batches double until done', () => {
  assert.deepEqual(slowStartBatches(0), []);
  assert.deepEqual(slowStartBatches(1), [1]);
  assert.deepEqual(slowStartBatches(10), [1, 2, 4, 3]);
  assert.deepEqual(slowStartBatches(500).reduce((a, b) => a + b, 0), 500);
});
