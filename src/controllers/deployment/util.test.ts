// Table tests for the rollout arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { apps } from '../../api/types.js';
import {
  MAX_REPLICAS_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  cleanupUnhealthyPlan,
  computeHash,
  deploymentComplete,
  deploymentTimedOut,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  lastRevision,
  maxRevision,
  maxScaledDown,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  proportionalScale,
  replicasOf,
  resolveFenceposts,
  scaleDownOldPlan,
  scaledValue,
  setNewReplicaSetAnnotations,
  statusCaughtUp,
} from './util.js';
import { rolloutStatus } from './progress.js';
import { rollbackTarget } from './rollback.js';

type D = apps.Deployment;
type RS = apps.ReplicaSet;

function deployment(replicas: number, surge: number | string = '25%', unavailable: number | string = '25%', extra: Partial<apps.DeploymentSpec> = {}): D {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      ...extra,
    },
    status: {},
  };
}

let seq = 0;
function rs(name: string, replicas: number, available = replicas, o: { revision?: string; maxReplicas?: number; created?: number; image?: string } = {}): RS {
  const annotations: Record<string, string> = {};
  if (o.revision) annotations[REVISION_ANNOTATION] = o.revision;
  if (o.maxReplicas !== undefined) annotations[MAX_REPLICAS_ANNOTATION] = String(o.maxReplicas);
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations, creationTimestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, o.created ?? seq++)).toISOString() },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image: o.image ?? 'nginx:1' }] } },
    },
    status: { replicas, availableReplicas: available, readyReplicas: available },
  };
}

test('intOrPercent: surge rounds up, unavailable rounds down', () => {
  const table: Array<[number | string, number, boolean, number]> = [
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['20%', 10, true, 2],
    ['0%', 10, true, 0],
    ['100%', 7, false, 7],
    ['33%', 1, true, 1],
    ['33%', 1, false, 0],
    [3, 10, true, 3],
  ];
  for (const [v, total, up, want] of table) assert.equal(scaledValue(v, total, up), want, `${v} of ${total} up=${up}`);
});

test('fence-posts: both zero resolve to unavailable 1', () => {
  const table: Array<[number | string, number | string, number, { surge: number; unavailable: number }]> = [
    ['25%', '25%', 10, { surge: 3, unavailable: 2 }],
    ['20%', 0, 10, { surge: 2, unavailable: 0 }],
    [0, '10%', 5, { surge: 0, unavailable: 1 }], // 10% of 5 rounds down to 0, surge 0 → 1
    [0, 0, 3, { surge: 0, unavailable: 1 }],
    [1, 0, 0, { surge: 1, unavailable: 0 }],
  ];
  for (const [s, u, n, want] of table) assert.deepEqual(resolveFenceposts(s, u, n), want);
  assert.equal(maxUnavailable(deployment(2, 0, '100%')), 2);
  assert.equal(maxUnavailable(deployment(0)), 0);
  assert.equal(maxSurge({ ...deployment(10), spec: { ...deployment(10).spec!, strategy: { type: 'Recreate' } } }), 0);
});

test('new RS size: the seed example, 10 replicas, maxSurge 20%, maxUnavailable 0', () => {
  const d = deployment(10, '20%', 0);
  const old = rs('old', 10);
  const fresh = rs('new', 0, 0);
  // Step 1: surge 2 new pods; total 12 never exceeds replicas + maxSurge.
  assert.equal(newRSNewReplicas(d, [old, fresh], fresh), 2);
  // Nothing may be removed until new pods are available: 12 − 10 − 2 unavailable = 0.
  assert.equal(maxScaledDown(d, [old, { ...fresh, spec: { ...fresh.spec!, replicas: 2 } }], { ...fresh, spec: { ...fresh.spec!, replicas: 2 }, status: { replicas: 2, availableReplicas: 0 } }), 0);
  // Two new pods available: 12 − 10 − 0 = 2 old may go; scale-down plan agrees (12 available − 10).
  const newUp = { ...fresh, spec: { ...fresh.spec!, replicas: 2 }, status: { replicas: 2, availableReplicas: 2 } };
  assert.equal(maxScaledDown(d, [old, newUp], newUp), 2);
  assert.deepEqual(scaleDownOldPlan(d, [old, newUp], [old]).steps.map((s) => s.to), [8]);
  // Already at replicas + surge: the new RS cannot grow.
  assert.equal(newRSNewReplicas(d, [rs('o', 10), newUp], newUp), 2);
  // Never above replicas.
  assert.equal(newRSNewReplicas(d, [rs('o', 0), rs('n', 9)], rs('n', 9)), 10);
});

