#!/usr/bin/env node
// Generates src/apiserver/schema/definitions.json: the OpenAPI (v3-style) schemas of every
// type reachable from the kinds kujira serves, with Kubernetes' descriptions.
//
// Sources: the `kubernetes-types` declarations give structure, required fields and the API's
// descriptions; `@kubernetes/client-node`'s model classes give integer formats (int32/int64/
// double) and fields newer than kubernetes-types. Run: node scripts/gen-schemas.mjs
import ts from 'typescript';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const typesDir = dirname(require.resolve('kubernetes-types/package.json'));
const clientModels = join(dirname(require.resolve('@kubernetes/client-node/package.json')), 'dist/gen/models');
const out = join(root, 'src/apiserver/schema/definitions.gen.ts');

/** kubernetes-types module → OpenAPI definition prefix and client-node class prefixes. */
const modules = {
  'core/v1': { prefix: 'io.k8s.api.core.v1', classes: ['CoreV1', 'V1'] },
  'apps/v1': { prefix: 'io.k8s.api.apps.v1', classes: ['AppsV1', 'V1'] },
  'autoscaling/v1': { prefix: 'io.k8s.api.autoscaling.v1', classes: ['AutoscalingV1', 'V1'] },
  'autoscaling/v2': { prefix: 'io.k8s.api.autoscaling.v2', classes: ['AutoscalingV2', 'V2'] },
  'coordination/v1': { prefix: 'io.k8s.api.coordination.v1', classes: ['CoordinationV1', 'V1'] },
  'events/v1': { prefix: 'io.k8s.api.events.v1', classes: ['EventsV1', 'V1'] },
  'policy/v1': { prefix: 'io.k8s.api.policy.v1', classes: ['PolicyV1', 'V1'] },
  'discovery/v1': { prefix: 'io.k8s.api.discovery.v1', classes: ['DiscoveryV1', 'V1'] },
  'meta/v1': { prefix: 'io.k8s.apimachinery.pkg.apis.meta.v1', classes: ['V1'] },
  runtime: { prefix: 'io.k8s.apimachinery.pkg.runtime', classes: [] },
  'api/resource': { prefix: 'io.k8s.apimachinery.pkg.api.resource', classes: [] },
};

const roots = [
  ['core/v1', ['Pod', 'PodList', 'Namespace', 'NamespaceList', 'Node', 'NodeList', 'Event', 'EventList', 'Binding', 'Service', 'ServiceList', 'Endpoints', 'EndpointsList']],
  ['apps/v1', ['ReplicaSet', 'ReplicaSetList', 'Deployment', 'DeploymentList']],
  ['autoscaling/v1', ['HorizontalPodAutoscaler', 'HorizontalPodAutoscalerList', 'Scale']],
  ['autoscaling/v2', ['HorizontalPodAutoscaler', 'HorizontalPodAutoscalerList']],
  ['coordination/v1', ['Lease', 'LeaseList']],
  ['events/v1', ['Event', 'EventList']],
  ['policy/v1', ['Eviction']],
  ['discovery/v1', ['EndpointSlice', 'EndpointSliceList']],
  ['meta/v1', ['Status', 'DeleteOptions', 'WatchEvent', 'APIResourceList']],
];

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

// ---- parse kubernetes-types ------------------------------------------------------------------

/** module → { decls: Map<name, node>, imports: Map<name, module> } */
const parsed = new Map();
function load(mod) {
  if (parsed.has(mod)) return parsed.get(mod);
  const file = join(typesDir, `${mod}.d.ts`);
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const decls = new Map();
  const imports = new Map();
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) decls.set(st.name.text, st);
    if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
      const from = join(dirname(mod), st.moduleSpecifier.text).replace(/^\.\//, '');
      for (const el of st.importClause.namedBindings.elements) imports.set(el.name.text, from);
    }
  }
  const entry = { sf, decls, imports };
  parsed.set(mod, entry);
  return entry;
}

function jsDoc(node) {
  const docs = node.jsDoc ?? [];
  const texts = docs.map((d) => (typeof d.comment === 'string' ? d.comment : ts.getTextOfJSDocComment(d.comment) ?? '')).filter(Boolean);
  return texts.join('\n').trim();
}

function resolveName(mod, name) {
  const { decls, imports } = load(mod);
  if (decls.has(name)) return { mod, name, node: decls.get(name) };
  if (imports.has(name)) return resolveName(imports.get(name), name);
  throw new Error(`cannot resolve ${name} in ${mod}`);
}

// ---- client-node formats --------------------------------------------------------------------------

