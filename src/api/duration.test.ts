import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageSince, humanDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches Kubernetes thresholds', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 12 * S, '5m12s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 20 * M, '3h20m'],
    [8 * H + 20 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [8 * D + 3 * H, '8d'],
    [700 * D, '700d'],
    [730 * D, '2y'],
    [3 * 365 * D + 12 * D, '3y12d'],
    [9 * 365 * D + 12 * D, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('ageSince handles missing timestamps', () => {
  const now = new Date('2024-01-01T00:10:00Z');
  assert.equal(ageSince('2024-01-01T00:00:00Z', now), '10m');
  assert.equal(ageSince(undefined, now), '<unknown>');
});
