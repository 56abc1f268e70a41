// The metrics pipeline, playing metrics-server's part (heapster's, in the seed): every
// `--metric-resolution` it lists the Nodes, fetches each node's kubelet Summary over
// HTTPS, and keeps the latest PodMetrics/NodeMetrics in memory. A node that fails
// (unreachable, timeout, bad answer) is skipped with a log line; its figures vanish
// until it answers again, as with metrics-server.
import type { core } from '../../api/types.js';
import { errorMessage, type ApiRequester } from '../requester.js';
import { fetchSummary, type ClientCertificate, type ContainerStats, type Summary } from './summary.js';
import type { ContainerUsage, MetricsProvider, NodeUsage, PodUsage } from './types.js';

export interface MetricsScraperOptions {
  /** `--metric-resolution`: how often to scrape, ms. Default 15 s. */
  metricResolutionMs?: number;
  /** `--kubelet-request-timeout`, ms. Default 10 s (never more than the resolution). */
  kubeletTimeoutMs?: number;
  /** Sent as a bearer token to kubelets, when they ask for one. */
  kubeletBearerToken?: string;
  /** Presented to kubelets that verify callers (the node agent accepts the API server's kubelet-client certificate). */
  kubeletClientCertificate?: ClientCertificate;
  /** How many nodes are fetched at once. */
  concurrency?: number;
  log?(line: string): void;
}

type NodeAddressType = 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
const addressPreference: NodeAddressType[] = ['InternalIP', 'InternalDNS', 'Hostname', 'ExternalIP', 'ExternalDNS'];

/** `https://<InternalIP>:<kubelet port>`, or undefined when the node does not say where its kubelet is. */
export function kubeletBaseUrl(node: core.Node): string | undefined {
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) return undefined;
  const addresses = node.status?.addresses ?? [];
  for (const type of addressPreference) {
    const a = addresses.find((x) => x.type === type && x.address);
    if (a) return `https://${a.address.includes(':') ? `[${a.address}]` : a.address}:${port}`;
  }
  return undefined;
}

function parseTime(t: string | undefined, fallback: number): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? fallback : ms;
}

function containerUsage(c: ContainerStats): ContainerUsage | undefined {
  const cpu = c.cpu?.usageNanoCores;
  const memory = c.memory?.workingSetBytes;
  if (typeof cpu !== 'number' || typeof memory !== 'number') return undefined;
  return { name: c.name, cpuNanoCores: cpu, memoryBytes: memory };
}

export interface DecodedSummary {
  node?: NodeUsage;
  pods: PodUsage[];
  /** Pods left out because a container had no cpu or memory figure. */
  incompletePods: string[];
}

/** Turns one node's Summary into usage records. Pure. */
export function decodeSummary(summary: Summary, node: core.Node, scrapedAt: number, windowMs: number): DecodedSummary {
  const out: DecodedSummary = { pods: [], incompletePods: [] };
  const n = summary.node;
  if (typeof n.cpu?.usageNanoCores === 'number' && typeof n.memory?.workingSetBytes === 'number') {
    out.node = {
      name: node.metadata?.name ?? n.nodeName,
      labels: { ...(node.metadata?.labels ?? {}) },
      timestamp: new Date(parseTime(n.cpu.time, scrapedAt)),
      windowMs,
      cpuNanoCores: n.cpu.usageNanoCores,
      memoryBytes: n.memory.workingSetBytes,
    };
  }
  for (const p of summary.pods ?? []) {
    const containers: ContainerUsage[] = [];
    let complete = (p.containers ?? []).length > 0;
    let timestamp = 0;
    for (const c of p.containers ?? []) {
      const u = containerUsage(c);
      if (!u) {
        complete = false;
        break;
      }
      containers.push(u);
      timestamp = Math.max(timestamp, parseTime(c.cpu?.time, scrapedAt));
    }
    if (!complete) {
      out.incompletePods.push(`${p.podRef.namespace}/${p.podRef.name}`);
      continue;
    }
    out.pods.push({
      namespace: p.podRef.namespace,
      name: p.podRef.name,
      uid: p.podRef.uid,
      labels: {},
      timestamp: new Date(timestamp || scrapedAt),
      windowMs,
      containers,
    });
  }
  return out;
}

interface NodeList {
  items?: core.Node[];
}
const PARTIAL_METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json';

