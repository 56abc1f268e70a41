import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalQuantity,
  compareQuantities,
  formatBinary,
  formatCpuNanos,
  formatDecimal,
  formatMemoryBytes,
  formatMilli,
  intValueOf,
  milliValue,
  milliValueOf,
  numberValueOf,
  parseQuantity,
  QuantityError,
  value,
} from './quantity.js';

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

test('numeric values in base units', () => {
  const cases: [string, number | undefined][] = [
    ['500m', 0.5],
    ['250m', 0.25],
    ['2', 2],
    ['1.5', 1.5],
    ['1Ki', 1024],
    ['64Mi', 64 * 2 ** 20],
    ['200Mi', 200 * 1024 * 1024],
    ['1G', 1e9],
    ['1e3', 1000],
    ['abc', undefined],
    ['x', undefined],
    ['1.2.3', undefined],
  ];
  for (const [q, want] of cases) assert.equal(numberValueOf(q), want, q);
  assert.equal(numberValueOf(undefined), undefined);
});

test('milli and int values of strings round up', () => {
  assert.equal(milliValueOf('100m'), 100);
  assert.equal(milliValueOf('0.1'), 100);
  assert.equal(milliValueOf('1'), 1000);
  assert.equal(intValueOf('1.5Ki'), 1536);
});

test('milli values of quantity strings, rounded up as MilliValue does', () => {
  const table: Array<[string | number, number]> = [
    ['250m', 250],
    ['1', 1000],
    ['0.5', 500],
    ['1.5', 1500],
    ['100Mi', 104857600000],
    ['1Ki', 1024000],
    ['1k', 1000000],
    ['1e3', 1000000],
    ['1500000n', 2],
    ['1n', 1],
    [2, 2000],
    ['.5', 500],
  ];
  for (const [q, want] of table) assert.equal(milliValueOf(q), want, String(q));
  assert.equal(milliValueOf('abc'), undefined);
  assert.equal(milliValueOf('1.5.5'), undefined);
  assert.equal(value(parseQuantity('1.5Gi')), 1610612736);
});

test('cpu renders as Kubernetes serialises scaled nano quantities', () => {
  const table: Array<[number, string]> = [
    [250_000_000, '250m'],
    [12345, '12345n'],
    [2_000_000_000, '2'],
    [1_500_000_000, '1500m'],
    [1_000, '1u'],
    [0, '0'],
  ];
  for (const [n, want] of table) assert.equal(formatCpuNanos(n), want, String(n));
});

test('memory renders with binary suffixes only for whole multiples of 1024', () => {
  const table: Array<[number, string]> = [
    [104857600, '100Mi'],
    [12288, '12Ki'],
    [1536, '1536'],
    [1000, '1k'],
    [100, '100'],
    [1073741824, '1Gi'],
    [104857601, '104857601'],
  ];
  for (const [n, want] of table) assert.equal(formatMemoryBytes(n), want, String(n));
  assert.equal(formatBinary(0), '0');
});

test('decimal and milli forms', () => {
  assert.equal(formatDecimal(1500, 0), '1500');
  assert.equal(formatDecimal(1500000, 0), '1500k');
  assert.equal(formatMilli(500), '500m');
  assert.equal(formatMilli(2000), '2');
  assert.equal(formatMilli(190), '190m');
});
