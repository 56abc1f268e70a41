// The resource metrics API, `metrics.k8s.io/v1beta1`, served from the pipeline's
// latest figures: get/list of PodMetrics (namespaced, and across namespaces) and
// NodeMetrics, with labelSelector and fieldSelector=metadata.name, as metrics-server
// serves it. `kubectl top` finds it through discovery and lists
// /apis/metrics.k8s.io/v1beta1/namespaces/<ns>/pods?labelSelector=… .
import { compareStrings } from '../../api/compare.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from '../../api/errors.js';
import { FieldSelectorError, fieldsMatch, parseFieldSelector } from '../../api/fields.js';
import { matches, parseSelector, SelectorError } from '../../api/labels.js';
import { formatCpuNanos, formatMemoryBytes } from '../../api/quantity.js';
import {
  METRICS_API_VERSION,
  METRICS_GROUP,
  METRICS_VERSION,
  toNodeMetrics,
  toPodMetrics,
  type MetricsProvider,
  type NodeMetrics,
  type PodMetrics,
  type PodUsage,
} from './types.js';

export interface MetricsApi {
  /** The entry for `GET /apis` (APIGroupList.groups[]). */
  groupDiscovery: object;
  /** `GET /apis/metrics.k8s.io/v1beta1`. */
  resourceList: object;
  /** The entry for aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList.items[]). */
  aggregatedDiscoveryEntry: object;
  /** Serves the request if `path` is under /apis/metrics.k8s.io; false otherwise (nothing written). */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean>;
}

const groupPrefix = `/apis/${METRICS_GROUP}`;
const versionPrefix = `${groupPrefix}/${METRICS_VERSION}`;

const resources = [
  { name: 'nodes', kind: 'NodeMetrics', namespaced: false },
  { name: 'pods', kind: 'PodMetrics', namespaced: true },
] as const;

function buildGroupDiscovery(): object {
  const version = { groupVersion: METRICS_API_VERSION, version: METRICS_VERSION };
  return { name: METRICS_GROUP, versions: [version], preferredVersion: version };
}

function buildResourceList(): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: METRICS_API_VERSION,
    resources: resources.map((r) => ({ name: r.name, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list'] })),
  };
}

function buildAggregatedEntry(): object {
  return {
    metadata: { name: METRICS_GROUP, creationTimestamp: null },
    versions: [
      {
        version: METRICS_VERSION,
        resources: resources.map((r) => ({
          resource: r.name,
          responseKind: { group: METRICS_GROUP, version: METRICS_VERSION, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: '',
          verbs: ['get', 'list'],
        })),
        freshness: 'Current',
      },
    ],
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  send(res, err.code, err.toStatus());
}

/** True when the client asked for a meta.k8s.io Table (kubectl get podmetrics). */
function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

interface Row {
  name: string;
  cpu: string;
  memory: string;
  window: string;
  metadata: object;
}

function podRow(p: PodUsage, m: PodMetrics): Row {
  // A pod's row shows its containers' total.
  const cpu = p.containers.reduce((sum, c) => sum + c.cpuNanoCores, 0);
  const memory = p.containers.reduce((sum, c) => sum + c.memoryBytes, 0);
  return { name: p.name, cpu: formatCpuNanos(cpu), memory: formatMemoryBytes(memory), window: m.window, metadata: m.metadata };
}

function nodeRow(m: NodeMetrics): Row {
  return { name: m.metadata.name, cpu: m.usage.cpu, memory: m.usage.memory, window: m.window, metadata: m.metadata };
}

function table(rows: Row[]): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      { name: 'CPU', type: 'string', format: '', description: 'CPU usage', priority: 0 },
      { name: 'Memory', type: 'string', format: '', description: 'Memory usage', priority: 0 },
      { name: 'Window', type: 'string', format: '', description: 'Time window of the usage figures', priority: 0 },
    ],
    rows: rows.map((r) => ({
      cells: [r.name, r.cpu, r.memory, r.window],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: r.metadata },
    })),
  };
}

export interface MetricsApiOptions {
  now?: () => number;
}

