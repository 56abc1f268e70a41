// The type definitions (OpenAPI v3 schemas) of every served kind, parsed on first use and
// decorated with the patch metadata, plus small helpers to walk them field by field.
import { definitionsJSON } from './definitions.gen.js';
import { patchMeta, type ListPatchMeta } from './patchmeta.js';

export interface Schema {
  description?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  allOf?: Schema[];
  $ref?: string;
  default?: unknown;
  enum?: unknown[];
  oneOf?: Schema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [ext: string]: unknown;
}

export const REF_PREFIX = '#/components/schemas/';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
export const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';
export const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

export interface Definitions {
  schemas: Record<string, Schema>;
  /** "group/version/Kind" → definition name. */
  byGVK: Map<string, string>;
}

let loaded: Definitions | undefined;

function decorate(schemas: Record<string, Schema>): void {
  for (const [def, fields] of Object.entries(patchMeta)) {
    const props = schemas[def]?.properties;
    if (!props) continue;
    for (const [field, m] of Object.entries(fields) as [string, ListPatchMeta][]) {
      const p = props[field];
      if (!p) continue;
      if (m.strategy) p['x-kubernetes-patch-strategy'] = m.strategy;
      if (m.mergeKey) p['x-kubernetes-patch-merge-key'] = m.mergeKey;
      if (m.listType) p['x-kubernetes-list-type'] = m.listType;
      if (m.listMapKeys) p['x-kubernetes-list-map-keys'] = m.listMapKeys;
    }
  }
  // In v3 documents Kubernetes describes these two as oneOf (no `type`), so kubectl explain
  // prints them by name: <IntOrString>, <Quantity>. The v2 document uses plain strings.
  const ios = schemas[INT_OR_STRING];
  if (ios) schemas[INT_OR_STRING] = { description: ios.description, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] };
  const qty = schemas[QUANTITY];
  if (qty) schemas[QUANTITY] = { description: qty.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
  schemas[PATCH] = {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  };
}

/** The definitions, parsed once (lazily: nothing is parsed at import time). */
export function definitions(): Definitions {
  if (loaded) return loaded;
  const schemas = JSON.parse(definitionsJSON) as Record<string, Schema>;
  decorate(schemas);
  const byGVK = new Map<string, string>();
  for (const [name, s] of Object.entries(schemas)) {
    for (const g of s['x-kubernetes-group-version-kind'] ?? []) byGVK.set(`${g.group}/${g.version}/${g.kind}`, name);
  }
  loaded = { schemas, byGVK };
  return loaded;
}

export function splitAPIVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Definition name of a kind, e.g. ("apps/v1", "Deployment") → io.k8s.api.apps.v1.Deployment. */
export function kindDefinition(apiVersion: string, kind: string): string | undefined {
  const { group, version } = splitAPIVersion(apiVersion);
  return definitions().byGVK.get(`${group}/${version}/${kind}`);
}

/** The definition a schema refers to ($ref or allOf[$ref]); undefined for inline schemas. */
export function refName(s: Schema | undefined): string | undefined {
  const r = s?.$ref ?? s?.allOf?.[0]?.$ref;
  return r?.startsWith(REF_PREFIX) ? r.slice(REF_PREFIX.length) : undefined;
}

/** Follows a reference to its definition; inline schemas are returned as they are. */
export function resolve(s: Schema | undefined): { name: string | undefined; schema: Schema | undefined } {
  const name = refName(s);
  if (name === undefined) return { name: undefined, schema: s };
  return { name, schema: definitions().schemas[name] };
}

/** Go's type name for a schema, as encoding/json errors print it ("[]v1.Container", "int32"). */
export function goTypeName(s: Schema | undefined): string {
  const name = refName(s);
  if (name) {
    const parts = name.split('.');
    const typeName = parts[parts.length - 1]!;
    const pkg = parts[parts.length - 2]!;
    return `${pkg}.${typeName}`;
  }
  if (!s) return 'interface {}';
  switch (s.type) {
    case 'string':
      return s.format === 'byte' ? '[]uint8' : 'string';
    case 'integer':
      return s.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'array':
      return `[]${goTypeName(s.items)}`;
    case 'object':
      if (s.additionalProperties && typeof s.additionalProperties === 'object') return `map[string]${goTypeName(s.additionalProperties)}`;
      return 'map[string]interface {}';
    default:
      return 'interface {}';
  }
}
