// Label and field selectors in their string form ("app=kuard,tier in (web,api),!canary"),
// as found in `?labelSelector=`, `?fieldSelector=` and a Scale's status.selector.

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

export interface Selector {
  requirements: Requirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  /** True when the selector selects everything (empty string). */
  empty: boolean;
}

export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim());
}

const keyPattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$/;

function checkKey(key: string): string {
  if (!keyPattern.test(key)) throw new SelectorParseError(`invalid label key "${key}"`);
  return key;
}

function checkValue(value: string): string {
  if (!valuePattern.test(value) || value.length > 63) throw new SelectorParseError(`invalid label value: "${value}"`);
  return value;
}

function parseTerm(term: string): Requirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(setMatch[1]!), op: setMatch[2] as 'in' | 'notin', values };
  }
  const eqMatch = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (eqMatch) {
    const key = checkKey(eqMatch[1]!);
    const value = checkValue(eqMatch[3]!);
    return { key, op: eqMatch[2] === '!=' ? 'notin' : 'in', values: [value] };
  }
  if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: 'doesnotexist' };
  return { key: checkKey(term), op: 'exists' };
}

function matchOne(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'in':
      return has && r.values.includes(labels[r.key]!);
    case 'notin':
      return !has || !r.values.includes(labels[r.key]!);
    case 'exists':
      return has;
    case 'doesnotexist':
      return !has;
  }
}

/** Parses a label selector string; throws SelectorParseError when malformed. */
export function parseLabelSelector(text: string | null | undefined): Selector {
  const trimmed = (text ?? '').trim();
  const requirements = trimmed === '' ? [] : splitTerms(trimmed).map(parseTerm);
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (labels) => requirements.every((r) => matchOne(r, labels ?? {})),
  };
}

/** A field selector: only equality terms ("metadata.name=foo", "metadata.namespace!=bar"). */
export interface FieldSelector {
  matches(fields: Record<string, string | undefined>): boolean;
  terms: Array<{ field: string; equal: boolean; value: string }>;
}

export function parseFieldSelector(text: string | null | undefined): FieldSelector {
  const trimmed = (text ?? '').trim();
  const terms =
    trimmed === ''
      ? []
      : splitTerms(trimmed).map((term) => {
          const m = /^([^=!\s]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
          if (!m) throw new SelectorParseError(`invalid selector: '${text}'; can't understand '${term}'`);
          return { field: m[1]!, equal: m[2] !== '!=', value: m[3]!.trim() };
        });
  return {
    terms,
    matches: (fields) => terms.every((t) => (fields[t.field] === t.value) === t.equal),
  };
}
