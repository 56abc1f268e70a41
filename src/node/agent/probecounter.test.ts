import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialProbeState, probeSettings, recordOutcome, type ProbeCounterState } from './probecounter.js';

function run(kind: 'liveness' | 'readiness' | 'startup', successThreshold: number, failureThreshold: number, outcomes: string): string[] {
  let state: ProbeCounterState = initialProbeState(kind);
  const results: string[] = [];
  for (const ch of outcomes) {
    state = recordOutcome(state, ch === '+' ? 'success' : 'failure', { successThreshold, failureThreshold });
    results.push(state.result === 'success' ? '+' : state.result === 'failure' ? '-' : '?');
  }
  return results;
}

test('probe counting follows Kubernetes thresholds', () => {
  const table: [string, 'liveness' | 'readiness' | 'startup', number, number, string, string][] = [
    ['liveness stays passing until failureThreshold failures in a row', 'liveness', 1, 3, '--+---', '+++++-'],
    ['readiness starts failing and passes on the first success', 'readiness', 1, 3, '+', '+'],
    ['readiness with successThreshold 2 needs two successes', 'readiness', 2, 3, '++--+---', '-++++++-'],
    ['a success resets the failure run', 'liveness', 1, 2, '-+-+-', '+++++'],
    ['startup is unknown until it passes', 'startup', 1, 3, '--+', '??+'],
    ['startup fails after failureThreshold', 'startup', 1, 2, '--', '?-'],
  ];
  for (const [name, kind, st, ft, outcomes, expected] of table) {
    assert.equal(run(kind, st, ft, outcomes).join(''), expected, name);
  }
});

test('probe settings get the API defaults', () => {
  assert.deepEqual(probeSettings({}), { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  assert.equal(probeSettings({ periodSeconds: 0 }).periodSeconds, 1);
});
