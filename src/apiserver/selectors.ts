// Field selectors as the API server evaluates them: `a=b`, `a==b`, `a!=b`, comma = AND.
// Only metadata.name, metadata.namespace and the fields a definition declares are supported.
import { errors } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceDefinition } from './registry/types.js';

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on commas that are not escaped with a backslash; unescapes values. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(s: string | undefined): FieldRequirement[] {
  if (!s) return [];
  return splitTerms(s).map((term) => {
    let m = /^([^=!]+)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw errors.badRequest(`invalid field selector: "${term}"`);
    const [, field, op, value] = m;
    return { field: field.trim(), op: op === '!=' ? '!=' : '=', value: unescape(value.trim()) };
  });
}

export type FieldGetter = (obj: KubeObject) => string | undefined;

/** Resolves requirements to getters; unsupported fields are a 400 as in Kubernetes. */
export function compileFieldSelector(reqs: FieldRequirement[], def: ResourceDefinition): (obj: KubeObject) => boolean {
  if (reqs.length === 0) return () => true;
  const compiled = reqs.map((r) => {
    let get: FieldGetter | undefined;
    if (r.field === 'metadata.name') get = (o) => o.metadata?.name ?? '';
    else if (r.field === 'metadata.namespace') get = def.namespaced ? (o) => o.metadata?.namespace ?? '' : () => '';
    else get = def.fieldSelectors[r.field];
    if (!get) throw errors.badRequest(`field label not supported: ${r.field}`);
    return { get, op: r.op, value: r.value };
  });
  return (obj) => compiled.every((c) => ((c.get(obj) ?? '') === c.value) === (c.op === '='));
}

/** If the selector pins metadata.name (kubectl get x NAME -w), the name. */
export function pinnedName(reqs: FieldRequirement[]): string | undefined {
  return reqs.find((r) => r.field === 'metadata.name' && r.op === '=')?.value;
}

// ---- label selectors -------------------------------------------------------------------

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' };

function tokenizeLabelSelector(s: string): string[] {
  // Split on commas outside parentheses.
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

const keyRe = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const valueRe = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

function checkKey(key: string, all: string): string {
  if (!keyRe.test(key)) throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${all}"`);
  return key;
}
function checkValue(v: string, all: string): string {
  if (v.length > 63 || !valueRe.test(v)) throw errors.badRequest(`unable to parse requirement: invalid label value "${v}" in selector "${all}"`);
  return v;
}

export function parseLabelSelector(s: string | undefined): LabelRequirement[] {
  if (!s) return [];
  return tokenizeLabelSelector(s).map((term): LabelRequirement => {
    let m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (m) {
      const values = m[3].split(',').map((v) => checkValue(v.trim(), s));
      return { key: checkKey(m[1], s), op: m[2] as 'in' | 'notin', values };
    }
    m = /^([^=!\s]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (m) {
      const value = checkValue(m[3].trim(), s);
      return { key: checkKey(m[1], s), op: m[2] === '!=' ? 'notin' : 'in', values: [value] };
    }
    m = /^!\s*(\S+)$/.exec(term);
    if (m) return { key: checkKey(m[1], s), op: '!' };
    if (/^\S+$/.test(term)) return { key: checkKey(term, s), op: 'exists' };
    throw errors.badRequest(`unable to parse requirement: invalid selector "${s}"`);
  });
}

export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(labels![r.key])) return false;
        break;
      case 'notin':
        if (has && r.values.includes(labels![r.key])) return false;
        break;
    }
  }
  return true;
}

/** One predicate for label + field selectors; undefined when nothing filters. */
export function compileSelectors(labelSelector: string | undefined, fieldSelector: string | undefined, def: ResourceDefinition) {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(fieldSelector);
  const fieldMatch = compileFieldSelector(fields, def);
  const matches = (obj: KubeObject) => matchLabels(labels, obj.metadata?.labels as Record<string, string> | undefined) && fieldMatch(obj);
  return { matches, filtering: labels.length > 0 || fields.length > 0, name: pinnedName(fields) };
}
