// Go's time.Duration strings, as metrics-server writes a usage window.

/**
 * Go's time.Duration String() for whole milliseconds and above: 15000 → "15s",
 * 90000 → "1m30s", 500 → "500ms", 10062 → "10.062s".
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds - hours * 3600) / 60);
  const seconds = +(totalSeconds - hours * 3600 - minutes * 60).toFixed(3);
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${seconds}s`;
}
