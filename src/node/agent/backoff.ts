// CrashLoopBackOff arithmetic (pure). The first restart is immediate; after that a container that exits
// again waits base, 2·base, 4·base … capped at max before its next start (10 s, 20 s, 40 s … 5 min).
// A container that ran for at least resetAfter (10 min) before exiting starts over at base.

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface BackoffEntry {
  /** The wait that applies after the latest exit. */
  delayMs: number;
}

/**
 * Called at each restart: returns the entry that governs the *next* exit.
 * Example with base 10 s: restart #1 → 10 s, #2 → 20 s, #3 → 40 s, … #6+ → 300 s.
 */
export function nextBackoff(entry: BackoffEntry | undefined, ranForMs: number, settings: BackoffSettings): BackoffEntry {
  if (!entry || ranForMs >= settings.resetAfterMs) return { delayMs: settings.baseMs };
  return { delayMs: Math.min(entry.delayMs * 2, settings.maxMs) };
}

/** How long, from now, a container that finished at finishedAt must still wait (0 = may start). */
export function remainingBackoff(entry: BackoffEntry | undefined, finishedAt: number, ranForMs: number, now: number, settings: BackoffSettings): number {
  if (!entry || ranForMs >= settings.resetAfterMs) return 0;
  return Math.max(0, finishedAt + entry.delayMs - now);
}

/** Kubernetes' wording, e.g. "back-off 20s restarting failed container=web pod=web-0_default(uid)". */
export function backoffMessage(delayMs: number, container: string, pod: { name: string; namespace: string; uid: string }): string {
  return `back-off ${formatDuration(delayMs)} restarting failed container=${container} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
}

/** Go's time.Duration String for whole seconds/minutes: 10s, 1m20s, 5m0s. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) {
    if (ms < 1000 && ms > 0) return `${ms}ms`;
    return `${totalSeconds}s`;
  }
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m${seconds}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m${seconds}s`;
}
