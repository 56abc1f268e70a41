// Strict decoding of a request body against the kind's schema: unknown fields (reported as
// dotted paths the way Kubernetes' strict decoder names them, e.g. "spec.containres" or
// "spec.containers[0].livenessProbe.failuerThreshold") and JSON values of the wrong type
// (reported with Go's encoding/json wording, which is what Kubernetes answers).
import type { FieldCause } from '../../api/errors.js';
import { isQuantity, QUANTITY_REGEX_MESSAGE } from '../../api/quantity.js';
import { goTypeName, INT_OR_STRING, kindDefinition, MICRO_TIME, QUANTITY, REF_PREFIX, resolve, TIME, type Schema } from './definitions.js';

export interface CheckResult {
  unknownFields: string[];
  typeErrors: FieldCause[];
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number' | 'object'
}

interface Walk {
  unknownFields: string[];
  typeErrors: FieldCause[];
}

/**
 * Where the walk is, as a chain to the root: paths are only spelt out when there is something
 * to report, so a valid object (nearly every request) costs no string or array building.
 */
interface Loc {
  parent: Loc | undefined;
  /** Property name, or array index. */
  seg: string | number;
  /** Whether the segment is a struct field (part of Go's field path); map keys and indexes are not. */
  field: boolean;
}

function pathOf(loc: Loc | undefined): string {
  let out = '';
  for (let l = loc; l; l = l.parent) {
    // A field name is preceded by a dot unless it starts the path; an index never is.
    const rest = out === '' || out.startsWith('[') ? out : '.' + out;
    out = typeof l.seg === 'number' ? `[${l.seg}]${rest}` : l.seg + rest;
  }
  return out;
}

function goPathOf(loc: Loc | undefined): string[] {
  const out: string[] = [];
  for (let l = loc; l; l = l.parent) if (l.field) out.push(l.seg as string);
  return out.reverse();
}

function typeError(w: Walk, loc: Loc | undefined, value: unknown, schema: Schema, struct: string): void {
  const kind = typeof value === 'number' && !Number.isInteger(value) && schema.type === 'integer' ? `number ${value}` : jsonKind(value);
  const goPath = goPathOf(loc);
  const target = goPath.length ? `Go struct field ${struct}.${goPath.join('.')}` : 'Go value';
  w.typeErrors.push({
    type: 'FieldValueTypeInvalid',
    field: pathOf(loc),
    message: `json: cannot unmarshal ${kind} into ${target} of type ${goTypeName(schema)}`,
  });
}

/** resolve() per schema node, remembered: the walk visits the same few schemas for every request. */
const resolved = new WeakMap<Schema, { name: string | undefined; schema: Schema | undefined; structName: string | undefined }>();

function resolveCached(schema: Schema): { name: string | undefined; schema: Schema | undefined; structName: string | undefined } {
  let r = resolved.get(schema);
  if (!r) {
    const { name, schema: s } = resolve(schema);
    r = { name, schema: s, structName: name ? name.slice(name.lastIndexOf('.') + 1) : undefined };
    resolved.set(schema, r);
  }
  return r;
}

function walk(w: Walk, value: unknown, schema: Schema | undefined, loc: Loc | undefined, struct: string): void {
  if (value === null || value === undefined || !schema) return;
  const { name, schema: s, structName } = resolveCached(schema);
  if (!s) return;
  if (name === INT_OR_STRING) {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) return;
    return typeError(w, loc, value, schema, struct);
  }
  if (name === QUANTITY) {
    if (!isQuantity(value)) w.typeErrors.push({ type: 'FieldValueTypeInvalid', field: pathOf(loc), message: QUANTITY_REGEX_MESSAGE });
    return;
  }
  if (name === TIME || name === MICRO_TIME) {
    if (typeof value !== 'string') typeError(w, loc, value, schema, struct);
    return;
  }
  if (s['x-kubernetes-preserve-unknown-fields']) return;
  switch (s.type) {
    case 'string':
      if (typeof value !== 'string') typeError(w, loc, value, schema, struct);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) typeError(w, loc, value, schema, struct);
      return;
    case 'number':
      if (typeof value !== 'number') typeError(w, loc, value, schema, struct);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(w, loc, value, schema, struct);
      return;
    case 'array':
      if (!Array.isArray(value)) return typeError(w, loc, value, schema, struct);
      for (let i = 0; i < value.length; i++) walk(w, value[i], s.items, { parent: loc, seg: i, field: false }, struct);
      return;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return typeError(w, loc, value, schema, struct);
      const obj = value as Record<string, unknown>;
      const props = s.properties;
      if (props) {
        const inner = structName ?? struct;
        for (const k in obj) {
          if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
          const ps = props[k];
          if (!ps) w.unknownFields.push(pathOf({ parent: loc, seg: k, field: true }));
          else walk(w, obj[k], ps, { parent: loc, seg: k, field: true }, inner);
        }
      } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        for (const k in obj) {
          if (Object.prototype.hasOwnProperty.call(obj, k)) walk(w, obj[k], s.additionalProperties, { parent: loc, seg: k, field: false }, struct);
        }
      }
      return;
    }
  }
}

const roots = new Map<string, Schema>();
function rootSchema(def: string): Schema {
  let r = roots.get(def);
  if (!r) roots.set(def, (r = { $ref: REF_PREFIX + def }));
  return r;
}

/** Checks an object of (apiVersion, kind); unknown kinds pass unchecked. */
export function checkObject(apiVersion: string, kind: string, obj: unknown): CheckResult {
  const w: Walk = { unknownFields: [], typeErrors: [] };
  const def = kindDefinition(apiVersion, kind);
  if (!def) return w;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    w.typeErrors.push({
      type: 'FieldValueTypeInvalid',
      field: '',
      message: `json: cannot unmarshal ${jsonKind(obj)} into Go value of type ${goTypeName({ $ref: REF_PREFIX + def })}`,
    });
    return w;
  }
  walk(w, obj, rootSchema(def), undefined, kind);
  return w;
}

/** `strict decoding error: unknown field "spec.containres", unknown field "..."` */
export function strictDecodingMessage(unknownFields: string[]): string {
  return `strict decoding error: ${unknownFields.map((f) => `unknown field "${f}"`).join(', ')}`;
}

/** The BadRequest message for a body of the wrong JSON types, e.g. `Pod in version "v1" cannot be handled as a Pod: json: ...`. */
export function typeErrorMessage(kind: string, version: string, typeError: FieldCause): string {
  return `${kind} in version "${version}" cannot be handled as a ${kind}: ${typeError.message}`;
}