test('rolling scale down: unhealthy old replicas are cleaned up first, oldest first', () => {
  const a = rs('a', 3, 1, { created: 1 });
  const b = rs('b', 4, 4, { created: 2 });
  const plan = cleanupUnhealthyPlan([b, a], 5);
  assert.deepEqual(plan.steps.map((s) => [s.rs.metadata!.name, s.to]), [['a', 1]]);
  assert.equal(plan.total, 2);
  assert.equal(cleanupUnhealthyPlan([a], 1).steps[0].to, 2);
  // maxUnavailable 25% of 8 = 2; 9 available of all → may remove 3 (9 − (8 − 2)).
  const d = deployment(8);
  const plan2 = scaleDownOldPlan(d, [a, b, rs('n', 4, 4)], [b, a]);
  assert.deepEqual(plan2.steps.map((s) => [s.rs.metadata!.name, s.to]), [['a', 0]]);
  assert.equal(plan2.total, 3);
});

test('cleanup never scales an old ReplicaSet up when its status still counts pods being removed', () => {
  // The seed's 10-replica rollout: the Deployment has just scaled the old RS 10 → 9;
  // the RS controller's status still shows the 10 pods it saw. Nothing is unhealthy.
  const old = rs('old', 9, 10, { created: 1 });
  assert.deepEqual(cleanupUnhealthyPlan([old], 1), { steps: [], total: 0 });
  const table: Array<[string, number, number, number, Array<[string, number]>]> = [
    // name, replicas, available, maxCleanup, expected steps
    ['healthy', 4, 4, 2, []],
    ['one unhealthy', 4, 3, 2, [['x', 3]]],
    ['budget-bound', 4, 0, 2, [['x', 2]]],
    ['over-available', 3, 5, 2, []],
    ['empty', 0, 1, 2, []],
  ];
  for (const [why, replicas, available, max, steps] of table) {
    const plan = cleanupUnhealthyPlan([rs('x', replicas, available)], max);
    assert.deepEqual(plan.steps.map((s) => [s.rs.metadata!.name, s.to]), steps, why);
    assert.ok(plan.steps.every((s) => s.to <= replicasOf(s.rs)), `${why}: never a scale-up`);
  }
});

test('a ReplicaSet status is trusted for scale-down only once it describes the current spec', () => {
  const caughtUp = (replicas: number, available: number, generation: number, observed: number) => {
    const r = rs('x', replicas, available);
    return statusCaughtUp({ ...r, metadata: { ...r.metadata, generation }, status: { ...r.status!, observedGeneration: observed } });
  };
  assert.equal(caughtUp(9, 9, 2, 2), true);
  assert.equal(caughtUp(9, 7, 2, 2), true, 'fewer available than wanted is news, not staleness');
  assert.equal(caughtUp(9, 10, 2, 2), false, 'the scaled-away pod is still counted');
  assert.equal(caughtUp(9, 9, 3, 2), false, 'spec not yet observed');
});

test('proportional scaling spreads a resize over active ReplicaSets', () => {
  // 10 replicas (surge 25% → 3: max-replicas 13), mid-rollout 8 old / 5 new, scaled to 20 (surge 5).
  const d = deployment(20);
  d.status = { replicas: 13 };
  const old = rs('old', 8, 8, { maxReplicas: 13, created: 1 });
  const fresh = rs('new', 5, 0, { maxReplicas: 13, created: 2 });
  const { sizes, direction } = proportionalScale(d, [old, fresh]);
  assert.equal(direction, 'up');
  assert.deepEqual(sizes.map((s) => [s.rs.metadata!.name, s.size]), [['old', 15], ['new', 10]]);

  // Scaling down to 5 (surge 2 → allowed 7): 6 to remove, larger (older on ties) first.
  const down = deployment(5);
  const { sizes: s2, direction: dir2 } = proportionalScale(down, [old, fresh]);
  assert.equal(dir2, 'down');
  const total = s2.reduce((n, s) => n + s.size, 0);
  assert.equal(total, 7);
  assert.deepEqual(s2.map((s) => s.rs.metadata!.name), ['old', 'new']);

  // Scaling to zero removes everything.
  const zero = proportionalScale(deployment(0), [old, fresh]);
  assert.deepEqual(zero.sizes.map((s) => s.size), [0, 0]);
});

test('findActiveOrLatest: the single active RS, the newest when none, none when several', () => {
  const a = rs('a', 0, 0, { created: 1 });
  const b = rs('b', 0, 0, { created: 2 });
  assert.equal(findActiveOrLatest(undefined, [a, b])!.metadata!.name, 'b');
  assert.equal(findActiveOrLatest(rs('n', 3), [a, b])!.metadata!.name, 'n');
  assert.equal(findActiveOrLatest(rs('n', 3), [rs('c', 1)]), undefined);
});

