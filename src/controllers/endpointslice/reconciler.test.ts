import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core, discovery } from '../../api/types.js';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, planSlices, podToEndpoint } from './reconciler.js';

function pod(i: number, opts: { ready?: boolean; deleting?: boolean } = {}): core.Pod {
  const name = `p${String(i).padStart(3, '0')}`;
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'kuard' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

const svc: core.Service = {
  metadata: { name: 'kuard', namespace: 'default', uid: 'svc-uid', labels: { run: 'kuard' } },
  spec: { selector: { app: 'kuard' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] },
};

let named = 0;
/** What the API server would have made of a planned create. */
function stored(s: discovery.EndpointSlice): discovery.EndpointSlice {
  return { ...s, metadata: { ...s.metadata, name: `kuard-${++named}`, uid: `slice-${named}` } };
}

test('conditions: ready only when serving and not terminating', () => {
  const cases: Array<[string, core.Pod, discovery.EndpointConditions]> = [
    ['ready', pod(1), { ready: true, serving: true, terminating: false }],
    ['not ready', pod(2, { ready: false }), { ready: false, serving: false, terminating: false }],
    ['terminating but still serving', pod(3, { deleting: true }), { ready: false, serving: true, terminating: true }],
  ];
  for (const [name, p, want] of cases) assert.deepEqual(podToEndpoint(p, svc).conditions, want, name);
  assert.deepEqual(podToEndpoint(pod(4, { ready: false }), { ...svc, spec: { ...svc.spec, publishNotReadyAddresses: true } }).conditions, { ready: true, serving: false, terminating: false });
});

test('plans: first slice, labels and owner, the 100-endpoint cap, stable placement, placeholder', () => {
  named = 0;
  const first = planSlices(svc, [pod(1), pod(2)], []);
  assert.equal(first.create.length, 1);
  const s = first.create[0]!;
  assert.equal(s.metadata?.generateName, 'kuard-');
  assert.deepEqual(s.metadata?.labels, { run: 'kuard', [SERVICE_NAME_LABEL]: 'kuard', [MANAGED_BY_LABEL]: CONTROLLER_NAME });
  assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'kuard', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(s.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints.map((e) => e.addresses[0]), ['10.1.0.2', '10.1.0.3']);

  // Nothing changed: nothing to write.
  const existing = [stored(s)];
  assert.deepEqual(planSlices(svc, [pod(1), pod(2)], existing), { create: [], update: [], delete: [] });

  // 250 pods: the existing slice fills to 100, then two new slices of 100 and 50.
  const many = Array.from({ length: 250 }, (_, i) => pod(i + 1));
  const grown = planSlices(svc, many, existing);
  assert.equal(grown.update.length, 1);
  assert.equal(grown.update[0]!.endpoints.length, 100);
  assert.deepEqual(grown.create.map((c) => c.endpoints.length), [100, 50]);
  const all = [grown.update[0]!, ...grown.create.map(stored)];
  assert.equal(new Set(all.flatMap((x) => x.endpoints.map((e) => e.addresses[0]))).size, 250);

  // A pod leaves: only the slice that held it changes; the others keep their endpoints.
  const fewer = planSlices(svc, many.filter((p) => p.metadata?.name !== 'p001'), all);
  assert.equal(fewer.update.length, 1);
  assert.equal(fewer.update[0]!.metadata?.name, all[0]!.metadata?.name);
  assert.equal(fewer.create.length + fewer.delete.length, 0);

  // Every pod gone: one empty placeholder slice stays, the rest are deleted.
  const none = planSlices(svc, [], all);
  assert.equal(none.update.length, 1);
  assert.deepEqual(none.update[0]!.endpoints, []);
  assert.equal(none.delete.length, 2);
  assert.equal(planSlices(svc, [], []).create.length, 1);
});

test('trigger time: on every slice written, removed from a written slice when there is none, untouched otherwise', () => {
  named = 0;
  const t = Date.parse('2026-01-01T00:00:09Z');
  const annotation = 'endpoints.kubernetes.io/last-change-trigger-time';
  const first = planSlices(svc, [pod(1)], [], undefined, t);
  assert.deepEqual(first.create[0]!.metadata?.annotations, { [annotation]: '2026-01-01T00:00:09Z' });
  const existing = [stored(first.create[0]!)];
  assert.deepEqual(planSlices(svc, [pod(1)], existing, undefined, t + 1000), { create: [], update: [], delete: [] });
  const grown = planSlices(svc, [pod(1), pod(2)], existing, undefined, t + 1000);
  assert.equal(grown.update[0]!.metadata?.annotations?.[annotation], '2026-01-01T00:00:10Z');
  const untimed = planSlices(svc, [pod(1), pod(2)], existing);
  assert.equal(untimed.update[0]!.metadata?.annotations, undefined);
});
