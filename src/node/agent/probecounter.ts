// How Kubernetes turns single probe outcomes into a probe's result (pure; see probes.ts for running them).
//
// A result changes only after `threshold` identical outcomes in a row: failureThreshold failures to turn
// failing, successThreshold successes to turn passing. Until a probe has run, liveness counts as passing
// (a container is alive until proven otherwise), readiness as failing and startup as unknown.
// Worked example, readiness with successThreshold 2, failureThreshold 3, outcomes ✓ ✓ ✗ ✗ ✓ ✗ ✗ ✗:
//   result failure, failure→success (2nd ✓), success, success, success (✓ resets the ✗ run), success, success, failure (3rd ✗).
import type { core } from '../../api/types.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeSettings {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The API's defaults, applied again here so a probe written without them still behaves. */
export function probeSettings(probe: core.Probe): ProbeSettings {
  return {
    initialDelaySeconds: probe.initialDelaySeconds ?? 0,
    periodSeconds: Math.max(1, probe.periodSeconds ?? 10),
    timeoutSeconds: Math.max(1, probe.timeoutSeconds ?? 1),
    successThreshold: Math.max(1, probe.successThreshold ?? 1),
    failureThreshold: Math.max(1, probe.failureThreshold ?? 3),
  };
}

export interface ProbeCounterState {
  result: ProbeResult;
  lastOutcome: ProbeResult;
  runLength: number;
}

export function initialProbeState(kind: ProbeKind): ProbeCounterState {
  const result: ProbeResult = kind === 'liveness' ? 'success' : kind === 'readiness' ? 'failure' : 'unknown';
  return { result, lastOutcome: 'unknown', runLength: 0 };
}

/** Feeds one outcome; returns the new state (result changes only once the run reaches the threshold). */
export function recordOutcome(state: ProbeCounterState, outcome: 'success' | 'failure', settings: Pick<ProbeSettings, 'successThreshold' | 'failureThreshold'>): ProbeCounterState {
  const runLength = state.lastOutcome === outcome ? state.runLength + 1 : 1;
  const threshold = outcome === 'success' ? settings.successThreshold : settings.failureThreshold;
  const result = runLength >= threshold ? outcome : state.result;
  return { result, lastOutcome: outcome, runLength };
}