export function createMetricsApi(provider: MetricsProvider, options: MetricsApiOptions = {}): MetricsApi {
  const now = options.now ?? Date.now;
  const groupDiscovery = buildGroupDiscovery();
  const resourceList = buildResourceList();
  const aggregatedDiscoveryEntry = buildAggregatedEntry();

  function selectors(query: URLSearchParams) {
    // The same parsers and 400s as the API server's own list and watch.
    try {
      return { labels: parseSelector(query.get('labelSelector') ?? ''), fields: parseFieldSelector(query.get('fieldSelector') ?? '') };
    } catch (err) {
      if (err instanceof SelectorError) throw errors.badRequest(`unable to parse requirement: ${err.message}`);
      if (err instanceof FieldSelectorError) throw errors.badRequest(err.message);
      throw err;
    }
  }

  interface Listed<T> {
    items: T[];
    rows: Row[];
  }

  function listPods(namespace: string | undefined, query: URLSearchParams): Listed<PodMetrics> {
    const { labels, fields } = selectors(query);
    const at = new Date(now());
    const usage = provider
      .podUsage(namespace)
      .filter((p) => matches(labels, p.labels) && fieldsMatch(fields, (f) => (f === 'metadata.name' ? p.name : f === 'metadata.namespace' ? p.namespace : undefined)))
      .sort((a, b) => compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name));
    const items = usage.map((p) => toPodMetrics(p, at));
    return { items, rows: usage.map((p, i) => podRow(p, items[i]!)) };
  }

  function listNodes(query: URLSearchParams): Listed<NodeMetrics> {
    const { labels, fields } = selectors(query);
    const at = new Date(now());
    const items = provider
      .nodeUsage()
      .filter((n) => matches(labels, n.labels) && fieldsMatch(fields, (f) => (f === 'metadata.name' ? n.name : undefined)))
      .sort((a, b) => compareStrings(a.name, b.name))
      .map((n) => toNodeMetrics(n, at));
    return { items, rows: items.map(nodeRow) };
  }

  function respond(req: IncomingMessage, res: ServerResponse, listKind: string, listed: Listed<PodMetrics | NodeMetrics>): void {
    if (wantsTable(req)) send(res, 200, table(listed.rows));
    else send(res, 200, { kind: listKind, apiVersion: METRICS_API_VERSION, metadata: {}, items: listed.items });
  }

  function respondOne(req: IncomingMessage, res: ServerResponse, listed: Listed<PodMetrics | NodeMetrics>, index: number): void {
    if (wantsTable(req)) send(res, 200, table([listed.rows[index]!]));
    else send(res, 200, listed.items[index]);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    const clean = path.replace(/\/+$/, '') || '/';
    if (clean !== groupPrefix && !clean.startsWith(groupPrefix + '/')) return false;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      }
      if (query.get('watch') === 'true' || query.get('watch') === '1') {
        throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      }
      if (clean === groupPrefix) {
        send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...groupDiscovery });
        return true;
      }
      if (clean === versionPrefix) {
        send(res, 200, resourceList);
        return true;
      }
      const rest = clean.startsWith(versionPrefix + '/') ? clean.slice(versionPrefix.length + 1).split('/').map(decodeURIComponent) : [];
      // nodes | nodes/<name>
      if (rest[0] === 'nodes' && rest.length <= 2) {
        const listed = listNodes(rest.length === 2 ? new URLSearchParams() : query);
        if (rest.length === 1) respond(req, res, 'NodeMetricsList', listed);
        else {
          const index = listed.items.findIndex((n) => n.metadata.name === rest[1]);
          if (index < 0) throw errors.notFound({ group: METRICS_GROUP, resource: 'nodemetrics' }, rest[1]!);
          respondOne(req, res, listed, index);
        }
        return true;
      }
      // pods (all namespaces)
      if (rest[0] === 'pods' && rest.length === 1) {
        respond(req, res, 'PodMetricsList', listPods(undefined, query));
        return true;
      }
      // namespaces/<ns>/pods | namespaces/<ns>/pods/<name>
      if (rest[0] === 'namespaces' && rest[2] === 'pods' && (rest.length === 3 || rest.length === 4)) {
        const namespace = rest[1]!;
        const listed = listPods(namespace, rest.length === 4 ? new URLSearchParams() : query);
        if (rest.length === 3) respond(req, res, 'PodMetricsList', listed);
        else {
          const index = listed.items.findIndex((p) => p.metadata.name === rest[3]);
          if (index < 0) throw errors.notFound({ group: METRICS_GROUP, resource: 'podmetrics' }, `${namespace}/${rest[3]}`);
          respondOne(req, res, listed, index);
        }
        return true;
      }
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    } catch (err) {
      sendError(res, err instanceof ApiError ? err : errors.internal(err instanceof Error ? err.message : String(err), err));
      return true;
    }
  }

  return { groupDiscovery, resourceList, aggregatedDiscoveryEntry, handle };
}
