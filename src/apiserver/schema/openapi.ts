// OpenAPI documents for the served group-versions: v3 per group-version (what kubectl
// explain/apply read, with the `fieldValidation` parameter on every write so kubectl leaves
// unknown-field checks to us) and one swagger 2.0 document.
import { createHash } from 'node:crypto';
import type { ResourceDefinition } from '../registry/types.js';
import { definitions, INT_OR_STRING, kindDefinition, PATCH, QUANTITY, REF_PREFIX, type Schema } from './definitions.js';
import { definitionsJSON } from './definitions.gen.js';

type Json = Record<string, unknown>;

const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
const WATCH_EVENT = 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent';
const API_RESOURCE_LIST = 'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList';
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
const BINDING = 'io.k8s.api.core.v1.Binding';
const EVICTION = 'io.k8s.api.policy.v1.Eviction';

export function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

const ref = (def: string): Json => ({ $ref: REF_PREFIX + def });

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function groupWord(group: string): string {
  if (group === '') return 'Core';
  return group
    .split('.')[0]!
    .split('-')
    .map(pascal)
    .join('');
}

// ---- parameters ------------------------------------------------------------------------------

function q(name: string, description: string, type: 'string' | 'integer' | 'boolean' = 'string'): Json {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const params = {
  name: (kind: string): Json => ({ name: 'name', in: 'path', description: `name of the ${kind}`, required: true, schema: { type: 'string', uniqueItems: true } }),
  namespace: { name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', required: true, schema: { type: 'string', uniqueItems: true } },
  pretty: q('pretty', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldValidation: q(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  ),
  force: q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.', 'boolean'),
  list: [
    q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
    q('continue', 'The continue option should be set when retrieving more results from the server.'),
    q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
    q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
    q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
    q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
    q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
    q('sendInitialEvents', 'sendInitialEvents=true may be set together with watch=true.', 'boolean'),
    q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
    q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  ],
  delete: [
    q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
    q('orphanDependents', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.', 'boolean'),
    q('propagationPolicy', "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
  ],
};

function content(schema: Json, types = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']): Json {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function responses(codes: Record<string, string>, def: string): Json {
  const out: Json = {};
  for (const [code, description] of Object.entries(codes)) out[code] = { description, content: content(ref(def)) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

interface OpTarget {
  group: string;
  version: string;
  kind: string;
  def: string;
}

function op(action: string, operationId: string, description: string, target: OpTarget, extra: Json): Json {
  return {
    tags: [`${groupWord(target.group).toLowerCase()}_${target.version}`],
    description,
    operationId,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: target.group, version: target.version, kind: target.kind },
  };
}

const writeParams = [params.dryRun, params.fieldManager, params.fieldValidation];

function itemOps(idBase: string, t: OpTarget, opts: { get: boolean; put: boolean; patch: boolean; del: boolean; what: string }): Json {
  const item: Json = {};
  if (opts.get) item.get = op('get', `read${idBase}`, `read the specified ${opts.what}`, t, { responses: responses({ '200': 'OK' }, t.def) });
  if (opts.put) {
    item.put = op('put', `replace${idBase}`, `replace the specified ${opts.what}`, t, {
      parameters: writeParams,
      requestBody: { content: content(ref(t.def), ['*/*']), required: true },
      responses: responses({ '200': 'OK', '201': 'Created' }, t.def),
    });
  }
  if (opts.patch) {
    item.patch = op('patch', `patch${idBase}`, `partially update the specified ${opts.what}`, t, {
      parameters: [...writeParams, params.force],
      requestBody: {
        content: content(ref(PATCH), [
          'application/apply-patch+yaml',
          'application/json-patch+json',
          'application/merge-patch+json',
          'application/strategic-merge-patch+json',
        ]),
        required: true,
      },
      responses: responses({ '200': 'OK', '201': 'Created' }, t.def),
    });
  }
  if (opts.del) {
    item.delete = op('delete', `delete${idBase}`, `delete ${opts.what}`, t, {
      parameters: [params.dryRun, ...params.delete],
      requestBody: { content: content(ref(DELETE_OPTIONS), ['*/*']) },
      responses: responses({ '200': 'OK', '202': 'Accepted' }, t.def),
    });
  }
  return item;
}

/** The `paths` of one resource (collection, item, subresources, all-namespaces list). */
function resourcePaths(r: ResourceDefinition): Record<string, Json> {
  const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  const def = kindDefinition(apiVersion, r.kind);
  const listDef = kindDefinition(apiVersion, r.listKind);
  if (!def || !listDef) return {};
  const base = `/${gvPath(r.group, r.version)}`;
  const gw = `${groupWord(r.group)}${pascal(r.version)}`;
  const ns = r.namespaced ? 'Namespaced' : '';
  const coll = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
  const pathParams = (withName: boolean): Json[] => [...(withName ? [params.name(r.kind)] : []), ...(r.namespaced ? [params.namespace] : []), params.pretty];
  const t: OpTarget = { group: r.group, version: r.version, kind: r.kind, def };
  const listT: OpTarget = { ...t, def: listDef };
  const out: Record<string, Json> = {};
  const verbs = new Set(r.verbs);

  const collection: Json = { parameters: pathParams(false) };
  if (verbs.has('list')) {
    collection.get = op('list', `list${gw}${ns}${r.kind}`, `list or watch objects of kind ${r.kind}`, listT, {
      parameters: params.list,
      responses: responses({ '200': 'OK' }, listDef),
    });
  }
  if (verbs.has('create')) {
    collection.post = op('post', `create${gw}${ns}${r.kind}`, `create ${r.singular === 'pod' ? 'a Pod' : `a ${r.kind}`}`, t, {
      parameters: writeParams,
      requestBody: { content: content(ref(def), ['*/*']), required: true },
      responses: responses({ '200': 'OK', '201': 'Created', '202': 'Accepted' }, def),
    });
  }
  if (verbs.has('deletecollection')) {
    collection.delete = op('deletecollection', `deletecollection${gw}${ns}${r.kind}`, `delete collection of ${r.kind}`, t, {
      parameters: [...params.list.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), params.dryRun, ...params.delete],
      requestBody: { content: content(ref(DELETE_OPTIONS), ['*/*']) },
      responses: responses({ '200': 'OK' }, STATUS),
    });
  }
  out[coll] = collection;
  out[`${coll}/{name}`] = {
    parameters: pathParams(true),
    ...itemOps(`${gw}${ns}${r.kind}`, t, {
      get: verbs.has('get'),
      put: verbs.has('update'),
      patch: verbs.has('patch'),
      del: verbs.has('delete'),
      what: r.kind,
    }),
  };
  if (r.subresources.status) {
    out[`${coll}/{name}/status`] = {
      parameters: pathParams(true),
      ...itemOps(`${gw}${ns}${r.kind}Status`, t, { get: true, put: true, patch: true, del: false, what: `status of the specified ${r.kind}` }),
    };
  }
  if (r.subresources.scale) {
    const st: OpTarget = { group: 'autoscaling', version: 'v1', kind: 'Scale', def: SCALE };
    out[`${coll}/{name}/scale`] = {
      parameters: pathParams(true),
      ...itemOps(`${gw}${ns}${r.kind}Scale`, st, { get: true, put: true, patch: true, del: false, what: `scale of the specified ${r.kind}` }),
    };
  }
  if (r.subresources.binding) {
    const bt: OpTarget = { group: '', version: 'v1', kind: 'Binding', def: BINDING };
    out[`${coll}/{name}/binding`] = {
      parameters: pathParams(true),
      post: op('post', `create${gw}${ns}${r.kind}Binding`, `create binding of a ${r.kind}`, bt, {
        parameters: writeParams,
        requestBody: { content: content(ref(BINDING), ['*/*']), required: true },
        responses: responses({ '200': 'OK', '201': 'Created', '202': 'Accepted' }, BINDING),
      }),
    };
  }
  if (r.subresources.eviction) {
    const et: OpTarget = { group: 'policy', version: 'v1', kind: 'Eviction', def: EVICTION };
    out[`${coll}/{name}/eviction`] = {
      parameters: pathParams(true),
      post: op('post', `create${gw}${ns}${r.kind}Eviction`, `create eviction of a ${r.kind}`, et, {
        parameters: writeParams,
        requestBody: { content: content(ref(EVICTION), ['*/*']), required: true },
        responses: responses({ '200': 'OK', '201': 'Created', '202': 'Accepted' }, EVICTION),
      }),
    };
  }
  if (r.namespaced && verbs.has('list')) {
    out[`${base}/${r.resource}`] = {
      parameters: [params.pretty, ...params.list],
      get: op('list', `list${gw}${r.kind}ForAllNamespaces`, `list or watch objects of kind ${r.kind}`, listT, {
        responses: responses({ '200': 'OK' }, listDef),
      }),
    };
  }
  return out;
}

/** Every definition a set of schemas refers to, transitively. */
function closure(start: string[]): string[] {
  const { schemas } = definitions();
  const seen = new Set<string>();
  const stack = [...start];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith(REF_PREFIX)) stack.push(x.slice(REF_PREFIX.length));
        else visit(x);
      }
    }
  };
  while (stack.length) {
    const d = stack.pop()!;
    if (seen.has(d) || !schemas[d]) continue;
    seen.add(d);
    visit(schemas[d]);
  }
  return [...seen].sort();
}

function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refsIn(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith(REF_PREFIX)) out.push(x.slice(REF_PREFIX.length));
      else refsIn(x, out);
    }
  }
  return out;
}

