// Kubernetes resource quantities ("500m", "2", "1.5Gi", "1e3") as plain numbers.
// The API server refuses malformed quantities; here a malformed one reads as 0 so a
// bad object never crashes the scheduler or a node.

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/** The quantity's value, or undefined when it is not a valid quantity. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return Number(`${m[1]}${m[2]}`);
  return base * SUFFIX[m[3] ?? '']!;
}

/** CPU in millicores, rounded up as Kubernetes' MilliValue does ("1.0001" → 1001). */
export function milliValue(q: string | number | undefined): number {
  const v = parseQuantity(q);
  return v === undefined ? 0 : Math.ceil(Math.round(v * 1e9) / 1e6);
}

/** An integer value (bytes, counts), rounded up. */
export function intValue(q: string | number | undefined): number {
  const v = parseQuantity(q);
  return v === undefined ? 0 : Math.ceil(Math.round(v * 1e6) / 1e6);
}

/** Formats millicores the way kubectl shows them: "900m", "2". */
export function formatMilli(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Formats bytes with the largest exact binary suffix: 209715200 → "200Mi". */
export function formatBytes(bytes: number): string {
  for (const s of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const unit = SUFFIX[s]!;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${s}`;
  }
  return String(bytes);
}
