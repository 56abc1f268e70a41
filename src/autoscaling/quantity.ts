// Resource quantities as the metrics pipeline and the autoscaler need them:
// parse Kubernetes' quantity strings exactly (BigInt fractions, no float drift),
// read them as milli-units (rounded up, like resource.Quantity.MilliValue), and
// render usage figures in the canonical form Kubernetes serialises:
//   cpu    from nanocores:  250000000 → "250m", 12345 → "12345n", 2000000000 → "2"
//   memory from bytes:      104857600 → "100Mi", 12288 → "12Ki", 1536 → "1536"
//                           (binary suffixes only for whole multiples of 1024)

/** An exact rational value: num / den, den > 0. */
export interface ExactQuantity {
  num: bigint;
  den: bigint;
}

const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const quantityPattern = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** Parses a quantity string ("250m", "1.5Gi", "1e3", "128974848"); undefined when malformed. */
export function parseQuantity(text: string | number): ExactQuantity | undefined {
  const s = typeof text === 'number' ? String(text) : text.trim();
  const m = quantityPattern.exec(s);
  if (!m) return undefined;
  const [, sign, digits, suffix, exponent] = m;
  const [whole, fraction = ''] = digits!.split('.');
  let num = BigInt((whole || '0') + fraction);
  let den = 10n ** BigInt(fraction.length);
  if (sign === '-') num = -num;
  if (suffix !== undefined && suffix in binarySuffixes) {
    num *= 2n ** BigInt(binarySuffixes[suffix]!);
  } else {
    const power = exponent !== undefined ? Number(exponent) : decimalSuffixes[suffix ?? '']!;
    if (power >= 0) num *= 10n ** BigInt(power);
    else den *= 10n ** BigInt(-power);
  }
  return { num, den };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** The value scaled by 10^power, rounded up (Kubernetes' ScaledValue rounding). */
function scaled(q: ExactQuantity, power: number): number {
  const num = power >= 0 ? q.num * 10n ** BigInt(power) : q.num;
  const den = power >= 0 ? q.den : q.den * 10n ** BigInt(-power);
  return Number(ceilDiv(num, den));
}

/** resource.Quantity.MilliValue(): value × 1000, rounded up. */
export function milliValue(q: ExactQuantity): number {
  return scaled(q, 3);
}

/** Value in nano units (cpu nanocores). */
export function nanoValue(q: ExactQuantity): number {
  return scaled(q, 9);
}

/** resource.Quantity.Value(): rounded up to a whole number. */
export function wholeValue(q: ExactQuantity): number {
  return scaled(q, 0);
}

/** milliValue of a quantity string, or undefined when malformed. */
export function milliOf(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  const q = parseQuantity(text);
  return q ? milliValue(q) : undefined;
}

const decimalUnits: Array<[number, string]> = [
  [18, 'E'],
  [15, 'P'],
  [12, 'T'],
  [9, 'G'],
  [6, 'M'],
  [3, 'k'],
  [0, ''],
  [-3, 'm'],
  [-6, 'u'],
  [-9, 'n'],
];

/**
 * Canonical DecimalSI form of an integer amount given at 10^scale: the largest
 * power-of-1000 unit that keeps the mantissa whole.
 * e.g. (250000000, -9) → "250m"; (1500, 0) → "1500"; (1500000, 0) → "1500k"; (0, -9) → "0".
 */
export function formatDecimal(amount: bigint | number, scale: number): string {
  let value = BigInt(amount);
  if (value === 0n) return '0';
  const negative = value < 0n;
  if (negative) value = -value;
  // Normalise to the smallest unit (nano), then climb while exact.
  let exp = scale;
  while (exp < -9) {
    // Finer than nano: round up to nano as Kubernetes does for serialisation.
    value = ceilDiv(value, 10n);
    exp += 1;
  }
  for (const [power, suffix] of decimalUnits) {
    if (power < exp) continue;
    const divisor = 10n ** BigInt(power - exp);
    if (value % divisor === 0n) return `${negative ? '-' : ''}${value / divisor}${suffix}`;
  }
  return `${negative ? '-' : ''}${value}`;
}

/**
 * Canonical BinarySI form of a byte count: Ki/Mi/Gi… when a whole multiple of 1024,
 * a plain integer otherwise; below 1024 Kubernetes falls back to decimal ("1k" for 1000).
 */
export function formatBinary(bytes: bigint | number): string {
  let value = BigInt(bytes);
  if (value > -1024n && value < 1024n) return formatDecimal(value, 0);
  const negative = value < 0n;
  if (negative) value = -value;
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = 0;
  while (i < suffixes.length - 1 && value % 1024n === 0n) {
    value /= 1024n;
    i++;
  }
  return `${negative ? '-' : ''}${value}${suffixes[i]}`;
}

/** CPU usage in nanocores as metrics-server serialises it. */
export function formatCpuNanos(nanoCores: number): string {
  return formatDecimal(BigInt(Math.max(0, Math.round(nanoCores))), -9);
}

/** Memory in bytes as metrics-server serialises it. */
export function formatMemoryBytes(bytes: number): string {
  return formatBinary(BigInt(Math.max(0, Math.round(bytes))));
}

/** A milli-value as resource.NewMilliQuantity(v, DecimalSI).String(): 500 → "500m", 2000 → "2". */
export function formatMilli(milli: number): string {
  return formatDecimal(BigInt(Math.round(milli)), -3);
}

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
