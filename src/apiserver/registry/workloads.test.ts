import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { deployments } from './deployments.js';
import { replicaSets } from './replicasets.js';

const now = new Date('2024-05-01T12:00:00Z');
const ctx = { now: () => now };

function deploy(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kuard', namespace: 'default', creationTimestamp: '2024-05-01T11:55:00Z' },
    spec: {
      selector: { matchLabels: { app: 'kuard' } },
      template: { metadata: { labels: { app: 'kuard' } }, spec: { containers: [{ name: 'kuard', image: 'gcr.io/kuar-demo/kuard-amd64:blue' }] } },
      ...spec,
    },
  };
}

const msgs = (causes: { field: string; message: string }[]): string[] => causes.map((c) => `${c.field}: ${c.message}`);

test('deployment defaults', () => {
  const d = deploy();
  deployments().applyDefaults(d);
  const spec = d.spec as any;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.equal(spec.template.spec.restartPolicy, 'Always');
  assert.equal(spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  const r = deploy({ strategy: { type: 'Recreate' } });
  deployments().applyDefaults(r);
  assert.deepEqual((r.spec as any).strategy, { type: 'Recreate' });
});

test('deployment validation messages', () => {
  const def = deployments();
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['valid', {}, []],
    ['missing selector', { selector: undefined }, ['spec.selector: Required value']],
    [
      'selector mismatch',
      { selector: { matchLabels: { app: 'other' } } },
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"kuard"}: `selector` does not match template `labels`'],
    ],
    [
      'both zero',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } },
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
    ],
    [
      'bad percent',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'abc', maxUnavailable: '110%' } } },
      [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}: must not be greater than 100%',
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"abc\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ],
    ],
    ['negative replicas', { replicas: -1 }, ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'restart policy in template',
      { template: { metadata: { labels: { app: 'kuard' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'b' }] } } },
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'progress deadline',
      { minReadySeconds: 10, progressDeadlineSeconds: 5 },
      ['spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds'],
    ],
  ];
  for (const [name, patch, want] of cases) {
    const d = deploy(patch);
    def.applyDefaults(d);
    assert.deepEqual(msgs(def.validateCreate(d)), want, name);
  }
});

test('selector is immutable', () => {
  const def = deployments();
  const old = deploy();
  def.applyDefaults(old);
  const upd = structuredClone(old);
  (upd.spec as any).selector = { matchLabels: { app: 'kuard', v: '2' } };
  (upd.spec as any).template.metadata.labels = { app: 'kuard', v: '2' };
  assert.deepEqual(msgs(def.validateUpdate(upd, old)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"kuard", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const rs = replicaSets();
  assert.equal(rs.validateUpdate(upd, old).length, 1);
});

test('generation: spec and annotation changes bump it, labels and status do not', () => {
  const def = deployments();
  const d = deploy();
  def.applyDefaults(d);
  d.status = { replicas: 3 };
  def.prepareForCreate(d, ctx);
  assert.equal(d.metadata!.generation, 1);
  assert.equal(d.status, undefined);
  const stored = structuredClone(d);
  stored.status = { replicas: 1 };

  const labelsOnly = structuredClone(stored);
  labelsOnly.metadata!.labels = { x: 'y' };
  labelsOnly.status = { replicas: 9 };
  def.prepareForUpdate(labelsOnly, stored, ctx);
  assert.equal(labelsOnly.metadata!.generation, 1);
  assert.deepEqual(labelsOnly.status, { replicas: 1 }, 'main update keeps the stored status');

  const scaled = structuredClone(stored);
  (scaled.spec as any).replicas = 4;
  def.prepareForUpdate(scaled, stored, ctx);
  assert.equal(scaled.metadata!.generation, 2);

  const annotated = structuredClone(stored);
  annotated.metadata!.annotations = { 'deployment.kubernetes.io/revision': '2' };
  def.prepareForUpdate(annotated, stored, ctx);
  assert.equal(annotated.metadata!.generation, 2);

  const rsDef = replicaSets();
  const rsAnnotated = structuredClone(stored);
  rsAnnotated.metadata!.annotations = { a: 'b' };
  rsDef.prepareForUpdate(rsAnnotated, stored, ctx);
  assert.equal(rsAnnotated.metadata!.generation, 1, 'replicasets ignore annotations');

  const statusUpd = structuredClone(stored);
  (statusUpd.spec as any).replicas = 100;
  statusUpd.metadata!.labels = { sneaky: 'x' };
  statusUpd.status = { replicas: 2, observedGeneration: 1 };
  def.prepareForStatusUpdate!(statusUpd, stored, ctx);
  assert.equal((statusUpd.spec as any).replicas, 1);
  assert.equal(statusUpd.metadata!.labels, undefined);
  assert.deepEqual(statusUpd.status, { replicas: 2, observedGeneration: 1 });
});

test('tables', () => {
  const d = deploy({ replicas: 3 });
  d.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
  const def = deployments();
  assert.deepEqual(def.tableColumns.map((c) => c.name), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(def.tableRow(d, ctx), ['kuard', '2/3', 3, 2, '5m', 'kuard', 'gcr.io/kuar-demo/kuard-amd64:blue', 'app=kuard']);
  const rs = replicaSets();
  const r = { ...deploy({ replicas: 3 }), kind: 'ReplicaSet', status: { replicas: 3, readyReplicas: 1 } };
  assert.deepEqual(rs.tableColumns.map((c) => c.name), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(rs.tableRow(r, ctx), ['kuard', 3, 3, 1, '5m', 'kuard', 'gcr.io/kuar-demo/kuard-amd64:blue', 'app=kuard']);
  assert.equal(rs.subresources.scale!.selector(r), 'app=kuard');
});
