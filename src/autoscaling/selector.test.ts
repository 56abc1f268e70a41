import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFieldSelector, parseLabelSelector, SelectorParseError } from './selector.js';

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
  for (const [s, want] of table) assert.equal(parseLabelSelector(s).matches(labels), want, s);
  assert.throws(() => parseLabelSelector('app=kuard=x'), SelectorParseError);
  assert.throws(() => parseLabelSelector('a b'), SelectorParseError);
});

test('field selectors', () => {
  const f = parseFieldSelector('metadata.name=kuard-1');
  assert.equal(f.matches({ 'metadata.name': 'kuard-1' }), true);
  assert.equal(f.matches({ 'metadata.name': 'kuard-2' }), false);
  assert.equal(parseFieldSelector('metadata.name!=a').matches({ 'metadata.name': 'b' }), true);
  assert.throws(() => parseFieldSelector('nonsense'), SelectorParseError);
});
