// The pipeline against real HTTPS kubelet endpoints (test fixtures serving the Summary
// API), and the metrics.k8s.io handler mounted on a real HTTP server.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { core } from '../../api/types.js';
import type { ApiRequest, ApiRequester } from '../requester.js';
import { startKubeletFixture, summaryOf, type KubeletFixture } from '../testing/kubelet.js';
import { createMetricsApi } from './api.js';
import { kubeletBaseUrl, MetricsScraper } from './scraper.js';

function node(name: string, port: number | undefined, labels: Record<string, string> = {}): core.Node {
  return {
    metadata: { name, labels },
    status: {
      addresses: [
        { type: 'Hostname', address: name },
        { type: 'InternalIP', address: '127.0.0.1' },
      ],
      ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}),
    },
  };
}

function pod(namespace: string, name: string, labels: Record<string, string>): core.Pod {
  return { metadata: { namespace, name, labels, uid: `uid-${name}` } };
}

/** Answers the two lists the scraper makes, as the API server would. */
class ListSource implements ApiRequester {
  constructor(
    public nodes: core.Node[],
    public pods: core.Pod[],
  ) {}
  async request<R>(opts: ApiRequest): Promise<R> {
    if (opts.path === '/api/v1/nodes') return { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: this.nodes } as R;
    if (opts.path === '/api/v1/pods') return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.pods } as R;
    throw new Error(`unexpected ${opts.method} ${opts.path}`);
  }
}

const MI = 1024 * 1024;

