import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabelSelector, fromLabelSelector, labelSelectorMatches, matches, parseSelector, SelectorError, selectorString } from './labels.js';
import { FieldSelectorError, fieldsMatch, parseFieldSelector } from './fields.js';

test('parses and matches selector strings', () => {
  const labels = { app: 'kuard', version: '2', tier: 'web' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=kuard', true],
    ['app==kuard', true],
    ['app=kuard,version=2', true],
    ['app=kuard,version=1', false],
    ['app!=kuard', false],
    ['env!=prod', true],
    ['version in (1,2)', true],
    ['version notin (1,2)', false],
    ['env notin (prod)', true],
    ['tier', true],
    ['!tier', false],
    ['!env', true],
    ['version>1', true],
    ['version<2', false],
    [' app = kuard , tier ', true],
  ];
  for (const [sel, want] of cases) assert.equal(matches(parseSelector(sel), labels), want, sel);
});

test('selector strings print sorted by key', () => {
  assert.equal(selectorString(parseSelector('version=2,app=kuard')), 'app=kuard,version=2');
  assert.equal(selectorString(parseSelector('b in (z,y),!a')), '!a,b in (y,z)');
});

test('invalid selectors throw', () => {
  for (const bad of ['app=', 'in (a)', 'app in a', 'app in (a', '=x', 'a=b=c', 'bad key=1', 'version>x']) {
    if (bad === 'app=') {
      assert.doesNotThrow(() => parseSelector(bad)); // empty value is valid
      continue;
    }
    assert.throws(() => parseSelector(bad), SelectorError, bad);
  }
});

test('metav1.LabelSelector', () => {
  const sel = { matchLabels: { app: 'kuard' }, matchExpressions: [{ key: 'version', operator: 'In', values: ['2', '1'] }] };
  assert.equal(formatLabelSelector(sel), 'app=kuard,version in (1,2)');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(labelSelectorMatches(sel, { app: 'kuard', version: '1' }), true);
  assert.equal(labelSelectorMatches(sel, { app: 'kuard' }), false);
  assert.equal(labelSelectorMatches(undefined, { app: 'kuard' }), false, 'nil selector matches nothing');
  assert.equal(labelSelectorMatches({}, { app: 'kuard' }), true, 'empty selector matches everything');
  assert.equal(matches(fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }), { b: '1' }), true);
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
});

test('field selectors', () => {
  const reqs = parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed');
  assert.deepEqual(reqs, [
    { field: 'spec.nodeName', operator: '=', value: 'node-1' },
    { field: 'status.phase', operator: '!=', value: 'Failed' },
  ]);
  const obj: Record<string, string> = { 'spec.nodeName': 'node-1', 'status.phase': 'Running' };
  assert.equal(fieldsMatch(reqs, (f) => obj[f]), true);
  assert.deepEqual(parseFieldSelector('spec.nodeName=='), [{ field: 'spec.nodeName', operator: '=', value: '' }]);
  assert.deepEqual(parseFieldSelector('a=b\\,c'), [{ field: 'a', operator: '=', value: 'b,c' }]);
  assert.throws(() => parseFieldSelector('nonsense'));
});

test('label selectors in string form', () => {
  const labels = { app: 'kuard', tier: 'web', 'example.com/canary': 'no' };
  const table: Array<[string, boolean]> = [
    ['', true],
    ['app=kuard', true],
    ['app==kuard', true],
    ['app!=kuard', false],
    ['app=kuard,tier=web', true],
    ['app=kuard,tier=api', false],
    ['tier in (api, web)', true],
    ['tier notin (api,web)', false],
    ['app,tier in (web),!missing', true],
    ['!app', false],
    ['example.com/canary=no', true],
    ['missing!=x', true],
  ];
  for (const [s, want] of table) assert.equal(matches(parseSelector(s), labels), want, s);
  assert.throws(() => parseSelector('app=kuard=x'), SelectorError);
  assert.throws(() => parseSelector('a b'), SelectorError);
});

test('field selectors against a set of fields', () => {
  const set = (fields: Record<string, string>) => (f: string) => fields[f];
  const f = parseFieldSelector('metadata.name=kuard-1');
  assert.equal(fieldsMatch(f, set({ 'metadata.name': 'kuard-1' })), true);
  assert.equal(fieldsMatch(f, set({ 'metadata.name': 'kuard-2' })), false);
  assert.equal(fieldsMatch(parseFieldSelector('metadata.name!=a'), set({ 'metadata.name': 'b' })), true);
  assert.throws(() => parseFieldSelector('nonsense'), FieldSelectorError);
});
