import assert from 'node:assert/strict';
import test from 'node:test';
import { realClock } from '../../client/clock.js';
import { ProbeManager, type ProbeHost } from './probes.js';

test('a container whose probe workers are not set up yet is neither started nor ready', () => {
  const host: ProbeHost = {
    clock: realClock,
    runtime: undefined as unknown as ProbeHost['runtime'], // never reached: view() reads state only
    changed: () => {},
    failed: () => {},
  };
  assert.deepEqual(new ProbeManager(host).view('not-yet-ensured'), { started: false, ready: false, livenessFailed: false, startupFailed: false });
});
