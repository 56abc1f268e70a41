import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaleTable } from './tables.js';

test('a Scale prints as NAME DESIRED AVAILABLE AGE, as `kubectl get --subresource=scale` shows it', () => {
  const scale = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas: 3 },
    status: { replicas: 2, selector: 'app=web' },
  };
  const table = scaleTable(scale, 'Metadata', new Date('2026-01-01T00:05:00Z'));
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(
    table.columnDefinitions.map((c) => `${c.name}:${c.type}`),
    ['Name:string', 'Desired:integer', 'Available:integer', 'Age:string'],
  );
  assert.deepEqual(table.rows[0]!.cells, ['web', 3, 2, '5m']);
  assert.equal(table.rows[0]!.object?.kind, 'PartialObjectMetadata');
  assert.equal(table.metadata.resourceVersion, '42');
  // A Scale with nothing observed yet still prints numbers.
  assert.deepEqual(scaleTable({ ...scale, spec: {}, status: {} }, 'None', new Date('2026-01-01T00:00:00Z'), 'v1beta1').rows[0], { cells: ['web', 0, 0, '0s'] });
});
