// Strategic merge patch, Kubernetes' patch format for built-in types (kubectl apply, edit,
// label, annotate, scale, set image all send it). Maps merge; lists merge by the field's
// merge key (containers by name, ports by containerPort, ...) or replace when atomic;
// directives: `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>`. Patch metadata comes from the schema definitions.
import { ApiError } from '../../api/errors.js';
import { definitions, resolve, type Schema } from '../schema/definitions.js';

type JsonMap = Record<string, unknown>;

const bad = (msg: string): ApiError => new ApiError(400, 'BadRequest', msg);

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';
const PATCH_DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema node for a map's field; handles structs (properties) and maps (additionalProperties). */
function fieldSchema(s: Schema | undefined, field: string): Schema | undefined {
  const r = resolve(s).schema;
  if (!r) return undefined;
  if (r.properties) return r.properties[field];
  if (r.additionalProperties && typeof r.additionalProperties === 'object') return r.additionalProperties;
  return undefined;
}

function itemSchema(s: Schema | undefined): Schema | undefined {
  return resolve(s).schema?.items;
}

function strategyOf(s: Schema | undefined): { merge: boolean; retainKeys: boolean; mergeKey: string | undefined } {
  const st = s?.['x-kubernetes-patch-strategy'] ?? '';
  const parts = st.split(',');
  return { merge: parts.includes('merge'), retainKeys: parts.includes('retainKeys'), mergeKey: s?.['x-kubernetes-patch-merge-key'] };
}

function sameKey(a: unknown, b: unknown): boolean {
  // Merge keys compare by value; numbers and their string forms differ in Kubernetes too.
  return a === b;
}

/** Applies a strategic merge patch to one map. Returns undefined when the map is deleted. */
export function mergeMap(original: JsonMap | undefined, patch: JsonMap, schema: Schema | undefined): JsonMap | undefined {
  const directive = patch[PATCH_DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { [PATCH_DIRECTIVE]: _d, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (directive !== undefined && directive !== 'merge') throw bad(`Unknown patch type: ${String(directive)}`);

  const out: JsonMap = isMap(original) ? { ...original } : {};
  const retainKeys = patch[RETAIN_KEYS];
  const orders: [string, unknown[]][] = [];

  for (const [k, v] of Object.entries(patch)) {
    if (k === PATCH_DIRECTIVE || k === RETAIN_KEYS) continue;
    if (k.startsWith(SET_ORDER)) {
      if (!Array.isArray(v)) throw bad(`invalid type for ${k}: expected a list`);
      orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(v)) throw bad(`invalid type for ${k}: expected a list`);
      const cur = out[field];
      if (Array.isArray(cur)) {
        const kept = cur.filter((x) => !v.some((d) => d === x));
        if (kept.length > 0) out[field] = kept;
        else delete out[field];
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const fs = fieldSchema(schema, k);
    const cur = out[k];
    if (isMap(v)) {
      const merged = mergeMap(isMap(cur) ? cur : undefined, v, fs);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(cur) ? cur : undefined, v, fs);
    } else {
      out[k] = v;
    }
  }

  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = applyOrder(cur, order, strategyOf(fieldSchema(schema, field)).mergeKey);
  }

  if (retainKeys !== undefined) {
    if (!Array.isArray(retainKeys)) throw bad(`invalid type for $retainKeys: expected a list`);
    for (const k of Object.keys(out)) if (!retainKeys.includes(k)) delete out[k];
  }
  return out;
}

/** Merges a list according to the field's strategy; atomic lists are replaced. */
function mergeList(original: unknown[] | undefined, patch: unknown[], schema: Schema | undefined): unknown[] {
  const { merge, mergeKey } = strategyOf(schema);
  const items = itemSchema(schema);
  // `{$patch: replace}` as a list element replaces the whole list with the other elements.
  if (patch.some((e) => isMap(e) && e[PATCH_DIRECTIVE] === 'replace' && Object.keys(e).length === 1)) {
    return patch.filter((e) => !(isMap(e) && e[PATCH_DIRECTIVE] === 'replace')).map((e) => (isMap(e) ? stripDirectives(e) : e));
  }
  if (!merge) return patch.map((e) => (isMap(e) ? stripDirectives(e) : e));
  const out = [...(original ?? [])];
  if (!mergeKey) {
    // A set of primitives: add what is missing, keep order.
    for (const e of patch) if (!out.some((x) => x === e)) out.push(e);
    return out;
  }
  for (const e of patch) {
    if (!isMap(e)) throw bad(`unable to find api field in struct for the patch: list element is not a map (merge key "${mergeKey}")`);
    if (!(mergeKey in e)) throw bad(`map: ${JSON.stringify(e)} does not contain declared merge key: ${mergeKey}`);
    const key = e[mergeKey];
    const idx = out.findIndex((x) => isMap(x) && sameKey(x[mergeKey], key));
    if (e[PATCH_DIRECTIVE] === 'delete') {
      if (idx >= 0) {
        // Remove every element with that key.
        for (let i = out.length - 1; i >= 0; i--) {
          const x = out[i];
          if (isMap(x) && sameKey(x[mergeKey], key)) out.splice(i, 1);
        }
      }
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(out[idx] as JsonMap, e, items);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      const added = mergeMap(undefined, e, items);
      if (added !== undefined) out.push(added);
    }
  }
  return out;
}

/**
 * $setElementOrder: elements named in the order come in that order; elements the patch
 * does not name (added by someone else) keep their place relative to their neighbours.
 */
function applyOrder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (e: unknown): unknown => (mergeKey && isMap(e) ? e[mergeKey] : e);
  const orderKeys = order.map((o) => (mergeKey && isMap(o) ? o[mergeKey] : o));
  const position = (e: unknown): number => orderKeys.findIndex((k) => sameKey(k, keyOf(e)));
  const named = list.filter((e) => position(e) >= 0).sort((a, b) => position(a) - position(b));
  const out: unknown[] = [];
  let n = 0;
  for (const e of list) out.push(position(e) >= 0 ? named[n++] : e);
  return out;
}

/** Directives never reach the stored object. */
function stripDirectives(m: JsonMap): JsonMap {
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(m)) {
    if (k === PATCH_DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    if (v === null) continue;
    out[k] = isMap(v) ? stripDirectives(v) : Array.isArray(v) ? v.map((e) => (isMap(e) ? stripDirectives(e) : e)) : v;
  }
  return out;
}

/** Strategic merge of a whole object; `definition` is its schema definition name (may be unknown). */
export function applyStrategicMergePatch(original: JsonMap, patch: unknown, definition: string | undefined): JsonMap {
  if (!isMap(patch)) throw bad(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
  const schema: Schema | undefined = definition ? { $ref: `#/components/schemas/${definition}` } : undefined;
  if (definition) definitions(); // parse lazily before walking
  return mergeMap(original, patch, schema) ?? {};
}
