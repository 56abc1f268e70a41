import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAddresses, compareStrings } from './compare.js';

test('compareStrings orders by code unit, as Go compares strings', () => {
  const cases: Array<[string[], string[]]> = [
    [['b', 'a', 'c'], ['a', 'b', 'c']],
    [['pod-10', 'pod-9', 'pod-1'], ['pod-1', 'pod-10', 'pod-9']],
    [['Zeta', 'alpha'], ['Zeta', 'alpha']], // upper case before lower case, whatever the locale
    [['', 'a'], ['', 'a']],
  ];
  for (const [input, want] of cases) assert.deepEqual([...input].sort(compareStrings), want);
});

test('compareAddresses orders IPv4 addresses and ports numerically', () => {
  const cases: Array<[string[], string[]]> = [
    [['10.0.0.10', '10.0.0.9', '10.0.0.100'], ['10.0.0.9', '10.0.0.10', '10.0.0.100']],
    [['10.1.0.1:8080', '10.1.0.1:80', '9.255.255.255:1'], ['9.255.255.255:1', '10.1.0.1:80', '10.1.0.1:8080']],
    [['zz', '10.0.0.1', 'aa'], ['10.0.0.1', 'aa', 'zz']],
    [['1.2.3.4', '1.2.3.4:1'], ['1.2.3.4', '1.2.3.4:1']],
    [['300.1.1.1', '1.1.1.1'], ['1.1.1.1', '300.1.1.1']],
  ];
  for (const [input, want] of cases) assert.deepEqual([...input].sort(compareAddresses), want);
});
