import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isValidPortName, nameIsDNSSubdomain } from './names.js';
import { scaledValue, isPercent } from './intorstr.js';

test('DNS-1123 names', () => {
  assert.deepEqual(isDNS1123Subdomain('kuard.example-1'), []);
  assert.deepEqual(isDNS1123Label('kuard-1'), []);
  assert.equal(isDNS1123Label('kuard.x').length, 1);
  assert.equal(
    isDNS1123Subdomain('Kuard')[0],
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  );
  assert.deepEqual(isDNS1123Label('a'.repeat(64)).slice(0, 1), ['must be no more than 63 characters']);
  assert.deepEqual(nameIsDNSSubdomain('kuard-', true), [], 'generateName may end in a dash');
  assert.equal(nameIsDNSSubdomain('kuard-', false).length, 1);
});

test('label keys and values', () => {
  assert.deepEqual(isQualifiedName('app.kubernetes.io/name'), []);
  assert.deepEqual(isQualifiedName('app'), []);
  assert.match(isQualifiedName('bad key')[0]!, /^name part must consist of alphanumeric characters/);
  assert.match(isQualifiedName('Bad_Prefix/x')[0]!, /^prefix part a lowercase RFC 1123 subdomain/);
  assert.match(isQualifiedName('a/b/c')[0]!, /^a qualified name must consist of/);
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('v1.2_x'), []);
  assert.match(isValidLabelValue('-bad')[0]!, /^a valid label must be an empty string or consist of/);
});

test('port names', () => {
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
  assert.equal(isValidPortName('very-long-port-name').length, 1);
});

test('int-or-percent scaling', () => {
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.equal(scaledValue(4, 10, true), 4);
  assert.equal(isPercent('25%'), true);
  assert.equal(isPercent('25'), false);
  assert.throws(() => scaledValue('abc', 10, true), /invalid value for IntOrString/);
});
