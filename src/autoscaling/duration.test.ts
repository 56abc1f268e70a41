import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration } from './duration.js';

test('Go duration strings', () => {
  assert.equal(formatGoDuration(15000), '15s');
  assert.equal(formatGoDuration(90000), '1m30s');
  assert.equal(formatGoDuration(500), '500ms');
  assert.equal(formatGoDuration(10062), '10.062s');
  assert.equal(formatGoDuration(3600000), '1h0m0s');
});
