// Per-pod steering of simulated nodes. The names are a public contract: scenarios
// written elsewhere use them, and the README documents them.
import type { core } from '../../api/types.js';
import { intValueOf, milliValueOf } from '../../api/quantity.js';

export const ANNOTATION_START_LATENCY = 'sim.kujira.io/start-latency';
export const ANNOTATION_READY_AFTER = 'sim.kujira.io/ready-after';
export const ANNOTATION_NEVER_READY = 'sim.kujira.io/never-ready';
export const ANNOTATION_FAIL_LIVENESS_AFTER = 'sim.kujira.io/fail-liveness-after';
export const ANNOTATION_EXIT_AFTER = 'sim.kujira.io/exit-after';
export const ANNOTATION_EXIT_CODE = 'sim.kujira.io/exit-code';
export const ANNOTATION_CPU = 'sim.kujira.io/cpu';
export const ANNOTATION_MEMORY = 'sim.kujira.io/memory';
/** On a Node: the machine is "dead" — no heartbeats, no pod updates — while it is "true". */
export const ANNOTATION_NODE_STOPPED = 'sim.kujira.io/stopped';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go duration strings ("500ms", "1m30s", "2h") in milliseconds; a bare number means seconds. */
export function parseDuration(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const text = s.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

/** How one pod should behave on a simulated node, read from its annotations and spec. */
export interface SimBehaviour {
  startLatencyMs: number;
  /** Per container name: how long after start it becomes ready. */
  readyAfterMs: Map<string, number>;
  neverReady: boolean;
  failLivenessAfterMs?: number;
  exitAfterMs?: number;
  exitCode: number;
  /** Per-container usage: cpu millicores and memory bytes. */
  cpuMilli?: number;
  memoryBytes?: number;
}

export function behaviourOf(pod: core.Pod, defaults: { startLatencyMs: number }): SimBehaviour {
  const a = pod.metadata?.annotations ?? {};
  const readyAfterAnn = parseDuration(a[ANNOTATION_READY_AFTER]);
  const readyAfterMs = new Map<string, number>();
  for (const c of pod.spec?.containers ?? []) {
    const probeDelay = c.readinessProbe ? (c.readinessProbe.initialDelaySeconds ?? 0) * 1000 : 0;
    readyAfterMs.set(c.name, readyAfterAnn ?? probeDelay);
  }
  const b: SimBehaviour = {
    startLatencyMs: parseDuration(a[ANNOTATION_START_LATENCY]) ?? defaults.startLatencyMs,
    readyAfterMs,
    neverReady: a[ANNOTATION_NEVER_READY] === 'true',
    exitCode: Number.parseInt(a[ANNOTATION_EXIT_CODE] ?? '0', 10) || 0,
  };
  const fail = parseDuration(a[ANNOTATION_FAIL_LIVENESS_AFTER]);
  if (fail !== undefined) b.failLivenessAfterMs = fail;
  const exit = parseDuration(a[ANNOTATION_EXIT_AFTER]);
  if (exit !== undefined) b.exitAfterMs = exit;
  const cpuMilli = milliValueOf(a[ANNOTATION_CPU]);
  if (cpuMilli !== undefined) b.cpuMilli = cpuMilli;
  const memoryBytes = intValueOf(a[ANNOTATION_MEMORY]);
  if (memoryBytes !== undefined) b.memoryBytes = memoryBytes;
  return b;
}