const classCache = new Map();
async function clientClass(className) {
  if (classCache.has(className)) return classCache.get(className);
  const file = join(clientModels, `${className}.js`);
  let cls = null;
  if (existsSync(file)) {
    const m = await import(pathToFileURL(file).href);
    cls = m[className] ?? null;
  }
  classCache.set(className, cls);
  return cls;
}

/** Descriptions from a client-node model's .d.ts (for types and fields kubernetes-types lacks). */
const clientDocCache = new Map();
function clientDocs(className) {
  if (clientDocCache.has(className)) return clientDocCache.get(className);
  const file = join(clientModels, `${className}.d.ts`);
  const docs = { type: '', fields: new Map() };
  if (existsSync(file)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const st of sf.statements) {
      if (!ts.isClassDeclaration(st)) continue;
      docs.type = jsDoc(st);
      for (const m of st.members) {
        if (ts.isPropertyDeclaration(m)) docs.fields.set(m.name.getText().replace(/^'|'$/g, ''), jsDoc(m));
      }
    }
  }
  clientDocCache.set(className, docs);
  return docs;
}

function withDescription(schema, d) {
  return d ? { ...schema, description: d } : schema;
}

async function findClientClass(mod, name, fieldNames) {
  for (const p of modules[mod]?.classes ?? []) {
    const cls = await clientClass(p + name);
    if (!cls?.attributeTypeMap) continue;
    const names = new Set(cls.attributeTypeMap.map((a) => a.baseName));
    if (fieldNames.length === 0 || fieldNames.some((f) => names.has(f))) return cls;
  }
  return null;
}

// ---- schema construction ------------------------------------------------------------------------

const definitions = {};
const queue = [];

function defName(mod, name) {
  if (mod === 'meta/v1' && (name === 'Time' || name === 'MicroTime')) return `io.k8s.apimachinery.pkg.apis.meta.v1.${name}`;
  return `${modules[mod].prefix}.${name}`;
}

function ref(def) {
  return { $ref: `#/components/schemas/${def}` };
}

function enqueue(mod, name) {
  const d = defName(mod, name);
  if (!(d in definitions) && !queue.some((q) => q.def === d)) queue.push({ mod, name, def: d });
  return d;
}

/** Schema for a TypeNode found in module `mod`; `fmt` is the client-node attribute, if any. */
function typeSchema(mod, node, fmt) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return fmt?.format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
    case ts.SyntaxKind.NumberKeyword:
      if (fmt?.format === 'double') return { type: 'number', format: 'double' };
      return { type: 'integer', format: fmt?.format === 'int64' ? 'int64' : 'int32' };
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case ts.SyntaxKind.LiteralType:
      return { type: 'string' };
    case ts.SyntaxKind.UnionType: {
      const kinds = node.types.map((t) => t.kind).sort();
      if (kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
        definitions[INT_OR_STRING] ??= {
          description: 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
          type: 'string',
          format: 'int-or-string',
        };
        return ref(INT_OR_STRING);
      }
      return typeSchema(mod, node.types[0], fmt);
    }
    case ts.SyntaxKind.ArrayType:
      return { type: 'array', items: wrapRef(typeSchema(mod, node.elementType)) };
    case ts.SyntaxKind.TypeLiteral: {
      const idx = node.members.find((m) => m.kind === ts.SyntaxKind.IndexSignature);
      if (idx) return { type: 'object', additionalProperties: wrapRef(typeSchema(mod, idx.type)) };
      return { type: 'object' };
    }
    case ts.SyntaxKind.TypeReference: {
      const name = node.typeName.getText();
      if ((name === 'Array' || name === 'ReadonlyArray') && node.typeArguments?.length === 1) {
        return { type: 'array', items: wrapRef(typeSchema(mod, node.typeArguments[0])) };
      }
      if (name === 'Record' && node.typeArguments?.length === 2) {
        return { type: 'object', additionalProperties: wrapRef(typeSchema(mod, node.typeArguments[1])) };
      }
      const target = resolveName(mod, name);
      return ref(enqueue(target.mod, target.name));
    }
    default:
      throw new Error(`unhandled type node ${ts.SyntaxKind[node.kind]} in ${mod}`);
  }
}

/** Kubernetes' v3 documents wrap references that carry siblings in allOf, with default {}. */
function wrapRef(s) {
  return s.$ref ? { allOf: [s], default: {} } : s;
}

