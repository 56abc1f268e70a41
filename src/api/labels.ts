// Label selectors: the string syntax (`app=kuard,version in (1,2),!canary`), the structured
// metav1.LabelSelector, matching, and printing as Kubernetes prints them (sorted by key).
import type { meta } from './types.js';
import { isQualifiedName, isValidLabelValue } from './names.js';

export type SelectorOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** Sorted, de-duplicated values (empty for exists / !). */
  values: string[];
}

/** A parsed selector: all requirements must hold. Empty matches everything. */
export interface LabelSelector {
  requirements: Requirement[];
  /** True for the selector that matches nothing (a nil metav1.LabelSelector). */
  nothing?: boolean;
}

export class SelectorError extends Error {
  override name = 'SelectorError';
}

export const everything = (): LabelSelector => ({ requirements: [] });
export const nothing = (): LabelSelector => ({ requirements: [], nothing: true });

export function matches(selector: LabelSelector, labels: Record<string, string> | undefined | null): boolean {
  if (selector.nothing) return false;
  const l = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, l));
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(v!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(v!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = BigInt(v!);
      const bound = BigInt(r.values[0]!);
      return r.operator === 'gt' ? n > bound : n < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case '=':
    case '==':
    case '!=':
      return `${r.key}${r.operator}${r.values[0] ?? ''}`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
  }
}

/** The canonical string form (requirements sorted by key), e.g. for Scale.status.selector. */
export function selectorString(selector: LabelSelector): string {
  return sortRequirements(selector.requirements).map(requirementString).join(',');
}

function sortRequirements(reqs: Requirement[]): Requirement[] {
  return [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  for (const e of isQualifiedName(key)) throw new SelectorError(`key: Invalid value: "${key}": ${e}`);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) throw new SelectorError(`values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) throw new SelectorError(`values: Invalid value: []string{}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) throw new SelectorError(`values: Invalid value: []string{}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!)) {
        throw new SelectorError(`values: Invalid value: []string{}: for 'Gt', 'Lt' operators, exactly one value is required and it must be an integer`);
      }
      break;
  }
  if (operator !== 'gt' && operator !== 'lt') {
    for (const v of values) for (const e of isValidLabelValue(v)) throw new SelectorError(`values[0]: Invalid value: "${v}": ${e}`);
  }
  return { key, operator, values: [...new Set(values)].sort() };
}

// ---- string syntax ------------------------------------------------------------------

type Token =
  | { t: 'id'; v: string }
  | { t: 'in' | 'notin' | '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' | 'end'; v: string };

const specialChars = new Set(['=', '!', '(', ')', ',', '>', '<']);

function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (specialChars.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        out.push({ t: two, v: two });
        i += 2;
      } else {
        out.push({ t: c as Token['t'] & string, v: c } as Token);
        i++;
      }
      continue;
    }
    let j = i;
    while (j < input.length && !specialChars.has(input[j]!) && !/\s/.test(input[j]!)) j++;
    const word = input.slice(i, j);
    out.push(word === 'in' || word === 'notin' ? { t: word, v: word } : { t: 'id', v: word });
    i = j;
  }
  out.push({ t: 'end', v: '' });
  return out;
}

/** Parses kubectl's `-l` syntax. Throws SelectorError with Kubernetes-like wording. */
export function parseSelector(input: string): LabelSelector {
  const toks = lex(input);
  let p = 0;
  const peek = (): Token => toks[p]!;
  const next = (): Token => toks[p++]!;
  const reqs: Requirement[] = [];
  if (peek().t === 'end') return everything();
  for (;;) {
    let negate = false;
    if (peek().t === '!') {
      next();
      negate = true;
    }
    const keyTok = next();
    if (keyTok.t !== 'id') throw new SelectorError(`found '${keyTok.v}', expected: identifier`);
    const key = keyTok.v;
    if (negate) {
      reqs.push(newRequirement(key, '!', []));
    } else {
      const op = peek();
      if (op.t === ',' || op.t === 'end') {
        reqs.push(newRequirement(key, 'exists', []));
      } else {
        next();
        switch (op.t) {
          case 'in':
          case 'notin': {
            const open = next();
            if (open.t !== '(') throw new SelectorError(`found '${open.v}', expected: '('`);
            const values: string[] = [];
            for (;;) {
              const tk = next();
              if (tk.t === ')') {
                if (values.length === 0) values.push('');
                break;
              }
              if (tk.t === 'id') {
                values.push(tk.v);
                const sep = next();
                if (sep.t === ')') break;
                if (sep.t !== ',') throw new SelectorError(`found '${sep.v}', expected: ',' or ')'`);
                continue;
              }
              if (tk.t === ',') {
                values.push('');
                continue;
              }
              throw new SelectorError(`found '${tk.v}', expected: ',', ')' or identifier`);
            }
            reqs.push(newRequirement(key, op.t, values));
            break;
          }
          case '=':
          case '==':
          case '!=':
          case '>':
          case '<': {
            const v = peek();
            let value = '';
            if (v.t === 'id') {
              value = v.v;
              next();
            } else if (v.t !== ',' && v.t !== 'end') {
              throw new SelectorError(`found '${v.v}', expected: identifier`);
            }
            const operator: SelectorOperator = op.t === '>' ? 'gt' : op.t === '<' ? 'lt' : op.t;
            reqs.push(newRequirement(key, operator, [value]));
            break;
          }
          default:
            throw new SelectorError(`found '${op.v}', expected: in, notin, =, ==, !=, gt, lt`);
        }
      }
    }
    const sep = next();
    if (sep.t === 'end') break;
    if (sep.t !== ',') throw new SelectorError(`found '${sep.v}', expected: ',' or 'end of string'`);
  }
  return { requirements: sortRequirements(reqs) };
}

// ---- metav1.LabelSelector -------------------------------------------------------------

const exprOperators: Record<string, SelectorOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * Converts a metav1.LabelSelector: undefined/null matches nothing, {} matches everything
 * (Kubernetes' LabelSelectorAsSelector). Throws SelectorError on invalid content.
 */
export function fromLabelSelector(ls: meta.LabelSelector | undefined | null): LabelSelector {
  if (ls === undefined || ls === null) return nothing();
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const e of ls.matchExpressions ?? []) {
    const op = exprOperators[e.operator];
    if (!op) throw new SelectorError(`"${e.operator}" is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, e.values ?? []));
  }
  return { requirements: sortRequirements(reqs) };
}

