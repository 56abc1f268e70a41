// Field selectors (`spec.nodeName=node-1,status.phase!=Running`) as Kubernetes parses them:
// terms separated by ',', operators '=', '==', '!='; '\' escapes ',', '=' and '\' inside values.

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export class FieldSelectorError extends Error {
  override name = 'FieldSelectorError';
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw new FieldSelectorError(`invalid field selector: invalid escape sequence`);
    }
    out += c;
  }
  return out;
}

export function parseFieldSelector(input: string): FieldRequirement[] {
  if (input.trim() === '') return [];
  const reqs: FieldRequirement[] = [];
  for (const term of splitUnescaped(input, ',')) {
    if (term === '') continue;
    let idx = -1;
    let op: FieldRequirement['operator'] = '=';
    let opLen = 1;
    for (let i = 0; i < term.length; i++) {
      if (term[i] === '\\') {
        i++;
        continue;
      }
      if (term.startsWith('!=', i)) {
        idx = i;
        op = '!=';
        opLen = 2;
        break;
      }
      if (term.startsWith('==', i)) {
        idx = i;
        opLen = 2;
        break;
      }
      if (term[i] === '=') {
        idx = i;
        break;
      }
    }
    if (idx < 0) throw new FieldSelectorError(`invalid selector: '${input}'; can't understand '${term}'`);
    reqs.push({ field: unescape(term.slice(0, idx)).trim(), operator: op, value: unescape(term.slice(idx + opLen)) });
  }
  return reqs;
}

/** True when every requirement holds; `get` returns the object's value for a field (undefined = unsupported). */
export function fieldsMatch(reqs: FieldRequirement[], get: (field: string) => string | undefined): boolean {
  return reqs.every((r) => {
    const v = get(r.field) ?? '';
    return r.operator === '=' ? v === r.value : v !== r.value;
  });
}