/** A client-node type string ("Array<V1Container>", "{ [key: string]: string; }") as a schema. */
async function clientTypeSchema(mod, type, format) {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { type: 'array', items: wrapRef(await clientTypeSchema(mod, arr[1], '')) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: wrapRef(await clientTypeSchema(mod, map[1], '')) };
  if (type === 'string') return { type: 'string' };
  if (type === 'boolean') return { type: 'boolean' };
  if (type === 'number') return format === 'double' ? { type: 'number', format: 'double' } : { type: 'integer', format: format || 'int32' };
  if (type === 'Date') return ref('io.k8s.apimachinery.pkg.apis.meta.v1.Time');
  if (type === 'IntOrString') return typeSchema(mod, ts.factory.createUnionTypeNode([ts.factory.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword), ts.factory.createKeywordTypeNode(ts.SyntaxKind.StringKeyword)]));
  if (type === 'any' || type === 'object') return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  // A model class: find it among kubernetes-types by stripping the class prefix.
  for (const [m, info] of Object.entries(modules)) {
    for (const p of info.classes) {
      if (!type.startsWith(p)) continue;
      const name = type.slice(p.length);
      if (load(m).decls.has(name)) return ref(enqueue(m, name));
    }
  }
  // Newer than kubernetes-types: described by client-node alone, in the parent's module.
  const name = type.replace(/^(CoreV1|AppsV1|V1|V2)/, '');
  const def = `${modules[mod].prefix}.${name}`;
  if (!(def in definitions) && !queue.some((q) => q.def === def)) queue.push({ mod, name, def, clientOnly: type });
  return ref(def);
}

function groupVersionKind(node) {
  let apiVersion;
  let kind;
  for (const m of node.members) {
    if (!ts.isPropertySignature(m) || !m.type || m.type.kind !== ts.SyntaxKind.LiteralType) continue;
    const lit = m.type.literal;
    if (!ts.isStringLiteral(lit)) continue;
    if (m.name.getText() === 'apiVersion') apiVersion = lit.text;
    if (m.name.getText() === 'kind') kind = lit.text;
  }
  if (!apiVersion || !kind) return undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return [{ group, kind, version }];
}

async function build({ mod, name, def, clientOnly }) {
  if (clientOnly) {
    const cls = await clientClass(clientOnly);
    const docs = clientDocs(clientOnly);
    const properties = {};
    for (const a of cls?.attributeTypeMap ?? []) {
      properties[a.baseName] = withDescription(wrapRef(await clientTypeSchema(mod, a.type, a.format)), docs.fields.get(a.name));
    }
    definitions[def] = withDescription({ type: 'object', properties }, docs.type);
    return;
  }
  const { node } = resolveName(mod, name);
  const description = jsDoc(node);
  if (ts.isTypeAliasDeclaration(node)) {
    // Quantity, Time, MicroTime: strings with a documented format.
    const format = name === 'Time' ? 'date-time' : name === 'MicroTime' ? 'date-time' : undefined;
    definitions[def] = { description, type: 'string', ...(format ? { format } : {}) };
    return;
  }
  const fieldNames = node.members.filter(ts.isPropertySignature).map((m) => m.name.getText().replace(/^"|"$/g, ''));
  const cls = await findClientClass(mod, name, fieldNames);
  const attrs = new Map((cls?.attributeTypeMap ?? []).map((a) => [a.baseName, a]));
  const properties = {};
  const required = [];
  for (const m of node.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    const field = m.name.getText().replace(/^"|"$/g, '');
    const s = wrapRef(typeSchema(mod, m.type, attrs.get(field)));
    const d = jsDoc(m);
    properties[field] = d ? { ...s, description: d } : s;
    if (!m.questionToken) required.push(field);
  }
  const docs = cls ? clientDocs(cls.name) : undefined;
  for (const [field, a] of attrs) {
    if (field in properties) continue;
    properties[field] = withDescription(wrapRef(await clientTypeSchema(mod, a.type, a.format)), docs?.fields.get(a.name));
  }
  const schema = { description, type: 'object', properties };
  if (Object.keys(properties).length === 0) {
    // RawExtension, FieldsV1: arbitrary JSON.
    schema['x-kubernetes-preserve-unknown-fields'] = true;
    delete schema.properties;
  }
  if (required.length) schema.required = required;
  const gvk = groupVersionKind(node);
  if (gvk) schema['x-kubernetes-group-version-kind'] = gvk;
  definitions[def] = schema;
}

for (const [mod, names] of roots) for (const n of names) enqueue(mod, n);
while (queue.length) await build(queue.shift());

const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
const header = '// Generated by scripts/gen-schemas.mjs from kubernetes-types and @kubernetes/client-node. Do not edit.\n' +
  '// The JSON text is parsed lazily on first use, so server start does not pay for it.\n';
writeFileSync(out, `${header}export const definitionsJSON = ${JSON.stringify(JSON.stringify(sorted))};\n`);
console.log(`wrote ${Object.keys(sorted).length} definitions to ${out}`);
