import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBinary, formatCpuNanos, formatDecimal, formatGoDuration, formatMemoryBytes, formatMilli, milliOf, parseQuantity, wholeValue } from './quantity.js';

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
  for (const [q, want] of table) assert.equal(milliOf(q), want, String(q));
  assert.equal(milliOf('abc'), undefined);
  assert.equal(milliOf('1.5.5'), undefined);
  assert.equal(wholeValue(parseQuantity('1.5Gi')!), 1610612736);
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

test('Go duration strings', () => {
  assert.equal(formatGoDuration(15000), '15s');
  assert.equal(formatGoDuration(90000), '1m30s');
  assert.equal(formatGoDuration(500), '500ms');
  assert.equal(formatGoDuration(10062), '10.062s');
  assert.equal(formatGoDuration(3600000), '1h0m0s');
});
