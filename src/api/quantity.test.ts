import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, compareQuantities, milliValue, parseQuantity, QuantityError, value } from './quantity.js';

test('canonical forms match Kubernetes', () => {
  const cases: [string | number, string][] = [
    ['0', '0'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['100m', '100m'],
    ['1000m', '1'],
    ['1500', '1500'],
    ['1k', '1k'],
    ['1000', '1k'],
    ['1.5Gi', '1536Mi'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1024', '1024'],
    ['512Ki', '512Ki'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['1E6', '1e6'],
    ['128974848', '128974848'],
    ['129M', '129M'],
    ['123Mi', '123Mi'],
    ['-1', '-1'],
    ['0.1m', '100u'],
    ['1n', '1n'],
    ['0.0000000001', '1n'],
    [2, '2'],
    [0.25, '250m'],
    ['.5', '500m'],
    ['5.', '5'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, String(input));
});

test('invalid quantities', () => {
  for (const bad of ['', 'abc', '1 Gi', '1.2.3', '12 GB', 'Gi', '1ki', '--1']) {
    assert.throws(() => parseQuantity(bad), QuantityError, bad);
  }
});

test('comparison and values', () => {
  assert.equal(compareQuantities(parseQuantity('1'), parseQuantity('1000m')), 0);
  assert.equal(compareQuantities(parseQuantity('2'), parseQuantity('1500m')), 1);
  assert.equal(compareQuantities(parseQuantity('1Gi'), parseQuantity('1G')), 1);
  assert.equal(milliValue(parseQuantity('250m')), 250);
  assert.equal(milliValue(parseQuantity('2')), 2000);
  assert.equal(value(parseQuantity('1Gi')), 1073741824);
  assert.equal(value(parseQuantity('100m')), 1); // rounded up
});
