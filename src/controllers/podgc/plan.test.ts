import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '../../api/types.js';
import { missingNodes, orphanedPodStatus, quarantineOver, terminatedPodsToDelete, unscheduledTerminatingPods } from './plan.js';

function pod(name: string, o: { phase?: string; node?: string; created?: string; deleting?: boolean; conditions?: core.PodCondition[] } = {}): core.Pod {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.deleting ? { deletionTimestamp: '2026-01-01T01:00:00Z' } : {}) },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: { ...(o.phase ? { phase: o.phase } : {}), ...(o.conditions ? { conditions: o.conditions } : {}) },
  };
}
const names = (pods: core.Pod[]) => pods.map((p) => p.metadata?.name);

test('terminatedPodsToDelete: the oldest finished pods beyond the threshold', () => {
  const pods = [
    pod('new-done', { phase: 'Succeeded', created: '2026-01-03T00:00:00Z' }),
    pod('old-failed', { phase: 'Failed', created: '2026-01-01T00:00:00Z' }),
    pod('running', { phase: 'Running', created: '2025-01-01T00:00:00Z' }),
    pod('mid-done', { phase: 'Succeeded', created: '2026-01-02T00:00:00Z' }),
  ];
  const cases: Array<{ threshold: number; want: string[] }> = [
    { threshold: 0, want: [] }, // off
    { threshold: 3, want: [] },
    { threshold: 2, want: ['old-failed'] },
    { threshold: 1, want: ['old-failed', 'mid-done'] },
  ];
  for (const c of cases) assert.deepEqual(names(terminatedPodsToDelete(pods, c.threshold)), c.want, `threshold ${c.threshold}`);
});

test('terminatedPodsToDelete: pods already being deleted count but are not picked again', () => {
  const pods = [pod('a', { phase: 'Failed', created: '2026-01-01T00:00:00Z', deleting: true }), pod('b', { phase: 'Failed', created: '2026-01-02T00:00:00Z' }), pod('c', { phase: 'Failed', created: '2026-01-03T00:00:00Z' })];
  assert.deepEqual(names(terminatedPodsToDelete(pods, 1)), ['b']);
});

test('unscheduledTerminatingPods: deleted and never bound', () => {
  const pods = [pod('bound-deleting', { node: 'n1', deleting: true }), pod('unbound-deleting', { deleting: true }), pod('unbound', {})];
  assert.deepEqual(names(unscheduledTerminatingPods(pods)), ['unbound-deleting']);
});

test('missingNodes keeps the first time a node was seen missing and forgets nodes that came back', () => {
  const pods = [pod('a', { node: 'gone' }), pod('b', { node: 'gone' }), pod('c', { node: 'here' }), pod('d', { node: 'back' }), pod('e', {})];
  const exists = (n: string) => n === 'here' || n === 'back';
  const next = missingNodes(pods, exists, new Map([['gone', 1000], ['back', 500]]), 5000);
  assert.deepEqual([...next], [['gone', 1000]]);
  assert.deepEqual([...missingNodes([pod('x', { node: 'new' })], exists, new Map(), 7000)], [['new', 7000]]);
});

test('quarantineOver: only nodes missing for the whole quarantine', () => {
  const missing = new Map([['long', 0], ['recent', 30_000], ['exact', 20_000]]);
  assert.deepEqual(quarantineOver(missing, 60_000, 40_000).sort(), ['exact', 'long']);
});

test('orphanedPodStatus: Failed with DisruptionTarget, a finished phase kept, an older DisruptionTarget replaced', () => {
  const now = '2026-01-01T00:01:00Z';
  const running = orphanedPodStatus(pod('r', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'DisruptionTarget', status: 'True', reason: 'Other' }] }), now);
  assert.equal(running.phase, 'Failed');
  assert.deepEqual(running.conditions, [
    { type: 'Ready', status: 'True' },
    { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: now },
  ]);
  assert.equal(orphanedPodStatus(pod('s', { phase: 'Succeeded' }), now).phase, 'Succeeded');
});