export const KUBERNETES_VERSION = 'v1.32.0';

export function buildV3(resources: ResourceDefinition[], group: string, version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of resources) if (r.group === group && r.version === version) Object.assign(paths, resourcePaths(r));
  paths[`/${gvPath(group, version)}/`] = {
    get: {
      tags: [`${groupWord(group).toLowerCase()}_${version}`],
      description: 'get available resources',
      operationId: `get${groupWord(group)}${pascal(version)}APIResources`,
      responses: responses({ '200': 'OK' }, API_RESOURCE_LIST),
    },
  };
  const { schemas } = definitions();
  const names = closure([...refsIn(paths), STATUS, DELETE_OPTIONS, WATCH_EVENT]);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION },
    paths,
    components: {
      schemas: Object.fromEntries(names.map((n) => [n, schemas[n] as Schema])),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

// ---- swagger 2.0 -------------------------------------------------------------------------------

/** v3 schema → v2 schema: `allOf: [$ref]` wrappers become plain `$ref`s into #/definitions. */
function toV2Schema(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toV2Schema);
  if (!v || typeof v !== 'object') return v;
  const o = v as Json;
  const allOf = o.allOf as Json[] | undefined;
  if (allOf?.length === 1 && typeof allOf[0]!.$ref === 'string') {
    const { allOf: _a, default: _d, ...rest } = o;
    return { ...toV2Schema(rest) as Json, $ref: (allOf[0]!.$ref as string).replace(REF_PREFIX, '#/definitions/') };
  }
  const out: Json = {};
  for (const [k, x] of Object.entries(o)) out[k] = k === '$ref' && typeof x === 'string' ? x.replace(REF_PREFIX, '#/definitions/') : toV2Schema(x);
  return out;
}

