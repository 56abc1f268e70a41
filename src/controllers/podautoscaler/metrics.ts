// Where the autoscaler reads pod usage: the resource metrics API (through the API
// server, so the controller can run in any process) or, in-process, straight from a
// MetricsProvider. Either way the answer is per-pod milli-units of one resource.
import { milliValueOf } from '../../api/quantity.js';
import { errorMessage, type ApiRequester } from '../../autoscaling/requester.js';
import { matches, parseSelector } from '../../api/labels.js';
import { toPodMetrics, type MetricsProvider, type PodMetrics } from '../../autoscaling/metrics/types.js';
import { ReplicaCalculationError, type PodMetricsInfo, type ResourceName } from './replicas.js';

export interface ResourceMetricsClient {
  /** Usage of `resource` for the pods matching `selector`; container '' = whole pod. */
  getResourceMetric(resource: ResourceName, namespace: string, selector: string, container: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }>;
}

function goDurationMs(d: string): number {
  let ms = 0;
  for (const [, n, unit] of d.matchAll(/([\d.]+)(ms|h|m|s)/g)) {
    const v = Number(n);
    ms += unit === 'h' ? v * 3_600_000 : unit === 'm' ? v * 60_000 : unit === 's' ? v * 1000 : v;
  }
  return ms;
}

/** Sums each pod's containers' usage; a pod with a container lacking the figure is left out, as Kubernetes does. */
export function podMetricsInfo(items: PodMetrics[], resource: ResourceName, container: string): { metrics: PodMetricsInfo; timestamp: number } {
  if (items.length === 0) throw new ReplicaCalculationError('no metrics returned from resource metrics API');
  const metrics: PodMetricsInfo = new Map();
  for (const item of items) {
    let sum = 0;
    let missing = false;
    let found = false;
    for (const c of item.containers ?? []) {
      if (container !== '' && c.name !== container) continue;
      found = true;
      const v = milliValueOf(c.usage?.[resource]);
      if (v === undefined) {
        missing = true;
        break;
      }
      sum += v;
    }
    if (missing || (container !== '' && !found)) continue;
    metrics.set(item.metadata.name, { timestamp: Date.parse(item.timestamp), windowMs: goDurationMs(item.window), value: sum });
  }
  return { metrics, timestamp: Date.parse(items[0]!.timestamp) };
}

/** Reads `/apis/metrics.k8s.io/v1beta1/namespaces/<ns>/pods?labelSelector=` through the API server. */
export function metricsApiClient(client: ApiRequester): ResourceMetricsClient {
  return {
    async getResourceMetric(resource, namespace, selector, container) {
      let list: { items?: PodMetrics[] };
      try {
        list = await client.request<{ items?: PodMetrics[] }>({
          method: 'GET',
          path: `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`,
          query: { labelSelector: selector },
        });
      } catch (err) {
        throw new ReplicaCalculationError(`unable to fetch metrics from resource metrics API: ${errorMessage(err)}`, { cause: err });
      }
      return podMetricsInfo(list.items ?? [], resource, container);
    },
  };
}

/** Reads a MetricsProvider in the same process. */
export function providerMetricsClient(provider: MetricsProvider, now: () => number = Date.now): ResourceMetricsClient {
  return {
    async getResourceMetric(resource, namespace, selector, container) {
      const sel = parseSelector(selector);
      const at = new Date(now());
      const items = provider
        .podUsage(namespace)
        .filter((p) => matches(sel, p.labels))
        .map((p) => toPodMetrics(p, at));
      return podMetricsInfo(items, resource, container);
    },
  };
}
