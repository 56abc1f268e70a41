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

function typeError(w: Walk, path: string, value: unknown, schema: Schema, goPath: string[], struct: string): void {
  const kind = typeof value === 'number' && !Number.isInteger(value) && schema.type === 'integer' ? `number ${value}` : jsonKind(value);
  const target = goPath.length ? `Go struct field ${struct}.${goPath.join('.')}` : 'Go value';
  w.typeErrors.push({
    type: 'FieldValueTypeInvalid',
    field: path,
    message: `json: cannot unmarshal ${kind} into ${target} of type ${goTypeName(schema)}`,
  });
}

const join = (path: string, field: string): string => (path ? `${path}.${field}` : field);

function walk(w: Walk, value: unknown, schema: Schema | undefined, path: string, goPath: string[], struct: string): void {
  if (value === null || value === undefined || !schema) return;
  const { name, schema: s } = resolve(schema);
  if (!s) return;
  if (name === INT_OR_STRING) {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) return;
    return typeError(w, path, value, schema, goPath, struct);
  }
  if (name === QUANTITY) {
    if (!isQuantity(value)) w.typeErrors.push({ type: 'FieldValueTypeInvalid', field: path, message: QUANTITY_REGEX_MESSAGE });
    return;
  }
  if (name === TIME || name === MICRO_TIME) {
    if (typeof value !== 'string') typeError(w, path, value, schema, goPath, struct);
    return;
  }
  if (s['x-kubernetes-preserve-unknown-fields']) return;
  switch (s.type) {
    case 'string':
      if (typeof value !== 'string') typeError(w, path, value, schema, goPath, struct);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) typeError(w, path, value, schema, goPath, struct);
      return;
    case 'number':
      if (typeof value !== 'number') typeError(w, path, value, schema, goPath, struct);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(w, path, value, schema, goPath, struct);
      return;
    case 'array':
      if (!Array.isArray(value)) return typeError(w, path, value, schema, goPath, struct);
      value.forEach((item, i) => walk(w, item, s.items, `${path}[${i}]`, goPath, struct));
      return;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return typeError(w, path, value, schema, goPath, struct);
      const obj = value as Record<string, unknown>;
      if (s.properties) {
        const structName = name ? name.slice(name.lastIndexOf('.') + 1) : struct;
        for (const [k, v] of Object.entries(obj)) {
          const ps = s.properties[k];
          if (!ps) w.unknownFields.push(join(path, k));
          else walk(w, v, ps, join(path, k), [...goPath, k], structName);
        }
      } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        for (const [k, v] of Object.entries(obj)) walk(w, v, s.additionalProperties, join(path, k), goPath, struct);
      }
      return;
    }
  }
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
  walk(w, obj, { $ref: REF_PREFIX + def }, '', [], kind);
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
