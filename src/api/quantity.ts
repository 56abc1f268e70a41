// resource.Quantity: parsing, exact comparison and canonical formatting ("1.5Gi" → "1536Mi",
// "0.5" → "500m"). Values are kept exactly as an integer count of nano-units (BigInt), so
// nothing is lost to floating point; precision below 1n is rounded up, as Kubernetes does.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** Value × 10^9, exact. */
  nanos: bigint;
  format: QuantityFormat;
}

export class QuantityError extends Error {
  override name = 'QuantityError';
}

export const QUANTITY_REGEX_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const NANO = 1_000_000_000n;
const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const quantityRe = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Divides rounding away from zero (Kubernetes rounds up lost precision). */
function divCeilAbs(n: bigint, d: bigint): bigint {
  const q = n / d;
  return q * d === n ? q : n < 0n ? q - 1n : q + 1n;
}

/**
 * Parsed quantities by their text: the same few ("10m", "16Mi", "4", "8Gi") are parsed on every
 * pod write and scheduling step, and BigInt parsing is not cheap. Results are frozen and shared.
 */
const parsedCache = new Map<string, Quantity>();
const PARSED_CACHE_MAX = 4096;

export function parseQuantity(input: string | number): Quantity {
  const key = typeof input === 'number' ? `#${input}` : input;
  const cached = parsedCache.get(key);
  if (cached) return cached;
  const q = Object.freeze(parseQuantityUncached(input));
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
  parsedCache.set(key, q);
  return q;
}

function parseQuantityUncached(input: string | number): Quantity {
  const s = typeof input === 'number' ? String(input) : input.trim();
  const m = quantityRe.exec(s);
  if (!m || s === '') throw new QuantityError(QUANTITY_REGEX_MESSAGE);
  const sign = m[1] === '-' ? -1n : 1n;
  const [intPart, fracPart = ''] = m[2]!.split('.');
  const digits = BigInt((intPart || '0') + fracPart || '0');
  const fracLen = fracPart.length;
  const suffix = m[3] ?? '';
  let format: QuantityFormat;
  // value = digits × 10^(-fracLen) × multiplier; nanos = value × 10^9
  let num = digits * NANO;
  let den = 10n ** BigInt(fracLen);
  if (suffix in binarySuffixes) {
    format = 'BinarySI';
    num *= 1n << BigInt(binarySuffixes[suffix]!);
  } else if (suffix === '' || suffix in decimalSuffixes) {
    format = 'DecimalSI';
    const exp = decimalSuffixes[suffix]!;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    format = 'DecimalExponent';
    const exp = Number(suffix.slice(1));
    if (!Number.isFinite(exp) || Math.abs(exp) > 1000) throw new QuantityError(QUANTITY_REGEX_MESSAGE);
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  return { nanos: sign * divCeilAbs(num, den), format };
}

export function isQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** The value in thousandths, rounded up (CPU "250m" → 250). */
export function milliValue(q: Quantity): number {
  return Number(divCeilAbs(q.nanos, 1_000_000n));
}

/** The value in whole units, rounded up (memory "1Gi" → 1073741824). */
export function value(q: Quantity): number {
  return Number(divCeilAbs(q.nanos, NANO));
}

const decimalByExp = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryNames = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** The canonical string Kubernetes stores and prints for a quantity. */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  const neg = q.nanos < 0n;
  const abs = neg ? -q.nanos : q.nanos;
  const sign = neg ? '-' : '';
  if (q.format === 'BinarySI' && abs >= 1024n * NANO && abs % NANO === 0n) {
    let v = abs / NANO;
    let i = 0;
    while (i < binaryNames.length - 1 && v % 1024n === 0n) {
      v /= 1024n;
      i++;
    }
    return `${sign}${v}${binaryNames[i]}`;
  }
  // Largest exponent (multiple of 3, from -9) that keeps the mantissa an integer.
  let mantissa = abs;
  let exp = -9;
  while (exp < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exp += 3;
  }
  if (q.format === 'DecimalExponent') return exp === 0 ? `${sign}${mantissa}` : `${sign}${mantissa}e${exp}`;
  return `${sign}${mantissa}${decimalByExp.get(exp)}`;
}

/** Parses and re-formats canonically; throws QuantityError on a malformed value. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

// Numeric views for the scheduler, node agent and autoscaler. A malformed or absent
// quantity reads as undefined: the API server refuses malformed ones, so callers that
// meet one anyway (annotations, stale objects) choose their own fallback.

/** parseQuantity that answers undefined instead of throwing (and for an absent value). */
export function tryParseQuantity(input: string | number | null | undefined): Quantity | undefined {
  if (input === undefined || input === null) return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** The value in billionths (cpu nanocores). */
export function nanoValue(q: Quantity): number {
  return Number(q.nanos);
}

/** milliValue of a quantity string: "250m" → 250, "1.0001" → 1001; undefined when malformed. */
export function milliValueOf(input: string | number | null | undefined): number | undefined {
  const q = tryParseQuantity(input);
  return q && milliValue(q);
}

/** value (whole units, rounded up) of a quantity string: "1.5Ki" → 1536; undefined when malformed. */
export function intValueOf(input: string | number | null | undefined): number | undefined {
  const q = tryParseQuantity(input);
  return q && value(q);
}

/** The value in base units (cores, bytes) as a float: "250m" → 0.25, "64Mi" → 67108864. */
export function numberValueOf(input: string | number | null | undefined): number | undefined {
  if (typeof input === 'number') return input;
  const q = tryParseQuantity(input);
  return q && Number(q.nanos) / 1e9;
}

/**
 * The canonical DecimalSI string of an integer amount counted at 10^scale:
 * (250000000, -9) → "250m"; (1500, 0) → "1500"; (1500000, 0) → "1500k"; (0, -9) → "0".
 * Amounts finer than nano are rounded up to nano, as Kubernetes serialises them.
 */
export function formatDecimal(amount: bigint | number, scale: number): string {
  const a = BigInt(amount);
  const nanos = scale >= -9 ? a * 10n ** BigInt(scale + 9) : divCeilAbs(a, 10n ** BigInt(-9 - scale));
  return formatQuantity({ nanos, format: 'DecimalSI' });
}

/**
 * The canonical BinarySI string of a byte count: Ki/Mi/Gi… for whole multiples of 1024,
 * a plain integer otherwise, and decimal below 1024 ("1k" for 1000), as Kubernetes prints it.
 */
export function formatBinary(bytes: bigint | number): string {
  return formatQuantity({ nanos: BigInt(bytes) * NANO, format: 'BinarySI' });
}

/** A milli-value as resource.NewMilliQuantity(v, DecimalSI).String(): 500 → "500m", 2000 → "2". */
export function formatMilli(milli: number): string {
  return formatDecimal(BigInt(Math.round(milli)), -3);
}

/** CPU usage in nanocores as metrics-server serialises it: 250000000 → "250m", 12345 → "12345n". */
export function formatCpuNanos(nanoCores: number): string {
  return formatDecimal(BigInt(Math.max(0, Math.round(nanoCores))), -9);
}

/** Memory in bytes as metrics-server serialises it: 104857600 → "100Mi", 1536 → "1536". */
export function formatMemoryBytes(bytes: number): string {
  return formatBinary(BigInt(Math.max(0, Math.round(bytes))));
}
