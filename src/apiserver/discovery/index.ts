// Discovery documents: /version, /api, /apis, per group-version resource lists, and the
// aggregated discovery (apidiscovery.k8s.io v2 / v2beta1) kubectl asks for first.
import { createHash } from 'node:crypto';
import type { ResourceIndex, ServedResource } from '../resources.js';
import { apiVersionFor } from '../resources.js';

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-kujira' };

export function versionInfo(): object {
  return {
    major: KUBERNETES_VERSION.major,
    minor: KUBERNETES_VERSION.minor,
    gitVersion: KUBERNETES_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

/** Requests asking for aggregated discovery name this in Accept. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    if (!part.includes('as=APIGroupDiscoveryList') || !part.includes('g=apidiscovery.k8s.io')) continue;
    if (/v=v2beta1/.test(part)) return 'v2beta1';
    if (/v=v2(?![a-z0-9])/.test(part)) return 'v2';
  }
  return undefined;
}

function storageVersionHash(r: ServedResource): string {
  return createHash('sha256').update(`${r.def.group}/${r.def.storageVersion ?? r.def.version}/${r.def.kind}`).digest('base64').slice(0, 11);
}

export class Discovery {
  constructor(
    private readonly index: ResourceIndex,
    /** Groups served beside the registry's (metrics.k8s.io). */
    private readonly extra: Array<{ groupDiscovery: object; aggregatedDiscoveryEntry: object }> = [],
  ) {}

  apiVersions(serverAddress: string): object {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  apiGroupList(): object {
    const groups = this.index
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => ({
        name: g.group,
        versions: g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${g.group}/${g.versions[0]}`, version: g.versions[0] },
      }));
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups, ...this.extra.map((e) => e.groupDiscovery)] };
  }

  /** APIResourceList for one group-version, or undefined if not served. */
  resourceList(group: string, version: string): object | undefined {
    const resources = this.index.inGroupVersion(group, version);
    if (resources.length === 0) return undefined;
    const out: object[] = [];
    for (const r of resources) {
      const d = r.def;
      const main: Record<string, unknown> = {
        name: d.resource,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: d.verbs,
      };
      if (d.shortNames.length) main.shortNames = d.shortNames;
      if (d.categories.length) main.categories = d.categories;
      main.storageVersionHash = storageVersionHash(r);
      out.push(main);
      if (d.subresources.status) out.push({ name: `${d.resource}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] });
      if (d.subresources.scale) {
        out.push({ name: `${d.resource}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      }
      if (d.subresources.binding) out.push({ name: `${d.resource}/binding`, singularName: '', namespaced: d.namespaced, kind: 'Binding', verbs: ['create'] });
      if (d.subresources.eviction) out.push({ name: `${d.resource}/eviction`, singularName: '', namespaced: d.namespaced, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
      if (d.group === '' && d.resource === 'pods') out.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
      for (const c of d.subresources.connect ?? []) {
        out.push({ name: `${d.resource}/${c.name}`, singularName: '', namespaced: d.namespaced, kind: c.optionsKind, verbs: ['create', 'get'] });
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionFor(group, version), resources: out };
  }

  /** Aggregated discovery for the core group (`/api`) or the named groups (`/apis`). */
  aggregated(core: boolean, version: 'v2' | 'v2beta1'): object {
    const items = this.index
      .groups()
      .filter((g) => (g.group === '') === core)
      .map((g) => ({
        metadata: { name: g.group, creationTimestamp: null },
        versions: g.versions.map((v) => ({
          version: v,
          resources: this.index.inGroupVersion(g.group, v).map((r) => this.aggregatedResource(r)),
          freshness: 'Current',
        })),
      }));
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items: core ? items : [...items, ...this.extra.map((e) => e.aggregatedDiscoveryEntry)],
    };
  }

  private aggregatedResource(r: ServedResource): object {
    const d = r.def;
    const subresources: object[] = [];
    const own = { group: d.group, version: d.version, kind: d.kind };
    if (d.subresources.status) subresources.push({ subresource: 'status', responseKind: own, verbs: ['get', 'patch', 'update'] });
    if (d.subresources.scale) subresources.push({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    if (d.subresources.binding) subresources.push({ subresource: 'binding', responseKind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] });
    if (d.subresources.eviction) subresources.push({ subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
    if (d.group === '' && d.resource === 'pods') subresources.push({ subresource: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] });
    for (const c of d.subresources.connect ?? []) {
      subresources.push({ subresource: c.name, responseKind: { group: d.group, version: d.version, kind: c.optionsKind }, verbs: ['create', 'get'] });
    }
    const out: Record<string, unknown> = {
      resource: d.resource,
      responseKind: own,
      scope: d.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: d.singular,
      verbs: d.verbs,
    };
    if (d.shortNames.length) out.shortNames = d.shortNames;
    if (d.categories.length) out.categories = d.categories;
    if (subresources.length) out.subresources = subresources;
    return out;
  }
}
