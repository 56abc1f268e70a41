import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { applyPatch } from './index.js';

const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSONP = 'application/json-patch+json';

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kuard', namespace: 'default', labels: { app: 'kuard' }, finalizers: ['a', 'b'], annotations: { x: '1' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'kuard' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'kuard' } },
        spec: {
          containers: [
            {
              name: 'kuard',
              image: 'kuard:1',
              args: ['--a', '--b'],
              ports: [
                { containerPort: 8080, protocol: 'TCP', name: 'http' },
                { containerPort: 9090, protocol: 'TCP' },
              ],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'envoy:1' },
          ],
          tolerations: [{ key: 'a', operator: 'Exists' }],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True' }] },
  };
}

type Case = { name: string; type: string; patch: unknown; check: (o: any) => void };

const cases: Case[] = [
  {
    name: 'kubectl set image: containers merge by name',
    type: SMP,
    patch: { spec: { template: { spec: { containers: [{ name: 'kuard', image: 'kuard:2' }] } } } },
    check: (o) => {
      assert.deepEqual(o.spec.template.spec.containers.map((c: any) => c.image), ['kuard:2', 'envoy:1']);
      assert.equal(o.spec.template.spec.containers[0].ports.length, 2);
    },
  },
  {
    name: 'kubectl label (merge patch): add and remove labels',
    type: MERGE,
    patch: { metadata: { labels: { env: 'prod', app: null } } },
    check: (o) => assert.deepEqual(o.metadata.labels, { env: 'prod' }),
  },
  {
    name: 'kubectl annotate (strategic)',
    type: SMP,
    patch: { metadata: { annotations: { note: 'hi' } } },
    check: (o) => assert.deepEqual(o.metadata.annotations, { x: '1', note: 'hi' }),
  },
  {
    name: 'kubectl scale (merge patch on replicas)',
    type: MERGE,
    patch: { spec: { replicas: 5 } },
    check: (o) => assert.equal(o.spec.replicas, 5),
  },
  {
    name: 'merge patch replaces lists whole',
    type: MERGE,
    patch: { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }] } } } },
    check: (o) => assert.deepEqual(o.spec.template.spec.containers, [{ name: 'only', image: 'x' }]),
  },
  {
    name: 'kubectl apply: delete a port, change env, keep order',
    type: SMP,
    patch: {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'kuard' }, { name: 'sidecar' }],
            containers: [
              {
                name: 'kuard',
                '$setElementOrder/ports': [{ containerPort: 8080 }],
                ports: [{ $patch: 'delete', containerPort: 9090 }],
                '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }],
                env: [{ name: 'A', value: 'one' }],
              },
            ],
          },
        },
      },
    },
    check: (o) => {
      const c = o.spec.template.spec.containers[0];
      assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP', name: 'http' }]);
      assert.deepEqual(c.env, [
        { name: 'B', value: '2' },
        { name: 'A', value: 'one' },
      ]);
      assert.equal(o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{}');
    },
  },
  {
    name: 'kubectl apply: remove a container',
    type: SMP,
    patch: { spec: { template: { spec: { containers: [{ $patch: 'delete', name: 'sidecar' }] } } } },
    check: (o) => assert.deepEqual(o.spec.template.spec.containers.map((c: any) => c.name), ['kuard']),
  },
  {
    name: 'kubectl apply: switch to Recreate with $retainKeys',
    type: SMP,
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    check: (o) => assert.deepEqual(o.spec.strategy, { type: 'Recreate' }),
  },
  {
    name: 'atomic lists (tolerations, args) are replaced',
    type: SMP,
    patch: { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'kuard', args: ['--c'] }] } } } },
    check: (o) => {
      assert.deepEqual(o.spec.template.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
      assert.deepEqual(o.spec.template.spec.containers[0].args, ['--c']);
    },
  },
  {
    name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
    type: SMP,
    patch: { metadata: { finalizers: ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'] } },
    check: (o) => assert.deepEqual(o.metadata.finalizers, ['b', 'c']),
  },
  {
    name: '$patch: replace on a map',
    type: SMP,
    patch: { spec: { selector: { $patch: 'replace', matchLabels: { app: 'other' } } } },
    check: (o) => assert.deepEqual(o.spec.selector, { matchLabels: { app: 'other' } }),
  },
  {
    name: '$patch: replace as a list element replaces the list',
    type: SMP,
    patch: { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'new', image: 'n' }] } } } },
    check: (o) => assert.deepEqual(o.spec.template.spec.containers, [{ name: 'new', image: 'n' }]),
  },
  {
    name: 'status conditions merge by type',
    type: SMP,
    patch: { status: { conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] } },
    check: (o) =>
      assert.deepEqual(o.status.conditions, [
        { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
        { type: 'Progressing', status: 'True' },
      ]),
  },
  {
    name: 'volumes merge by name with retainKeys',
    type: SMP,
    patch: { spec: { template: { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/d' } }] } } } },
    check: (o) => assert.deepEqual(o.spec.template.spec.volumes, [{ name: 'data', hostPath: { path: '/d' } }]),
  },
  {
    name: 'null deletes a field',
    type: SMP,
    patch: { spec: { template: { spec: { volumes: null } } } },
    check: (o) => assert.equal(o.spec.template.spec.volumes, undefined),
  },
  {
    name: 'JSON patch: replace, add with -, remove, test',
    type: JSONP,
    patch: [
      { op: 'test', path: '/spec/replicas', value: 2 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels/tier', value: 'web' },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'c', image: 'c' } },
      { op: 'remove', path: '/spec/template/spec/containers/1' },
      { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' },
      { op: 'move', from: '/metadata/labels/copy', path: '/metadata/labels/moved' },
    ],
    check: (o) => {
      assert.equal(o.spec.replicas, 3);
      assert.deepEqual(o.metadata.labels, { app: 'kuard', tier: 'web', moved: 'kuard' });
      assert.deepEqual(o.spec.template.spec.containers.map((c: any) => c.name), ['kuard', 'c']);
    },
  },
  {
    name: 'JSON patch with ~1 escapes',
    type: JSONP,
    patch: [{ op: 'add', path: '/metadata/annotations/example.com~1owner', value: 'me' }],
    check: (o) => assert.equal(o.metadata.annotations['example.com/owner'], 'me'),
  },
  {
    name: 'server-side apply body (YAML) merges like a strategic patch',
    type: 'application/apply-patch+yaml',
    patch: 'spec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n      - name: kuard\n        image: kuard:3\n',
    check: (o) => {
      assert.equal(o.spec.replicas, 4);
      assert.deepEqual(o.spec.template.spec.containers.map((c: any) => c.image), ['kuard:3', 'envoy:1']);
    },
  },
  {
    name: 'raw JSON text body with charset parameter',
    type: `${SMP}; charset=utf-8`,
    patch: '{"spec":{"replicas":7}}',
    check: (o) => assert.equal(o.spec.replicas, 7),
  },
];

test('patches as kubectl sends them', () => {
  for (const c of cases) {
    const original = deployment();
    const before = JSON.stringify(original);
    const out = applyPatch('Deployment', c.type, original, c.patch);
    assert.equal(JSON.stringify(original), before, `${c.name}: original untouched`);
    try {
      c.check(out);
    } catch (e) {
      (e as Error).message = `${c.name}: ${(e as Error).message}`;
      throw e;
    }
    assert.ok(!JSON.stringify(out).includes('$'), `${c.name}: no directive left in ${JSON.stringify(out)}`);
  }
});

test('pod patches use pod merge keys', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }] },
    spec: { containers: [{ name: 'a', image: 'a:1', volumeMounts: [{ name: 'v', mountPath: '/v' }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], podIPs: [{ ip: '10.0.0.1' }] },
  };
  const out = applyPatch('Pod', SMP, pod, {
    metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs2', uid: 'u2' }] },
    spec: { containers: [{ name: 'a', volumeMounts: [{ name: 'w', mountPath: '/w' }] }] },
    status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }] },
  }) as any;
  assert.deepEqual(out.metadata.ownerReferences.map((o: any) => o.uid), ['u1', 'u2']);
  assert.deepEqual(out.spec.containers[0].volumeMounts.map((m: any) => m.mountPath), ['/v', '/w']);
  assert.deepEqual(out.status.conditions, [
    { type: 'Ready', status: 'True' },
    { type: 'Initialized', status: 'True' },
  ]);
});

test('bad patches are rejected with Kubernetes-like errors', () => {
  const expectError = (type: string, patch: unknown, code: number, message: RegExp): void => {
    assert.throws(
      () => applyPatch('Deployment', type, deployment(), patch),
      (e: unknown) => e instanceof ApiError && e.code === code && message.test(e.message),
    );
  };
  expectError(JSONP, [{ op: 'test', path: '/spec/replicas', value: 9 }], 422, /^testing value \/spec\/replicas failed: test failed$/);
  expectError(JSONP, [{ op: 'replace', path: '/spec/nope/x', value: 1 }], 422, /doc is missing path: "\/spec\/nope\/x"/);
  expectError(JSONP, { op: 'add' }, 400, /cannot unmarshal/);
  expectError(JSONP, [{ op: 'frobnicate', path: '/a' }], 400, /Unexpected kind: frobnicate/);
  expectError(MERGE, [1, 2], 400, /cannot unmarshal array/);
  expectError(SMP, '{not json', 400, /error decoding patch/);
  expectError(SMP, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 400, /does not contain declared merge key: name/);
  expectError('text/plain', {}, 415, /unknown format/);
});