function toV2Operation(o: Json): Json {
  const { requestBody, responses: resp, parameters, ...rest } = o as { requestBody?: Json; responses?: Json; parameters?: Json[] } & Json;
  const ps: Json[] = (parameters ?? []).map((p) => {
    const { schema, ...pr } = p as { schema?: Json } & Json;
    return { ...pr, type: schema?.type, uniqueItems: true };
  });
  const consumes: string[] = [];
  if (requestBody) {
    const c = requestBody.content as Record<string, { schema: Json }>;
    consumes.push(...Object.keys(c));
    const first = Object.values(c)[0];
    ps.push({ name: 'body', in: 'body', required: requestBody.required === true, schema: toV2Schema(first?.schema) });
  }
  const outResp: Json = {};
  for (const [code, r] of Object.entries(resp ?? {})) {
    const rr = r as { description: string; content?: Record<string, { schema: Json }> };
    const first = rr.content ? Object.values(rr.content)[0] : undefined;
    outResp[code] = first ? { description: rr.description, schema: toV2Schema(first.schema) } : { description: rr.description };
  }
  return {
    ...rest,
    ...(consumes.length ? { consumes } : {}),
    produces: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
    schemes: ['https'],
    ...(ps.length ? { parameters: ps } : {}),
    responses: outResp,
  };
}

export function buildV2(resources: ResourceDefinition[]): Json {
  const paths: Record<string, Json> = {};
  for (const r of resources) {
    for (const [p, item] of Object.entries(resourcePaths(r))) {
      const out: Json = {};
      for (const [k, v] of Object.entries(item)) {
        if (k === 'parameters') out.parameters = (v as Json[]).map((pp) => ({ ...(pp as Json), type: ((pp as Json).schema as Json)?.type, schema: undefined }));
        else out[k] = toV2Operation(v as Json);
      }
      paths[p] = out;
    }
  }
  const { schemas } = definitions();
  const defs: Json = {};
  for (const [n, s] of Object.entries(schemas)) {
    if (n === INT_OR_STRING) defs[n] = { description: s.description, type: 'string', format: 'int-or-string' };
    else if (n === QUANTITY) defs[n] = { description: s.description, type: 'string' };
    else defs[n] = toV2Schema(s);
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION },
    paths: JSON.parse(JSON.stringify(paths)),
    definitions: defs,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

/** A stable hash of everything a group-version's document is built from (upper-case hex, like Kubernetes). */
export function documentHash(resources: ResourceDefinition[], group: string, version: string): string {
  const h = createHash('sha512');
  h.update(definitionsJSON);
  for (const r of resources) {
    if (r.group !== group || r.version !== version) continue;
    h.update(JSON.stringify([r.resource, r.kind, r.listKind, r.namespaced, r.verbs, Object.keys(r.subresources)]));
  }
  return h.digest('hex').toUpperCase();
}