describe('metrics scraper', () => {
  let a: KubeletFixture;
  let b: KubeletFixture;
  let broken: KubeletFixture;
  before(async () => {
    a = await startKubeletFixture(
      summaryOf('node-a', { cpuNanoCores: 1_250_000_000, memoryBytes: 2048 * MI }, [
        { namespace: 'default', name: 'kuard-1', containers: [{ name: 'kuard', cpuNanoCores: 250_000_000, memoryBytes: 100 * MI }] },
        {
          namespace: 'default',
          name: 'web-1',
          containers: [
            { name: 'nginx', cpuNanoCores: 12_345, memoryBytes: 12 * 1024 },
            { name: 'sidecar', cpuNanoCores: 1_000_000, memoryBytes: 4 * MI },
          ],
        },
        // a container without figures yet: the pod is left out
        { namespace: 'default', name: 'starting', containers: [{ name: 'app' }] },
        // a pod the API no longer has: left out
        { namespace: 'default', name: 'gone', containers: [{ name: 'app', cpuNanoCores: 1, memoryBytes: 1 }] },
      ]),
    );
    b = await startKubeletFixture(
      summaryOf('node-b', { cpuNanoCores: 500_000_000, memoryBytes: 1024 * MI }, [
        { namespace: 'other', name: 'kuard-2', containers: [{ name: 'kuard', cpuNanoCores: 750_000_000, memoryBytes: 200 * MI }] },
      ]),
    );
    broken = await startKubeletFixture(summaryOf('node-c', { cpuNanoCores: 0, memoryBytes: 0 }, []));
    broken.failWith = 500;
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), broken.close()]);
  });

  test('kubelet endpoint comes from InternalIP and daemonEndpoints', () => {
    assert.equal(kubeletBaseUrl(node('n', 10250)), 'https://127.0.0.1:10250');
    assert.equal(kubeletBaseUrl(node('n', undefined)), undefined);
  });

  test('keeps the latest usage of every node and pod; failing nodes are skipped with a log line', async () => {
    const source = new ListSource(
      [node('node-a', a.port, { zone: 'a' }), node('node-b', b.port), node('node-c', broken.port), node('node-d', undefined)],
      [pod('default', 'kuard-1', { app: 'kuard' }), pod('default', 'web-1', { app: 'web' }), pod('default', 'starting', {}), pod('other', 'kuard-2', { app: 'kuard' })],
    );
    const logs: string[] = [];
    const scraper = new MetricsScraper(source, { metricResolutionMs: 1000, log: (l) => logs.push(l) });
    const result = await scraper.scrapeOnce();
    assert.equal(result.nodes, 2);
    assert.deepEqual(result.failed.sort(), ['node-c', 'node-d']);
    assert.ok(logs.some((l) => l.includes('failed to scrape node "node-c"') && l.includes('HTTP 500')), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes('skipping node "node-d"')), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes('skipping pod "default/starting"')), logs.join('\n'));

    const names = scraper.podUsage().map((p) => `${p.namespace}/${p.name}`).sort();
    assert.deepEqual(names, ['default/kuard-1', 'default/web-1', 'other/kuard-2']);
    assert.deepEqual(scraper.podUsage('default').find((p) => p.name === 'kuard-1')?.labels, { app: 'kuard' });
    const nodeA = scraper.nodeUsage().find((n) => n.name === 'node-a');
    assert.equal(nodeA?.cpuNanoCores, 1_250_000_000);
    assert.deepEqual(nodeA?.labels, { zone: 'a' });
  });

  test('a kubelet slower than the timeout is skipped', async () => {
    const slow = await startKubeletFixture(summaryOf('slow', { cpuNanoCores: 1, memoryBytes: 1 }, []));
    slow.delayMs = 3000;
    try {
      const logs: string[] = [];
      const scraper = new MetricsScraper(new ListSource([node('slow', slow.port)], []), { metricResolutionMs: 1000, kubeletTimeoutMs: 200, log: (l) => logs.push(l) });
      const result = await scraper.scrapeOnce();
      assert.deepEqual(result.failed, ['slow']);
      assert.ok(logs.some((l) => l.includes('timed out')), logs.join('\n'));
    } finally {
      await slow.close();
    }
  });

  test('started, it scrapes every resolution and picks up new figures', async () => {
    let cpu = 100_000_000;
    const live = await startKubeletFixture(() =>
      summaryOf('live', { cpuNanoCores: cpu, memoryBytes: MI }, [{ namespace: 'default', name: 'p', containers: [{ name: 'c', cpuNanoCores: cpu, memoryBytes: MI }] }]),
    );
    const scraper = new MetricsScraper(new ListSource([node('live', live.port)], [pod('default', 'p', {})]), { metricResolutionMs: 50, log: () => {} });
    try {
      scraper.start();
      await scraper.nextScrape();
      assert.equal(scraper.podUsage()[0]?.containers[0]?.cpuNanoCores, 100_000_000);
      cpu = 900_000_000;
      await scraper.nextScrape();
      assert.equal(scraper.podUsage()[0]?.containers[0]?.cpuNanoCores, 900_000_000);
    } finally {
      await scraper.stop();
      await live.close();
    }
  });

  describe('metrics.k8s.io handler', () => {
    let server: http.Server;
    let base: string;
    let scraper: MetricsScraper;
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);

    before(async () => {
      scraper = new MetricsScraper(
        new ListSource(
          [node('node-a', a.port, { zone: 'a' }), node('node-b', b.port)],
          [pod('default', 'kuard-1', { app: 'kuard' }), pod('default', 'web-1', { app: 'web' }), pod('other', 'kuard-2', { app: 'kuard' })],
        ),
        { metricResolutionMs: 15_000, log: () => {} },
      );
      await scraper.scrapeOnce();
      const api = createMetricsApi(scraper, { now: () => now });
      server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        void api.handle(req, res, url.pathname, url.searchParams).then((handled) => {
          if (!handled) res.writeHead(418).end('not mine');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    async function get(path: string, accept = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
      const res = await fetch(base + path, { headers: { Accept: accept } });
      const text = await res.text();
      return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
    }

    test('discovery documents', async () => {
      const group = await get('/apis/metrics.k8s.io');
      assert.equal(group.body.kind, 'APIGroup');
      assert.deepEqual(group.body.preferredVersion, { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' });
      const list = await get('/apis/metrics.k8s.io/v1beta1');
      assert.deepEqual(list.body, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'metrics.k8s.io/v1beta1',
        resources: [
          { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
          { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
        ],
      });
    });

    test('list pods in a namespace, with Kubernetes quantities', async () => {
      const { status, body } = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
      assert.equal(status, 200);
      assert.equal(body.kind, 'PodMetricsList');
      assert.equal(body.apiVersion, 'metrics.k8s.io/v1beta1');
      const items = body.items as Array<Record<string, unknown>>;
      assert.deepEqual(
        items.map((i) => (i.metadata as { name: string }).name),
        ['kuard-1', 'web-1'],
      );
      const kuard = items[0]!;
      assert.equal(kuard.kind, 'PodMetrics');
      assert.equal(kuard.window, '15s');
      assert.deepEqual(kuard.containers, [{ name: 'kuard', usage: { cpu: '250m', memory: '100Mi' } }]);
      assert.deepEqual((kuard.metadata as Record<string, unknown>).labels, { app: 'kuard' });
      assert.equal((kuard.metadata as Record<string, unknown>).creationTimestamp, '2025-01-01T12:00:00Z');
      assert.deepEqual(items[1]!.containers, [
        { name: 'nginx', usage: { cpu: '12345n', memory: '12Ki' } },
        { name: 'sidecar', usage: { cpu: '1m', memory: '4Mi' } },
      ]);
    });

    test('labelSelector, fieldSelector and all namespaces', async () => {
      const all = await get('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dkuard');
      assert.deepEqual(
        (all.body.items as Array<{ metadata: { namespace: string; name: string } }>).map((i) => `${i.metadata.namespace}/${i.metadata.name}`),
        ['default/kuard-1', 'other/kuard-2'],
      );
      const byName = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-1');
      assert.deepEqual(
        (byName.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name),
        ['web-1'],
      );
      const bad = await get('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=a%20b');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.reason, 'BadRequest');
    });

    test('get one pod; a pod without metrics is NotFound as metrics-server says it', async () => {
      const one = await get('/apis/metrics.k8s.io/v1beta1/namespaces/other/pods/kuard-2');
      assert.equal(one.body.kind, 'PodMetrics');
      assert.deepEqual(one.body.containers, [{ name: 'kuard', usage: { cpu: '750m', memory: '200Mi' } }]);
      const missing = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.message, 'podmetrics.metrics.k8s.io "default/nope" not found');
    });

    test('nodes: list, label selector, get', async () => {
      const list = await get('/apis/metrics.k8s.io/v1beta1/nodes');
      assert.equal(list.body.kind, 'NodeMetricsList');
      const items = list.body.items as Array<{ metadata: { name: string }; usage: unknown }>;
      assert.deepEqual(
        items.map((i) => [i.metadata.name, i.usage]),
        [
          ['node-a', { cpu: '1250m', memory: '2Gi' }],
          ['node-b', { cpu: '500m', memory: '1Gi' }],
        ],
      );
      const zoned = await get('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Da');
      assert.equal((zoned.body.items as unknown[]).length, 1);
      const one = await get('/apis/metrics.k8s.io/v1beta1/nodes/node-b');
      assert.equal(one.body.kind, 'NodeMetrics');
      const missing = await get('/apis/metrics.k8s.io/v1beta1/nodes/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.message, 'nodemetrics.metrics.k8s.io "nope" not found');
    });

    test('a Table when kubectl get asks for one', async () => {
      const t = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
      assert.equal(t.body.kind, 'Table');
      assert.deepEqual(
        (t.body.rows as Array<{ cells: unknown[] }>).map((r) => r.cells),
        [
          ['kuard-1', '250m', '100Mi', '15s'],
          ['web-1', '1012345n', '4108Ki', '15s'],
        ],
      );
    });

    test('paths it does not own are left alone; writes are refused', async () => {
      const other = await get('/apis/apps/v1');
      assert.equal(other.status, 418);
      const unknown = await get('/apis/metrics.k8s.io/v1beta1/services');
      assert.equal(unknown.status, 404);
      const post = await fetch(base + '/apis/metrics.k8s.io/v1beta1/nodes', { method: 'POST', body: '{}' });
      assert.equal(post.status, 405);
    });
  });
});
