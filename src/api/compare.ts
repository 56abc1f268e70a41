// Orderings for sorting names and addresses the way Kubernetes (Go) sorts them: by code unit, not by locale.
// String.prototype.localeCompare would depend on the machine's locale and loads ICU's collation data
// (~3 MB of resident memory in a small daemon such as the node agent).

/** Plain lexicographic order of UTF-16 code units (Go's string order for the ASCII names Kubernetes uses). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Dotted IPv4 addresses (optionally followed by ":port") by their numeric value, then port; anything
 * that is not one sorts after the addresses, by compareStrings.
 */
export function compareAddresses(a: string, b: string): number {
  const x = addressKey(a);
  const y = addressKey(b);
  if (x && y) return x[0] - y[0] || x[1] - y[1];
  if (x) return -1;
  if (y) return 1;
  return compareStrings(a, b);
}

function addressKey(text: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return [octets.reduce((n, o) => n * 256 + o, 0), m[5] === undefined ? -1 : Number(m[5])];
}
