// What the composition root wires: the metrics API can be mounted before the API
// server listens, and the scraper starts once there is a client to list Nodes with.
//
//   const metrics = createMetricsPipeline({ metricResolutionMs });
//   new ApiServer({ …, extraApis: [metrics.api] });        // routing + discovery
//   … after listen: metrics.start(new KubeClient({ server, ca, token }));
import type { ApiRequester } from '../requester.js';
import { createMetricsApi, type MetricsApi } from './api.js';
import { MetricsScraper, type MetricsScraperOptions } from './scraper.js';
import type { MetricsProvider, NodeUsage, PodUsage } from './types.js';

export interface MetricsPipeline {
  api: MetricsApi;
  /** What the in-process HPA controller may read directly. */
  provider: MetricsProvider;
  start(client: ApiRequester): MetricsScraper;
  stop(): Promise<void>;
}

export function createMetricsPipeline(options: MetricsScraperOptions & { now?: () => number } = {}): MetricsPipeline {
  let scraper: MetricsScraper | undefined;
  const provider: MetricsProvider = {
    podUsage: (namespace?: string): PodUsage[] => scraper?.podUsage(namespace) ?? [],
    nodeUsage: (): NodeUsage[] => scraper?.nodeUsage() ?? [],
  };
  return {
    api: createMetricsApi(provider, { now: options.now }),
    provider,
    start(client) {
      scraper ??= new MetricsScraper(client, options, options.now).start();
      return scraper;
    },
    async stop() {
      await scraper?.stop();
    },
  };
}
