import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameIsDNSSubdomain } from '../../api/names.js';
import { goIntOrString, goLabelSelector, goStringMap, validateObjectMeta, validateObjectMetaUpdate } from './common.js';

const rules = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const msgs = (cs: { field: string; message: string }[]): string[] => cs.map((c) => `${c.field}: ${c.message}`);

test('object metadata validation', () => {
  assert.deepEqual(msgs(validateObjectMeta({ namespace: 'default' }, rules)), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'a' }, rules)), ['metadata.namespace: Required value']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'a', namespace: 'x' }, { ...rules, namespaced: false })), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(validateObjectMeta({ generateName: 'kuard-', name: 'kuard-x7k2p', namespace: 'default' }, rules), []);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'a', namespace: 'default', labels: { 'bad key': 'v' } }, rules)), [
    "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'a', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '' }] }, rules)), [
    'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
  ]);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ name: 'b', namespace: 'default' }, { name: 'a', namespace: 'default' }, rules)), [
    'metadata.name: Invalid value: "b": field is immutable',
  ]);
});

test('values print as Go prints them', () => {
  assert.equal(goStringMap({ b: '2', a: '1' }).text, 'map[string]string{"a":"1", "b":"2"}');
  assert.equal(goIntOrString(0).text, 'intstr.IntOrString{Type:0, IntVal:0, StrVal:""}');
  assert.equal(goIntOrString('25%').text, 'intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}');
  assert.equal(
    goLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] }).text,
    'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"a", Operator:"In", Values:[]string{"x"}}}}',
  );
});
