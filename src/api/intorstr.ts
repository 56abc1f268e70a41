// IntOrString helpers: "25%" or 3, as used by maxSurge / maxUnavailable and probe ports.

export type IntOrString = number | string;

const percentRe = /^[0-9]+%$/;

export const PERCENT_FORMAT_MESSAGE =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

export function isPercent(v: IntOrString): v is string {
  return typeof v === 'string' && percentRe.test(v);
}

/**
 * Kubernetes' GetScaledValueFromIntOrPercent: an int stays as is; "25%" of total is
 * rounded up or down. Throws on a string that is not a percentage.
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (!isPercent(v)) throw new Error(`invalid value for IntOrString: invalid value "${v}": ${PERCENT_FORMAT_MESSAGE}`);
  const pct = Number(v.slice(0, -1));
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/** Percent value of "25%" (25), or undefined for ints / malformed strings. */
export function percentValue(v: IntOrString): number | undefined {
  return isPercent(v) ? Number(v.slice(0, -1)) : undefined;
}
