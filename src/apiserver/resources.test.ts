import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../api/types.js';
import type { ResourceDefinition } from './registry/types.js';
import { decodeValue, encodeObject, encodeObjectText, ResourceIndex, servedJson, servedJsonOf } from './resources.js';

const pods = new ResourceIndex([{ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } as ResourceDefinition]).all[0]!;

test('stored text leads with apiVersion, kind and metadata and leaves resourceVersion out', () => {
  const obj = { spec: { nodeName: 'n1' }, metadata: { name: 'p', resourceVersion: '12', labels: { a: '"metadata":{' } }, kind: 'Pod', apiVersion: 'v1' } as KubeObject;
  const text = encodeObjectText(pods, obj);
  assert.ok(text.startsWith('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"'));
  assert.ok(!text.includes('resourceVersion'));
  assert.equal(obj.metadata?.resourceVersion, '12', 'the object itself keeps its resourceVersion');
});

test('served JSON spliced from the stored text is the decoded object with its resourceVersion', () => {
  const cases: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels: { x: 'y' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: {} },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q', annotations: { note: '{"metadata":{"resourceVersion":"1"}}' } } },
  ];
  for (const obj of cases) {
    const bytes = encodeObject(pods, obj);
    const json = servedJsonOf(pods, bytes, 42);
    assert.ok(json !== undefined);
    assert.deepEqual(JSON.parse(json), decodeValue(pods, bytes, 42));
    assert.equal((JSON.parse(json) as KubeObject).metadata?.resourceVersion, '42');
  }
});

test('text not laid out as stored objects are (older rows, no metadata, converted resources) is left to decoding', () => {
  assert.equal(servedJson(pods, '{"metadata":{"name":"p"},"apiVersion":"v1","kind":"Pod"}', 3), undefined);
  assert.equal(servedJson(pods, '{"apiVersion":"v1","kind":"Pod"}', 3), undefined);
  const converted = { ...pods, converts: true };
  assert.equal(servedJson(converted, encodeObjectText(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), 3), undefined);
});