/** metav1.FormatLabelSelector: the string form, "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(ls: meta.LabelSelector | undefined | null): string {
  try {
    const s = selectorString(fromLabelSelector(ls));
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

/** True when the metav1.LabelSelector matches these labels (nil selector matches nothing). */
export function labelSelectorMatches(ls: meta.LabelSelector | undefined | null, labels: Record<string, string> | undefined | null): boolean {
  try {
    return matches(fromLabelSelector(ls), labels);
  } catch {
    return false;
  }
}

/** Selector from a plain label map (e.g. a ReplicationController-style selector). */
export function selectorFromSet(set: Record<string, string>): LabelSelector {
  return { requirements: sortRequirements(Object.entries(set).map(([k, v]) => ({ key: k, operator: '=' as const, values: [v] }))) };
}

/**
 * labelSelectorMatches converted once, for matching many objects against one selector
 * (a controller claiming pods). Nil or invalid selects nothing.
 */
export function labelSelectorMatcher(ls: meta.LabelSelector | undefined | null): (labels: Record<string, string> | undefined | null) => boolean {
  let selector: LabelSelector;
  try {
    selector = fromLabelSelector(ls);
  } catch {
    return () => false;
  }
  return (labels) => matches(selector, labels);
}

/** A non-nil metav1.LabelSelector with no requirements: it would select every object. */
export function labelSelectorIsEmpty(ls: meta.LabelSelector | undefined | null): boolean {
  return !!ls && Object.keys(ls.matchLabels ?? {}).length === 0 && (ls.matchExpressions ?? []).length === 0;
}