interface PodList {
  items?: core.Pod[];
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

export class MetricsScraper implements MetricsProvider {
  private pods = new Map<string, PodUsage>();
  private nodes = new Map<string, NodeUsage>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private scrapes = 0;
  private readonly waiters: Array<{ after: number; resolve: () => void }> = [];
  readonly resolutionMs: number;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly client: ApiRequester,
    private readonly options: MetricsScraperOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.resolutionMs = options.metricResolutionMs ?? 15_000;
    this.timeoutMs = Math.min(options.kubeletTimeoutMs ?? 10_000, Math.max(this.resolutionMs, 1000));
    this.log = options.log ?? ((line) => console.error(line));
  }

  podUsage(namespace?: string): PodUsage[] {
    const all = [...this.pods.values()];
    return namespace === undefined ? all : all.filter((p) => p.namespace === namespace);
  }

  nodeUsage(): NodeUsage[] {
    return [...this.nodes.values()];
  }

  /** One full round: every node's summary plus the pods' labels. Replaces what was kept. */
  async scrapeOnce(): Promise<{ nodes: number; failed: string[] }> {
    const [nodeList, podList] = await Promise.all([
      this.client.request<NodeList>({ method: 'GET', path: '/api/v1/nodes' }),
      // Only names, uids and labels are needed: metadata alone, not 100,000 pods' specs and statuses.
      this.client.request<PodList>({ method: 'GET', path: '/api/v1/pods', accept: PARTIAL_METADATA_LIST }).catch((err: unknown) => {
        this.log(`metrics scraper: listing pods for their labels failed: ${errorMessage(err)}`);
        return undefined;
      }),
    ]);
    const nodes = new Map<string, NodeUsage>();
    const pods = new Map<string, PodUsage>();
    const failed: string[] = [];
    await eachLimited(nodeList.items ?? [], this.options.concurrency ?? 32, async (node) => {
      const name = node.metadata?.name ?? '';
      const base = kubeletBaseUrl(node);
      if (!base) {
        failed.push(name);
        this.log(`metrics scraper: skipping node "${name}": no address or kubelet port in its status`);
        return;
      }
      try {
        const summary = await fetchSummary(base, this.timeoutMs, this.options.kubeletBearerToken, this.options.kubeletClientCertificate);
        const decoded = decodeSummary(summary, node, this.now(), this.resolutionMs);
        if (decoded.node) nodes.set(decoded.node.name, decoded.node);
        for (const p of decoded.pods) pods.set(`${p.namespace}/${p.name}`, p);
        for (const p of decoded.incompletePods) this.log(`metrics scraper: skipping pod "${p}" on node "${name}": incomplete container metrics`);
      } catch (err) {
        failed.push(name);
        this.log(`metrics scraper: failed to scrape node "${name}" at ${base}: ${errorMessage(err)}`);
      }
    });
    if (podList) {
      // Only pods that still exist get metrics, labelled as they are now (for -l selectors).
      const byKey = new Map((podList.items ?? []).map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
      for (const [key, usage] of pods) {
        const pod = byKey.get(key);
        if (!pod || (usage.uid && pod.metadata?.uid && usage.uid !== pod.metadata.uid)) pods.delete(key);
        else usage.labels = { ...(pod.metadata?.labels ?? {}) };
      }
    }
    this.nodes = nodes;
    this.pods = pods;
    this.scrapes++;
    const count = this.scrapes;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.after < count) {
        this.waiters[i]!.resolve();
        this.waiters.splice(i, 1);
      }
    }
    return { nodes: nodes.size, failed };
  }

  /** Resolves once a scrape that starts after this call has finished. */
  nextScrape(): Promise<void> {
    const after = this.scrapes + (this.running ? 1 : 0);
    return new Promise((resolve) => this.waiters.push({ after, resolve }));
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.scrapeOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.log(`metrics scraper: scrape failed: ${errorMessage(err)}`))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) {
            this.timer = setTimeout(tick, this.resolutionMs);
            this.timer.unref();
          }
        });
    };
    tick();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

export interface StartMetricsScraperArgs {
  client: ApiRequester;
  now?: () => number;
  options?: MetricsScraperOptions;
}

/** Starts scraping at once and every resolution; the result is the MetricsProvider for the metrics API. */
export function startMetricsScraper({ client, now, options }: StartMetricsScraperArgs): MetricsScraper {
  return new MetricsScraper(client, options, now).start();
}
