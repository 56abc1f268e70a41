import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { decodeBody, negotiate } from './media.js';

it('negotiates tables, partial metadata, JSON and YAML in the client order', () => {
  const kubectl = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  assert.deepEqual(negotiate(kubectl, true), { kind: 'table', version: 'v1' });
  assert.deepEqual(negotiate(kubectl, false), { kind: 'json' });
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', true), { kind: 'partial', version: 'v1' });
  assert.deepEqual(negotiate('application/yaml', true), { kind: 'yaml' });
  assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf, */*', true), { kind: 'json' });
  assert.equal(negotiate('application/vnd.kubernetes.protobuf', true), undefined);
  assert.deepEqual(negotiate(undefined, true), { kind: 'json' });
});

it('decodes JSON and YAML bodies and answers malformed ones with 400', () => {
  assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), 'application/json'), { a: 1 });
  assert.deepEqual(decodeBody(Buffer.from('a: 1\n'), 'application/yaml'), { a: 1 });
  assert.throws(() => decodeBody(Buffer.from('{'), 'application/json'), (e: unknown) => e instanceof ApiError && e.code === 400);
  assert.throws(() => decodeBody(Buffer.from('a: [b'), 'application/yaml'), (e: unknown) => e instanceof ApiError && e.code === 400);
  assert.throws(() => decodeBody(Buffer.from('x'), 'text/plain'), (e: unknown) => e instanceof ApiError && e.code === 415);
});
