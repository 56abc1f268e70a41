import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { builtinResources } from './index.js';
import { namespaces } from './namespaces.js';
import { nodes } from './nodes.js';
import { coreEvents, eventFromCore, eventsV1Events, eventToCore } from './events.js';
import { hpaV1, hpaV1ToV2, hpaV2, hpaV2ToV1 } from './hpa.js';
import { leases } from './leases.js';

const now = new Date('2024-05-01T12:00:00Z');
const ctx = { now: () => now };
const created = '2024-05-01T10:00:00Z';

test('builtin resources cover the served group-versions', () => {
  const ids = builtinResources().map((r) => `${r.group || 'core'}/${r.version}/${r.resource}`);
  assert.deepEqual(ids.sort(), [
    'apps/v1/deployments',
    'apps/v1/replicasets',
    'autoscaling/v1/horizontalpodautoscalers',
    'autoscaling/v2/horizontalpodautoscalers',
    'coordination.k8s.io/v1/leases',
    'core/v1/endpoints',
    'core/v1/events',
    'core/v1/namespaces',
    'core/v1/nodes',
    'core/v1/pods',
    'core/v1/services',
    'discovery.k8s.io/v1/endpointslices',
    'events.k8s.io/v1/events',
  ]);
  for (const r of builtinResources()) assert.equal(r.tableColumns.length > 0, true);
});

test('namespaces', () => {
  const def = namespaces();
  const ns: KubeObject = { metadata: { name: 'team-a', creationTimestamp: created } };
  def.applyDefaults(ns);
  def.prepareForCreate(ns, ctx);
  assert.deepEqual(ns.metadata!.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.deepEqual(def.validateCreate(ns), []);
  assert.deepEqual(def.tableRow(ns, ctx), ['team-a', 'Active', '120m']);
  const bad: KubeObject = { metadata: { name: 'Team.A' } };
  assert.match(def.validateCreate(bad)[0]!.message, /a lowercase RFC 1123 label/);
});

test('nodes', () => {
  const def = nodes();
  const node: KubeObject = {
    metadata: { name: 'node-1', creationTimestamp: created, labels: { 'node-role.kubernetes.io/control-plane': '' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'node-1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 24.04', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://2.0.0' },
    },
  };
  assert.deepEqual(def.tableRow(node, ctx), ['node-1', 'Ready,SchedulingDisabled', 'control-plane', '120m', 'v1.32.0', '10.0.0.1', '<none>', 'Ubuntu 24.04', '6.8.0', 'containerd://2.0.0']);
  assert.equal(def.fieldSelectors['spec.unschedulable']!(node), 'true');
  const notReady = { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
  assert.equal(def.tableRow(notReady, ctx)[1], 'NotReady');
  assert.equal(def.tableRow({ metadata: { name: 'n3' } }, ctx)[1], 'Unknown');
  const tainted = { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } };
  assert.deepEqual(
    def.validateCreate(tainted).map((c) => `${c.field}: ${c.message}`),
    ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
  );
});

test('events: table, field selectors and events.k8s.io conversion', () => {
  const ev: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'kuard.17', namespace: 'default', creationTimestamp: created },
    involvedObject: { kind: 'Pod', name: 'kuard', namespace: 'default', fieldPath: 'spec.containers{kuard}' },
    reason: 'Pulled',
    message: 'Successfully pulled image ',
    type: 'Normal',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2024-05-01T11:00:00Z',
    lastTimestamp: '2024-05-01T11:59:00Z',
    count: 4,
  };
  const def = coreEvents();
  assert.deepEqual(def.tableRow(ev, ctx), ['60s', 'Normal', 'Pulled', 'pod/kuard', 'spec.containers{kuard}', 'kubelet, node-1', 'Successfully pulled image', '60m', 4, 'kuard.17']);
  assert.equal(def.fieldSelectors['involvedObject.name']!(ev), 'kuard');
  assert.equal(def.fieldSelectors['reason']!(ev), 'Pulled');
  assert.deepEqual(def.validateCreate(ev), []);
  const v1 = eventFromCore(ev) as any;
  assert.equal(v1.apiVersion, 'events.k8s.io/v1');
  assert.equal(v1.note, 'Successfully pulled image ');
  assert.deepEqual(v1.regarding, ev.involvedObject);
  assert.deepEqual(eventToCore(v1), ev);
  const nv = eventsV1Events();
  assert.equal(nv.storageGroup, '');
  assert.equal(nv.fieldSelectors['regarding.name']!(v1), 'kuard');
  assert.deepEqual(nv.tableRow(v1, ctx).slice(0, 4), ['60s', 'Normal', 'Pulled', 'pod/kuard']);
});

test('hpa: v1 <-> v2 conversion keeps everything', () => {
  const v1: KubeObject = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'kuard', namespace: 'default', creationTimestamp: created },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'kuard' }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 },
    status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 95 },
  };
  const v2 = hpaV1ToV2(v1) as any;
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  assert.deepEqual(v2.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 95 } } }]);
  assert.deepEqual(hpaV2ToV1(v2), v1);
  assert.deepEqual(hpaV1().tableRow(v1, ctx), ['kuard', 'ReplicaSet/kuard', 'cpu: 95%/80%', 2, 5, 2, '120m']);

  // v2-only content survives a v1 round trip in annotations.
  v2.spec.metrics.push({ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } });
  v2.status.conditions = [{ type: 'AbleToScale', status: 'True' }];
  const back = hpaV1ToV2(hpaV2ToV1(v2));
  assert.deepEqual(back, v2);
  assert.deepEqual(hpaV2().tableRow(v2, ctx).slice(2, 3), ['cpu: 95%/80%, <unknown>/10']);

  // No target: v2 defaults to 80% CPU.
  const bare = hpaV1ToV2({ ...v1, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3 }, status: undefined }) as any;
  assert.equal(bare.spec.minReplicas, 1);
  assert.equal(bare.spec.metrics[0].resource.target.averageUtilization, 80);
  assert.equal((hpaV2ToV1(bare) as any).spec.targetCPUUtilizationPercentage, 80);
});

test('hpa validation', () => {
  const v2 = hpaV2();
  const obj: KubeObject = {
    metadata: { name: 'h', namespace: 'default' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, minReplicas: 5, maxReplicas: 2 },
  };
  v2.applyDefaults(obj);
  assert.deepEqual(v2.validateCreate(obj).map((c) => `${c.field}: ${c.message}`), ['spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`']);
  (obj.spec as any).minReplicas = 0;
  assert.deepEqual(v2.validateCreate(obj).map((c) => `${c.field}: ${c.message}`), ['spec.minReplicas: Invalid value: 0: must be greater than or equal to 1']);
});

test('leases', () => {
  const def = leases();
  const l: KubeObject = { metadata: { name: 'node-1', namespace: 'kube-node-lease', creationTimestamp: created }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } };
  assert.deepEqual(def.validateCreate(l), []);
  assert.deepEqual(def.tableRow(l, ctx), ['node-1', 'node-1', '120m']);
  (l.spec as any).leaseDurationSeconds = 0;
  assert.deepEqual(def.validateCreate(l).map((c) => c.message), ['Invalid value: 0: must be greater than 0']);
});