test('revisions are BigInt: above 2^53 and unparsable values', () => {
  const big = '9007199254740993'; // 2^53 + 1: Number would round it
  const rss = [rs('a', 0, 0, { revision: big }), rs('b', 0, 0, { revision: '9007199254740992' }), rs('c', 0, 0, { revision: 'x' })];
  assert.equal(maxRevision(rss), 9007199254740993n);
  assert.equal(lastRevision(rss), 9007199254740992n);
  const d = deployment(3);
  const target = rs('new', 0);
  setNewReplicaSetAnnotations(d, target, maxRevision(rss) + 1n, false);
  assert.equal(target.metadata!.annotations![REVISION_ANNOTATION], '9007199254740994');
  assert.equal(rollbackTarget(rss, 0n)!.metadata!.name, 'b');
});

test('new RS annotations: change-cause copied, revision raised with history, desired/max replicas', () => {
  const d = deployment(10, '20%', 0);
  d.metadata!.annotations = { 'kubernetes.io/change-cause': 'kubectl set image', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
  const old = rs('old', 0, 0, { revision: '2' });
  assert.equal(setNewReplicaSetAnnotations(d, old, 4n, true), true);
  const a = old.metadata!.annotations!;
  assert.equal(a['kubernetes.io/change-cause'], 'kubectl set image');
  assert.equal(a['kubectl.kubernetes.io/last-applied-configuration'], undefined);
  assert.equal(a[REVISION_ANNOTATION], '4');
  assert.equal(a[REVISION_HISTORY_ANNOTATION], '2');
  assert.equal(a[DESIRED_REPLICAS_ANNOTATION], undefined, 'existing RS: replica annotations are left to scaling');
  const fresh = rs('fresh', 0);
  setNewReplicaSetAnnotations(d, fresh, 1n, false);
  assert.equal(fresh.metadata!.annotations![DESIRED_REPLICAS_ANNOTATION], '10');
  assert.equal(fresh.metadata!.annotations![MAX_REPLICAS_ANNOTATION], '12');
  // Never lowers a revision.
  assert.equal(setNewReplicaSetAnnotations(d, old, 3n, true), false);
});

test('template hash is stable, ignores the hash label, and changes with collisionCount', () => {
  const d = deployment(1);
  const h = computeHash(d.spec!.template);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  const withLabel = structuredClone(d.spec!.template);
  withLabel.metadata!.labels!['pod-template-hash'] = h;
  assert.equal(computeHash(withLabel), h);
  assert.notEqual(computeHash(d.spec!.template, 1), h);
  assert.equal(computeHash(d.spec!.template, 1), computeHash(d.spec!.template, 1));
});

test('the new RS is the oldest with an equal template; a replicas-only change reuses it', () => {
  const d = deployment(5);
  const a = rs('a', 3, 3, { created: 1, image: 'nginx:1' });
  const b = rs('b', 3, 3, { created: 2, image: 'nginx:2' });
  const c = rs('c', 0, 0, { created: 3, image: 'nginx:1' });
  assert.equal(findNewReplicaSet(d, [c, b, a])!.metadata!.name, 'a');
  const changed = structuredClone(d);
  changed.spec!.template.spec!.containers[0].image = 'nginx:2';
  assert.equal(findNewReplicaSet(changed, [a, b, c])!.metadata!.name, 'b');
  assert.ok(equalIgnoreHash({ metadata: { labels: { x: '1' } }, spec: { containers: [], volumes: [] } }, { metadata: { labels: { x: '1', 'pod-template-hash': 'z' } }, spec: { containers: [] } }));
});

test('progress: complete, progressing, and timing out after progressDeadlineSeconds', () => {
  const now = Date.UTC(2025, 0, 1, 12);
  const d = deployment(2, 1, 0, { progressDeadlineSeconds: 60 });
  const stuck = rs('new', 2, 0);
  d.status = {
    replicas: 2,
    updatedReplicas: 2,
    observedGeneration: 1,
    conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: new Date(now - 61_000).toISOString(), lastTransitionTime: new Date(now - 61_000).toISOString() }],
  };
  const timedOut = rolloutStatus([stuck], stuck, d, now);
  const p = timedOut.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(p.status, 'False');
  assert.equal(p.reason, 'ProgressDeadlineExceeded');
  assert.equal(p.message, 'ReplicaSet "new" has timed out progressing.');
  assert.equal(timedOut.conditions!.find((c) => c.type === 'Available')!.reason, 'MinimumReplicasUnavailable');
  assert.equal(deploymentTimedOut(d, d.status, now - 30_000), false);

  const ready = rs('new', 2, 2);
  const done = rolloutStatus([ready], ready, d, now);
  assert.ok(deploymentComplete(d, done));
  const p2 = done.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(p2.reason, 'NewReplicaSetAvailable');
  assert.equal(p2.message, 'ReplicaSet "new" has successfully progressed.');
  assert.equal(done.unavailableReplicas, undefined, 'zero counts are omitted');
});
