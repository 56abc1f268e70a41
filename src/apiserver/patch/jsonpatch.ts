// RFC 6902 JSON Patch (kubectl patch --type=json): add, remove, replace, move, copy, test.
// Failures read like the json-patch library Kubernetes uses.
import { ApiError } from '../../api/errors.js';

type Json = unknown;

export interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

const invalid = (msg: string): ApiError => new ApiError(422, 'Invalid', msg);
const bad = (msg: string): ApiError => new ApiError(400, 'BadRequest', msg);

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw invalid(`doc is missing path: "${p}": missing value`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arrayIndex(token: string, length: number, forAdd: boolean, path: string): number {
  if (forAdd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw invalid(`Unable to access invalid index: ${token}`);
  const i = Number(token);
  if (forAdd ? i > length : i >= length) throw invalid(`Unable to access invalid index: ${i}: ${path}`);
  return i;
}

/** The container of the last token, walking every token but the last. */
function parentOf(doc: Json, tokens: string[], path: string): Json {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, path)];
    else if (isObject(cur) && t in cur) cur = cur[t];
    else throw invalid(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function get(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false, path)];
  if (isObject(parent) && last in parent) return parent[last];
  throw invalid(`doc is missing path: "${path}": missing value`);
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, path), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw invalid(`doc is missing path: "${path}": missing value`);
  return doc;
}

function remove(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, path), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw invalid(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

export function applyJsonPatch(doc: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw bad('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let cur = structuredClone(doc);
  for (const raw of patch) {
    if (!isObject(raw)) throw bad('json: cannot unmarshal non-object into Go value of type jsonpatch.Operation');
    const op = raw as unknown as Operation;
    if (typeof op.path !== 'string') throw invalid(`Unable to apply patch: missing path`);
    const clone = (v: Json): Json => structuredClone(v);
    switch (op.op) {
      case 'add':
        if (!('value' in raw)) throw invalid('missing value');
        cur = add(cur, op.path, clone(op.value));
        break;
      case 'remove':
        cur = remove(cur, op.path);
        break;
      case 'replace':
        if (!('value' in raw)) throw invalid('missing value');
        get(cur, op.path); // must exist
        if (op.path === '') cur = clone(op.value);
        else cur = add(remove(cur, op.path), op.path, clone(op.value));
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw invalid('missing from');
        const v = get(cur, op.from);
        cur = add(remove(cur, op.from), op.path, v);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw invalid('missing from');
        cur = add(cur, op.path, clone(get(cur, op.from)));
        break;
      }
      case 'test': {
        let actual: Json;
        try {
          actual = get(cur, op.path);
        } catch {
          actual = undefined;
        }
        if (!deepEqual(actual ?? null, op.value ?? null)) throw invalid(`testing value ${op.path} failed: test failed`);
        break;
      }
      default:
        throw bad(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return cur;
}
