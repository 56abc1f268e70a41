// The served resources, indexed for routing, and how their objects map onto store keys and bytes.
// Keys follow Kubernetes' etcd layout with the group spelled out:
//   /registry/<group or "core">/<resource>/<namespace>/<name>   (cluster-scoped: no namespace part)
// Several versions of one group/resource (autoscaling v1 and v2) share one prefix; objects are
// stored in the definition's storageVersion and converted on the way in and out.
import type { KeyValue } from '../storage/store.js';
import type { KubeObject, ObjectMeta } from '../api/types.js';

/** ObjectMeta as the server writes it (kubernetes-types declares system fields read-only). */
export type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

/** The object's metadata for writing, created when absent. */
export function metaOf(obj: KubeObject): MutableMeta {
  return (obj.metadata ??= {}) as MutableMeta;
}
import type { ResourceDefinition } from './registry/types.js';

export interface ServedResource {
  def: ResourceDefinition;
  /** e.g. 'apps/v1' */
  apiVersion: string;
  /** '/registry/apps/deployments/' */
  prefix: string;
  /** True when objects are converted between this version and the storage version. */
  converts: boolean;
}

export function apiVersionFor(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export class ResourceIndex {
  readonly all: ServedResource[];
  private byPath = new Map<string, ServedResource>();

  constructor(defs: ResourceDefinition[]) {
    this.all = defs.map((def) => {
      const storageVersion = def.storageVersion ?? def.version;
      const storageGroup = def.storageGroup ?? def.group;
      return {
        def,
        apiVersion: apiVersionFor(def.group, def.version),
        prefix: `/registry/${storageGroup || 'core'}/${def.resource}/`,
        converts: (storageVersion !== def.version || storageGroup !== def.group) && !!def.toStorage && !!def.fromStorage,
      };
    });
    for (const r of this.all) this.byPath.set(`${r.def.group}/${r.def.version}/${r.def.resource}`, r);
  }

  lookup(group: string, version: string, resource: string): ServedResource | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  /** Group names in discovery order; versions of each group in preference order. */
  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const r of this.all) {
      const list = out.get(r.def.group) ?? [];
      if (!list.includes(r.def.version)) list.push(r.def.version);
      out.set(r.def.group, list);
    }
    return [...out].map(([group, versions]) => ({ group, versions: versions.sort(compareVersions) }));
  }

  inGroupVersion(group: string, version: string): ServedResource[] {
    return this.all.filter((r) => r.def.group === group && r.def.version === version);
  }
}

/** Kubernetes' version priority: GA > beta > alpha, higher numbers first (v2 before v1). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const level = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
    return [level, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [la, ma, na] = parse(a);
  const [lb, mb, nb] = parse(b);
  return lb - la || mb - ma || nb - na;
}

export function objectKey(r: ServedResource, namespace: string | undefined, name: string): string {
  return r.def.namespaced ? `${r.prefix}${namespace}/${name}` : `${r.prefix}${name}`;
}

/** Prefix for listing/watching: all namespaces, or one. */
export function listPrefix(r: ServedResource, namespace: string | undefined): string {
  return r.def.namespaced && namespace ? `${r.prefix}${namespace}/` : r.prefix;
}

/**
 * The stored JSON text: the object in its storage version, without resourceVersion (that is the
 * key's modRevision), with apiVersion, kind and metadata leading so that servedJson can find
 * where metadata starts without parsing.
 */
export function encodeObjectText(r: ServedResource, obj: KubeObject): string {
  const stored = r.converts ? r.def.toStorage!(obj) : obj;
  const { apiVersion, kind, metadata, ...rest } = stored;
  let meta = metadata;
  if (meta && meta.resourceVersion !== undefined) {
    const { resourceVersion: _rv, ...others } = meta;
    meta = others;
  }
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/** Bytes to store (see encodeObjectText). */
export function encodeObject(r: ServedResource, obj: KubeObject): Uint8Array {
  return Buffer.from(encodeObjectText(r, obj), 'utf8');
}

/** What encodeObjectText writes first; type names hold no quote or backslash. */
const LEADING_FIELDS = /^\{"apiVersion":"[^"\\]*","kind":"[^"\\]*","metadata":\{/;

/**
 * The served JSON of a stored object with metadata.resourceVersion set, spliced into the stored
 * text instead of parsing and re-serialising it (the same object; resourceVersion comes first in
 * metadata). Undefined when the text is not laid out as encodeObjectText writes it, or the
 * resource is converted on the way out: then decode it.
 */
export function servedJson(r: ServedResource, text: string, resourceVersion: number): string | undefined {
  if (r.converts) return undefined;
  const m = LEADING_FIELDS.exec(text);
  if (!m) return undefined;
  const at = m[0].length;
  const sep = text.charCodeAt(at) === 0x7d /* } */ ? '' : ',';
  return `${text.slice(0, at)}"resourceVersion":"${resourceVersion}"${sep}${text.slice(at)}`;
}

/** servedJson of stored bytes. */
export function servedJsonOf(r: ServedResource, value: Uint8Array, resourceVersion: number): string | undefined {
  if (r.converts) return undefined;
  return servedJson(r, Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'), resourceVersion);
}

/** Parses stored bytes (in storage version) into the served version with resourceVersion set. */
export function decodeValue(r: ServedResource, value: Uint8Array, resourceVersion: number): KubeObject {
  const parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')) as KubeObject;
  metaOf(parsed).resourceVersion = String(resourceVersion);
  return r.converts ? r.def.fromStorage!(parsed) : parsed;
}

export function decodeKv(r: ServedResource, kv: KeyValue): KubeObject {
  return decodeValue(r, kv.value, kv.modRevision);
}
